//! Service URL patterns: how a `service`, a `pgtUrl`, a single-logout target or a logout
//! redirect is matched against a registered pattern, and what `casplus config check` can
//! prove about a pattern before it is served.
//!
//! A pattern that operators write for "any subdomain", such as
//! `^https://[^/]+\.example\.org(/.*)?$`, also matches `https://evil.test?.example.org/`,
//! whose host — for a browser, and for [`crate::url`] — is `evil.test`: a service ticket
//! issued for it travels to the attacker. So a service is matched in two parts:
//!
//! 1. the URL is parsed by the one parser ([`crate::url::parse_http`]): http(s), no user
//!    info, a host a browser reads the same way;
//! 2. the **host** is matched by name — an exact name, `*.example.org` (one or more labels
//!    below `example.org`, on label boundaries; not `example.org` itself) or `*` (any
//!    host) — and the port by number, and only the rest (path, `?query`, `#fragment`) by a
//!    regular expression.
//!
//! In the configuration (TOML): `service = { host = "*.example.org", path = '/app(/.*)?' }`,
//! with optional `scheme = "http"` (or `["http", "https"]`; `https` by default) and
//! `port = 8443` (or `"*"`; by default the scheme's own port).
//!
//! A regular expression over the whole URL (`{ regex = '…' }`) remains for compatibility
//! when its host is spelled literally (`^https://(app|www)\.example\.org(:\d+)?(/.*)?$`):
//! then the parsed host must also be one of those names, so a URL whose host the regex
//! did not mean is refused even if the text matches. A regex whose host casplus cannot
//! read literally is refused by the configuration check, which names an attacker URL it
//! would accept, unless the service sets `allowRegexHosts = true` (or the site sets
//! `allow_any_service = true`).

use regex_lite::Regex;
use serde::{Deserialize, Serialize};

use crate::cas::auth::OneOrMany;
use crate::cas::registry::Pattern;
use crate::url::{Url, is_host_name, parse_http};

/// A service URL described by its parts (`{ host = …, path = … }`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlPattern {
    /// Accepted schemes, `https` and/or `http` (default: `https`).
    pub schemes: Vec<String>,
    /// Accepted hosts: an exact name (`app.example.org`, `[::1]`), `*.example.org` or `*`.
    pub hosts: Vec<String>,
    /// Accepted port.
    pub port: PortRule,
    /// A regular expression that must match everything after the host and port (path,
    /// `?query`, `#fragment`), anchored at both ends; `None` accepts anything.
    pub path: Option<String>,
}

/// Which port a [`UrlPattern`] accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PortRule {
    /// The scheme's own port (443 for https, 80 for http), written or not.
    #[default]
    Default,
    /// This port (the scheme's default port may be left out of the URL).
    Number(u16),
    /// Any port (`port = "*"`).
    Any,
}

/// The serde form of a [`Pattern`]: `{ exact }`, `{ regex }` or `{ host, scheme?, port?,
/// path? }`.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatternRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scheme: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    port: Option<PortRepr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

/// The serde form of a list of names: one → a string, several → a list.
fn one_or_many(mut v: Vec<String>) -> OneOrMany {
    match v.len() {
        1 => OneOrMany::One(v.remove(0)),
        _ => OneOrMany::Many(v),
    }
}

/// A port number or `"*"`; read by a visitor of its own, not `#[serde(untagged)]` (which
/// buffers the value first and costs the Worker's wasm).
#[derive(Serialize)]
#[serde(untagged)]
enum PortRepr {
    Number(u16),
    Text(String),
}

