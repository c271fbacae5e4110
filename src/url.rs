//! One URL parser for the whole project: the CAS service registry, the configuration
//! checks, the Worker's request routing and CSP origins, and the TACACS+ gateway all split
//! URLs here, so they cannot disagree about where a host ends.
//!
//! [`Url::parse`] splits `scheme://[userinfo@]host[:port][/path][?query][#fragment]` and is
//! total: any input gives a value or a [`UrlError`], never a panic. It reads the host the
//! way a browser does (the WHATWG URL standard, "special" schemes) where that decides
//! which server a URL names, and refuses what it cannot read the same way:
//!
//! - the authority ends at the first `/`, `?`, `#` — or `\`, which browsers treat as `/`
//!   in http(s) URLs; a `\` there is refused ([`UrlError::Backslash`]) rather than guessed;
//! - user info runs up to the **last** `@` of the authority and is exposed
//!   ([`Url::userinfo`]), so `https://good.example@evil.example/` has host `evil.example`;
//! - the host is lower-cased; it is a registered name of ASCII letters, digits, `-`, `_`
//!   and dots (a trailing dot is kept, as browsers keep it), or an IPv6 literal in
//!   brackets. Percent-escapes (browsers decode `%2e` to `.`), non-ASCII names (browsers
//!   map them through IDNA), IPv4 addresses not spelled as four plain decimal numbers
//!   (browsers read `0x7f.1` and `2130706433` as 127.0.0.1) and every other character are
//!   refused ([`UrlError::BadHost`]);
//! - whitespace and control characters anywhere are refused (browsers strip or drop them,
//!   so the string would not be the URL they follow).
//!
//! [`parse_http`] adds what a URL needs before casplus sends a browser (or a callback) to
//! it: `http` or `https`, no user info, no `\ " < >`, no `.`/`..` path segments (browsers
//! resolve them, also as `%2e`).

use thiserror::Error;

/// Why a string is not a URL casplus reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Whitespace or a control character (browsers strip or drop them).
    #[error("whitespace or a control character in the URL")]
    Whitespace,
    /// No `scheme://`.
    #[error("not an absolute URL (scheme://host…)")]
    NotAbsolute,
    /// The scheme is not `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
    #[error("not a URL scheme")]
    BadScheme,
    /// A `\` ends the authority: browsers read it as `/`.
    #[error("a backslash in the host part")]
    Backslash,
    /// The host is empty.
    #[error("no host")]
    NoHost,
    /// The host is not a plain ASCII name or a bracketed IPv6 address.
    #[error("the host is not a plain ASCII name or [IPv6] address")]
    BadHost,
    /// The port is not a number up to 65535.
    #[error("the port is not a number up to 65535")]
    BadPort,
    /// Not `http` or `https`.
    #[error("not an http(s) URL")]
    NotHttp,
    /// User info (`user@`) before the host.
    #[error("user info before the host")]
    UserInfo,
    /// `\`, `"`, `<` or `>` somewhere.
    #[error("a backslash, quote or angle bracket in the URL")]
    Unsafe,
    /// A `.` or `..` path segment (browsers resolve it, also written `%2e`).
    #[error("a . or .. path segment")]
    DotSegment,
}