impl<'de> Deserialize<'de> for PortRepr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = PortRepr;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a port number or \"*\"")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<PortRepr, E> {
                u16::try_from(n)
                    .map(PortRepr::Number)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<PortRepr, E> {
                u16::try_from(n)
                    .map(PortRepr::Number)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<PortRepr, E> {
                Ok(PortRepr::Text(s.to_owned()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl TryFrom<PatternRepr> for Pattern {
    type Error = String;

    fn try_from(r: PatternRepr) -> Result<Self, String> {
        const SHAPE: &str = "a pattern is { exact = \"URL\" }, { regex = '…' } or \
                             { host = \"…\", path = '…' } (optional scheme, port)";
        let parts = r.scheme.is_some() || r.port.is_some() || r.path.is_some();
        match (r.exact, r.regex, r.host) {
            (Some(e), None, None) if !parts => Ok(Self::Exact(e)),
            (None, Some(re), None) if !parts => Ok(Self::Regex(re)),
            (None, None, Some(host)) => Ok(Self::Url(UrlPattern {
                schemes: r
                    .scheme
                    .map_or_else(|| vec!["https".to_owned()], OneOrMany::into_vec),
                hosts: host.into_vec(),
                port: match r.port {
                    None => PortRule::Default,
                    Some(PortRepr::Number(n)) => PortRule::Number(n),
                    Some(PortRepr::Text(t)) if t == "*" => PortRule::Any,
                    Some(PortRepr::Text(t)) => {
                        return Err(format!("port {t:?}: a number, or \"*\" for any port"));
                    }
                },
                path: r.path,
            })),
            _ => Err(SHAPE.to_owned()),
        }
    }
}

impl From<Pattern> for PatternRepr {
    fn from(p: Pattern) -> Self {
        match p {
            Pattern::Exact(e) => Self {
                exact: Some(e),
                ..Self::default()
            },
            Pattern::Regex(r) => Self {
                regex: Some(r),
                ..Self::default()
            },
            Pattern::Url(u) => Self {
                scheme: (u.schemes != ["https"]).then(|| one_or_many(u.schemes)),
                host: Some(one_or_many(u.hosts)),
                port: match u.port {
                    PortRule::Default => None,
                    PortRule::Number(n) => Some(PortRepr::Number(n)),
                    PortRule::Any => Some(PortRepr::Text("*".into())),
                },
                path: u.path,
                ..Self::default()
            },
        }
    }
}

/// A host a [`UrlPattern`] accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum HostRule {
    /// This name exactly (lower-case).
    Exact(String),
    /// One or more labels below this name (`*.example.org` → `example.org`).
    Below(String),
    /// Any host (`*`).
    Any,
}

impl HostRule {
    fn parse(s: &str) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        if lower == "*" {
            return Ok(Self::Any);
        }
        if let Some(parent) = lower.strip_prefix("*.") {
            if !is_host_name(parent) || parent.ends_with('.') {
                return Err(format!(
                    "host {s:?}: `*.` must be followed by a domain name"
                ));
            }
            if !parent.contains('.') {
                return Err(format!(
                    "host {s:?} covers a whole top-level domain: name your own domain \
                     (e.g. \"*.example.org\")"
                ));
            }
            return Ok(Self::Below(parent.to_owned()));
        }
        let as_url = format!("https://{lower}/");
        match Url::parse(&as_url) {
            Ok(u) if u.host() == lower && u.port().is_none() && u.userinfo().is_none() => {
                Ok(Self::Exact(lower))
            }
            _ => Err(format!(
                "host {s:?} is not a host name, [IPv6] address, \"*.domain\" or \"*\" \
                 (no scheme, port or path)"
            )),
        }
    }

    fn matches(&self, host: &str) -> bool {
        match self {
            Self::Exact(h) => h == host,
            // The host parser guarantees non-empty labels, so a non-empty prefix ending
            // in `.` is one or more whole labels.
            Self::Below(parent) => host
                .strip_suffix(parent.as_str())
                .and_then(|p| p.strip_suffix('.'))
                .is_some_and(|p| !p.is_empty()),
            Self::Any => true,
        }
    }
}

/// A compiled [`UrlPattern`].
#[derive(Clone, Debug)]
pub(crate) struct UrlMatcher {
    http: bool,
    https: bool,
    hosts: Vec<HostRule>,
    port: PortRule,
    rest: Option<Regex>,
}

impl UrlMatcher {
    fn compile(p: &UrlPattern) -> Result<Self, CompileError> {
        let (mut http, mut https) = (false, false);
        for s in &p.schemes {
            match s.to_ascii_lowercase().as_str() {
                "http" => http = true,
                "https" => https = true,
                _ => {
                    return Err(CompileError::Pattern(format!(
                        "scheme {s:?}: \"https\" or \"http\""
                    )));
                }
            }
        }
        if p.hosts.is_empty() {
            return Err(CompileError::Pattern("no host given".into()));
        }
        let hosts = p
            .hosts
            .iter()
            .map(|h| HostRule::parse(h))
            .collect::<Result<_, _>>()
            .map_err(CompileError::Pattern)?;
        let rest = p.path.as_deref().map(anchored).transpose()?;
        Ok(Self {
            http,
            https,
            hosts,
            port: p.port,
            rest,
        })
    }

    fn matches(&self, url: &Url<'_>) -> bool {
        let scheme_ok = match url.scheme() {
            "https" => self.https,
            "http" => self.http,
            _ => false,
        };
        let port_ok = match self.port {
            PortRule::Default => url.has_default_port(),
            PortRule::Number(n) => url.port_or_default() == Some(n),
            PortRule::Any => true,
        };
        scheme_ok
            && port_ok
            && self.hosts.iter().any(|h| h.matches(url.host()))
            && self
                .rest
                .as_ref()
                .is_none_or(|r| r.is_match(url.after_authority()))
    }
}

/// Why a pattern does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CompileError {
    /// The regular expression compiler's message.
    Regex(String),
    /// A host, scheme or port that is not one.
    Pattern(String),
}

impl core::fmt::Display for CompileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Regex(m) => write!(f, "bad regular expression: {m}"),
            Self::Pattern(m) => f.write_str(m),
        }
    }
}

fn anchored(re: &str) -> Result<Regex, CompileError> {
    regex_lite::RegexBuilder::new(&format!("^(?:{re})$"))
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| CompileError::Regex(e.to_string()))
}

/// A compiled [`Pattern`].
#[derive(Clone, Debug)]
pub(crate) enum Matcher {
    /// The URL must equal this string.
    Exact(String),
    /// The whole URL must match; when the host could be read literally, the parsed host
    /// must also be one of `hosts`.
    Regex {
        re: Regex,
        hosts: Option<Vec<String>>,
    },
    /// Host, port and scheme by name, the rest by a regex.
    Url(UrlMatcher),
}

impl Matcher {
    /// Compiles a pattern (regexes anchored at both ends).
    pub(crate) fn compile(p: &Pattern) -> Result<Self, CompileError> {
        Ok(match p {
            Pattern::Exact(s) => Self::Exact(s.clone()),
            Pattern::Regex(r) => Self::Regex {
                re: anchored(r)?,
                hosts: regex_reach(r).hosts,
            },
            Pattern::Url(u) => Self::Url(UrlMatcher::compile(u)?),
        })
    }

    /// Whether `url` is covered. Except for an exact string, the URL must first parse as
    /// an http(s) URL a browser reads the same way ([`parse_http`]).
    pub(crate) fn matches(&self, url: &str) -> bool {
        match self {
            Self::Exact(e) => e == url,
            Self::Regex { re, hosts } => {
                parse_http(url).is_ok_and(|u| {
                    hosts
                        .as_ref()
                        .is_none_or(|h| h.iter().any(|h| h == u.host()))
                }) && re.is_match(url)
            }
            Self::Url(m) => parse_http(url).is_ok_and(|u| m.matches(&u)),
        }
    }
}

/// What a pattern can reach, as far as a conservative reading can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reach {
    /// May match `http://` URLs.
    pub(crate) http: bool,
    /// The hosts it is confined to, when they could be read literally (lower-case).
    pub(crate) hosts: Option<Vec<String>>,
}

/// What `pattern` can reach.
pub(crate) fn pattern_reach(p: &Pattern) -> Reach {
    match p {
        Pattern::Exact(url) => match Url::parse(url) {
            Ok(u) => Reach {
                http: u.scheme() == "http",
                hosts: Some(vec![u.host().to_owned()]),
            },
            Err(_) => Reach {
                http: false,
                hosts: None,
            },
        },
        Pattern::Regex(r) => regex_reach(r),
        Pattern::Url(u) => Reach {
            http: u.schemes.iter().any(|s| s.eq_ignore_ascii_case("http")),
            hosts: u
                .hosts
                .iter()
                .map(|h| match HostRule::parse(h) {
                    Ok(HostRule::Exact(h)) => Some(h),
                    _ => None,
                })
                .collect(),
        },
    }
}

/// Reads `scheme://host…` at the start of a regular expression. Anything this does not
/// recognise counts as "may be http" and "any host", so it errs on the side of a problem.
pub(crate) fn regex_reach(re: &str) -> Reach {
    let unknown = Reach {
        http: true,
        hosts: None,
    };
    let Some((scheme, rest)) = re.split_once("://").or_else(|| re.split_once(r":\/\/")) else {
        return unknown;
    };
    // `(https://a\.example/.*|https://b\.example/.*)` has more than one host part: a
    // top-level alternative, or a `://` inside a group, is not read.
    if has_top_level_alternation(re) || depth_after(scheme) != Some(0) {
        return unknown;
    }
    let scheme = scheme
        .replace("(?:", "")
        .replace(['^', '(', ')'], "")
        .to_ascii_lowercase();
    Reach {
        http: scheme != "https",
        hosts: literal_hosts(rest),
    }
}