/// An absolute URL, split. Borrowed parts are slices of the input as written; scheme and
/// host are lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    input: &'a str,
    scheme: String,
    userinfo: Option<&'a str>,
    host: String,
    port: Option<u16>,
    tail: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> Url<'a> {
    /// Splits an absolute URL. Total: never panics.
    pub fn parse(input: &'a str) -> Result<Self, UrlError> {
        if input.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(UrlError::Whitespace);
        }
        let (scheme, rest) = input.split_once("://").ok_or(UrlError::NotAbsolute)?;
        let mut sb = scheme.bytes();
        if !sb.next().is_some_and(|b| b.is_ascii_alphabetic())
            || !sb.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(UrlError::BadScheme);
        }
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if tail.starts_with('\\') {
            return Err(UrlError::Backslash);
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = split_host(hostport)?;
        let port = match port {
            None | Some("") => None,
            Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
                Some(p.parse::<u16>().map_err(|_| UrlError::BadPort)?)
            }
            Some(_) => return Err(UrlError::BadPort),
        };
        let (before_fragment, fragment) = match tail.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (tail, None),
        };
        let (path, query) = match before_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (before_fragment, None),
        };
        Ok(Self {
            input,
            scheme: scheme.to_ascii_lowercase(),
            userinfo,
            host,
            port,
            tail,
            path,
            query,
            fragment,
        })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &'a str {
        self.input
    }

    /// The scheme, lower-cased (`https`).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The user info before `@`, if any (`user:pass`).
    pub fn userinfo(&self) -> Option<&'a str> {
        self.userinfo
    }

    /// The host, lower-cased; an IPv6 address keeps its brackets (`[::1]`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port written in the URL, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port a client connects to: the written one, else 80 for `http` and 443 for
    /// `https`.
    pub fn port_or_default(&self) -> Option<u16> {
        self.port.or_else(|| default_port(&self.scheme))
    }

    /// Whether the port is the scheme's own (80 for `http`, 443 for `https`), written or not.
    pub fn has_default_port(&self) -> bool {
        self.port
            .is_none_or(|p| Some(p) == default_port(&self.scheme))
    }

    /// Everything after the authority as written: path, `?query`, `#fragment`.
    pub fn after_authority(&self) -> &'a str {
        self.tail
    }

    /// The path as written (may be empty: `https://a.example?x`).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query without `?`.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The fragment without `#`.
    pub fn fragment(&self) -> Option<&'a str> {
        self.fragment
    }

    /// Whether a path segment is `.` or `..`, also spelled with `%2e` (WHATWG "single-dot
    /// and double-dot URL path segments").
    pub fn has_dot_segments(&self) -> bool {
        self.path.split('/').any(|seg| {
            let seg = seg.to_ascii_lowercase().replace("%2e", ".");
            seg == "." || seg == ".."
        })
    }

    /// The origin `scheme://host[:port]` of an http(s) URL, default port left out (WHATWG
    /// origin serialization); `None` for other schemes or with user info.
    pub fn origin(&self) -> Option<String> {
        let default = match self.scheme.as_str() {
            "http" | "https" => default_port(&self.scheme),
            _ => return None,
        };
        if self.userinfo.is_some() {
            return None;
        }
        Some(match self.port.filter(|p| Some(*p) != default) {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        })
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// `(host, port)` of an authority without user info; the host checked and lower-cased.
fn split_host(hostport: &str) -> Result<(String, Option<&str>), UrlError> {
    if let Some(v6) = hostport.strip_prefix('[') {
        let (inner, after) = v6.split_once(']').ok_or(UrlError::BadHost)?;
        if !inner.contains(':')
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(UrlError::BadHost);
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(UrlError::BadHost)?),
        };
        return Ok((format!("[{}]", inner.to_ascii_lowercase()), port));
    }
    let (host, port) = match hostport.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (hostport, None),
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if !is_host_name(host) || (ends_in_a_number(host) && !is_dotted_quad(host)) {
        return Err(UrlError::BadHost);
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// WHATWG "ends in a number": the last label (before a trailing dot) is decimal digits or
/// `0x` hex, so browsers read the whole host as an IPv4 address (`0x7f.1` is 127.0.0.1).
fn ends_in_a_number(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    let last = name.rsplit('.').next().unwrap_or(name);
    let hex = last.strip_prefix("0x").or_else(|| last.strip_prefix("0X"));
    match hex {
        Some(h) => h.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()),
    }
}

/// An IPv4 address as browsers serialize it: four decimal numbers 0–255 without leading
/// zeros and no trailing dot. Any other numeric host (`127.1`, `0x7f.0.0.1`, `2130706433`,
/// `127.0.0.1.`) names the same address under another spelling, and is refused.
fn is_dotted_quad(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u8>().is_ok()
        })
}

/// Dot-separated labels of ASCII letters, digits, `-` and `_`; one trailing dot allowed.
pub fn is_host_name(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// An absolute `http`/`https` URL that is safe to send a browser to or to call back: it
/// parses ([`Url::parse`]), has no user info, no `\ " < >` anywhere and no `.`/`..` path
/// segments — so the host and path casplus checks are the ones a browser visits.
pub fn parse_http(input: &str) -> Result<Url<'_>, UrlError> {
    let url = Url::parse(input)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::NotHttp);
    }
    if url.userinfo().is_some() {
        return Err(UrlError::UserInfo);
    }
    if input.contains(['\\', '"', '<', '>']) {
        return Err(UrlError::Unsafe);
    }
    if url.has_dot_segments() {
        return Err(UrlError::DotSegment);
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