/// The group depth after `s` (escapes and character classes skipped), `None` when a
/// group closes that was not opened.
fn depth_after(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => skip_class(&mut chars),
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    Some(depth)
}

/// Whether `re` has a `|` outside every group.
fn has_top_level_alternation(re: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => skip_class(&mut chars),
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Skips a character class after its `[` (a `]` right after `[` or `[^` is a member).
fn skip_class(chars: &mut core::str::Chars<'_>) {
    let mut first = true;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '^' if first => continue,
            ']' if !first => return,
            _ => {}
        }
        first = false;
    }
}

/// The literal host alternatives at the start of `rest` (after `://`): `host`,
/// `(a|b)` or `(?:a|b)`, followed by a port, path, query or the end.
fn literal_hosts(rest: &str) -> Option<Vec<String>> {
    let group = rest.strip_prefix("(?:").or_else(|| rest.strip_prefix('('));
    let (hosts, after) = match group {
        Some(inner) => {
            let close = inner.find(')')?;
            let (body, after) = inner.split_at(close);
            let after = after.get(1..)?;
            // `(a|b)?` or `(a|b)*` makes the host optional: not a literal host any more.
            if after.starts_with(['?', '*', '+', '{']) {
                return None;
            }
            let mut hosts = Vec::new();
            for alt in body.split('|') {
                let (h, left) = literal_host(alt);
                if h.is_empty() || !left.is_empty() {
                    return None;
                }
                hosts.push(h);
            }
            (hosts, after)
        }
        None => {
            let (h, after) = literal_host(rest);
            if h.is_empty() {
                return None;
            }
            (vec![h], after)
        }
    };
    let next = after
        .strip_prefix("(?:")
        .or_else(|| after.strip_prefix('('))
        .unwrap_or(after);
    let ends_host = next.is_empty()
        || next.starts_with([':', '/', '$', '#', ')'])
        || [r"\/", r"\?", r"\#", "[/", "[:", "[?", "[#"]
            .iter()
            .any(|p| next.starts_with(p));
    ends_host.then_some(hosts)
}

/// A host spelled literally: letters, digits, `-`, escaped dots, or `\[v6\]`.
fn literal_host(s: &str) -> (String, &str) {
    let mut host = String::new();
    let mut rest = s;
    if let Some(v6) = rest.strip_prefix(r"\[") {
        let Some(end) = v6.find(r"\]") else {
            return (String::new(), s);
        };
        let (inner, after) = v6.split_at(end);
        if !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return (String::new(), s);
        }
        return (
            format!("[{}]", inner.to_ascii_lowercase()),
            after.get(2..).unwrap_or(""),
        );
    }
    loop {
        if let Some(r) = rest.strip_prefix(r"\.") {
            host.push('.');
            rest = r;
        } else if let Some(c) = rest
            .chars()
            .next()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        {
            host.push(c.to_ascii_lowercase());
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        } else {
            return (host, rest);
        }
    }
}

/// Whether a pattern's host is proven: an exact URL, a host pattern, or a regex whose host
/// is spelled literally. For an unproven regex, `Unproven` carries a URL on a host the
/// pattern's author did not name that the compiled pattern accepts, when one is found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HostProof {
    /// The host is read literally (or declared).
    Literal,
    /// A regex whose host casplus cannot read.
    Unproven {
        /// `(url, host)`: an attacker URL the pattern accepts and its host.
        example: Option<(String, String)>,
    },
}

/// The attacker's host in the example URLs ([RFC 2606]: never anyone's).
///
/// [RFC 2606]: https://www.rfc-editor.org/rfc/rfc2606
const EVIL: &str = "evil.test";

/// Decides [`HostProof`] for a pattern, trying attacker URLs built from the host names
/// spelled in the regex against the compiled `matcher`.
pub(crate) fn host_proof(p: &Pattern, matcher: &Matcher) -> HostProof {
    let Pattern::Regex(re) = p else {
        return HostProof::Literal;
    };
    if regex_reach(re).hosts.is_some() {
        return HostProof::Literal;
    }
    let names = spelled_names(re);
    let example = ["https", "http"].iter().find_map(|scheme| {
        names.iter().find_map(|(n, tail)| {
            attacker_urls(scheme, n, tail)
                .into_iter()
                .filter(|u| matcher.matches(u))
                .find_map(|u| {
                    let host = Url::parse(&u).ok()?.host().to_owned();
                    (host != *n && !host.ends_with(&format!(".{n}"))).then_some((u, host))
                })
        })
    });
    HostProof::Unproven { example }
}

/// The attacker URLs of [`attacker_urls`] after `scheme://`, in the order tried: `E` is
/// the attacker's host ([`EVIL`]), `N` the name, `T` the tail. Filled in by [`fill`]
/// rather than one `format!` each: the Worker runs this check too, and each `format!`
/// costs wasm.
const ATTACKER_SHAPES: [&str; 9] = [
    "E?.NT", "E#.NT", "E/.NT", "E?NT", "E/NT", "N.ET", "N-ET", "evil-NT", "evilNT",
];
/// More shapes when the pattern spells nothing after the name.
const BARE_SHAPES: [&str; 4] = ["E?.N", "E#.N", "E/?N", "N.E"];

/// `scheme://` and `shape` with its `E`, `N` and `T` replaced ([`ATTACKER_SHAPES`]).
fn fill(scheme: &str, shape: &str, name: &str, tail: &str) -> String {
    let mut url = format!("{scheme}://");
    for c in shape.chars() {
        match c {
            'E' => url.push_str(EVIL),
            'N' => url.push_str(name),
            'T' => url.push_str(tail),
            c => url.push(c),
        }
    }
    url
}

/// URLs on the attacker's host that a sloppy pattern for `name` may accept; `tail` is
/// what the pattern spells after the name (`/pgt`), `/` when nothing.
fn attacker_urls(scheme: &str, name: &str, tail: &str) -> Vec<String> {
    let t = if tail.is_empty() { "/" } else { tail };
    let bare: &[&str] = if tail.is_empty() { &BARE_SHAPES } else { &[] };
    let mut urls = Vec::new();
    for shape in ATTACKER_SHAPES.iter().chain(bare).chain(&["E/"]) {
        urls.push(fill(scheme, shape, name, t));
    }
    urls
}

/// Host-like names spelled in a regex — runs of letters, digits, `-` and (escaped or not)
/// dots that contain a dot, dots trimmed, lower-cased — each with the literal text the
/// regex spells right after it (`/pgt` in `\.example\.org/pgt(\?.*)?`); `example.org`
/// when there is none.
fn spelled_names(re: &str) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = Vec::new();
    let mut cur = String::new();
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        let escaped_dot = c == '\\' && chars.peek() == Some(&'.');
        if escaped_dot {
            chars.next();
            cur.push('.');
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            cur.push(c);
            continue;
        }
        // The run ended at `c`. Not a name: skip `c` (and what it escapes).
        if !is_spelled_name(&cur) {
            cur.clear();
            if c == '\\' {
                chars.next();
            }
            continue;
        }
        // A name: read the literal text that follows it.
        let mut tail = String::new();
        let mut next = Some(c);
        while let Some(t) = next {
            if t == '\\' {
                match chars.peek() {
                    Some(&e) if e.is_ascii_punctuation() => {
                        tail.push(e);
                        chars.next();
                    }
                    _ => break,
                }
            } else if t.is_ascii_alphanumeric() || "/-_=&%".contains(t) {
                tail.push(t);
            } else {
                break;
            }
            next = chars
                .peek()
                .copied()
                .filter(|p| p.is_ascii_alphanumeric() || "/-_=&%\\".contains(*p));
            if next.is_some() {
                chars.next();
            }
        }
        push_name(&mut names, &cur, tail);
        cur.clear();
    }
    push_name(&mut names, &cur, String::new());
    if names.is_empty() {
        names.push(("example.org".to_owned(), String::new()));
    }
    names
}

fn is_spelled_name(run: &str) -> bool {
    let n = run.trim_matches('.');
    n.contains('.') && is_host_name(n)
}

fn push_name(names: &mut Vec<(String, String)>, run: &str, tail: String) {
    let n = run.trim_matches('.').to_ascii_lowercase();
    if is_spelled_name(&n) && !names.iter().any(|(m, _)| *m == n) {
        names.push((n, tail));
    }
}

#[cfg(test)]
mod tests;
