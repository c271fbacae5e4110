//! Query strings, urlencoded forms, cookies and redirect URLs.
//!
//! Parsing is total: any byte string gives either [`Params`] or a typed [`ParamsError`]
//! (too large, too many pairs), never a panic; invalid UTF-8 in a name or value decodes
//! lossily (U+FFFD), as `application/x-www-form-urlencoded` parsers do. Every CAS
//! parameter is case-sensitive (§2.1.1, §2.4.1, §2.5.1), so names are compared exactly.
//!
//! URL building goes through the `form_urlencoded` serializer, so a `ticket`, `pgtId` or
//! `pgtIou` value can never break out of its parameter, and a URL that already carries a
//! query keeps it (§2.5.4 step 2: "If the proxy callback url specifies any parameters,
//! those MUST be preserved").

use thiserror::Error;

use crate::url::parse_http;

/// Upper bound on the size of a query string or form body that [`Params::parse`] accepts.
pub const MAX_INPUT_LEN: usize = 16 * 1024;
/// Upper bound on the number of `name=value` pairs that [`Params::parse`] accepts.
pub const MAX_PAIRS: usize = 64;
/// Upper bound on one decoded parameter value used by the engine (a `service` URL, a
/// `pgtUrl`, ...). Longer values are an `INVALID_REQUEST` (§2.5.3).
pub const MAX_VALUE_LEN: usize = 4096;

/// Why a query string or form could not be taken as parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// The raw input is longer than [`MAX_INPUT_LEN`].
    #[error("parameter input of {len} bytes exceeds {MAX_INPUT_LEN}")]
    TooLong {
        /// Length of the input in bytes.
        len: usize,
    },
    /// The input has more than [`MAX_PAIRS`] pairs.
    #[error("more than {MAX_PAIRS} parameters")]
    TooManyPairs,
}

/// Why one parameter could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParamError {
    /// The parameter appears more than once (ambiguous; parameter pollution).
    #[error("parameter `{0}` given more than once")]
    Duplicate(&'static str),
    /// The decoded value is longer than [`MAX_VALUE_LEN`].
    #[error("parameter `{0}` is too long")]
    TooLong(&'static str),
}

/// Decoded `name=value` pairs in their original order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses a query string (without the leading `?`) or an urlencoded form body.
    ///
    /// `+` decodes to a space and `%XX` to its byte; a malformed escape stays literal.
    pub fn parse(input: &[u8]) -> Result<Self, ParamsError> {
        if input.len() > MAX_INPUT_LEN {
            return Err(ParamsError::TooLong { len: input.len() });
        }
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(input) {
            if pairs.len() == MAX_PAIRS {
                return Err(ParamsError::TooManyPairs);
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self { pairs })
    }

    /// Builds parameters from pairs (tests, and callers that already decoded a request).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Serializes back to `application/x-www-form-urlencoded`.
    pub fn encode(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (n, v) in &self.pairs {
            ser.append_pair(n, v);
        }
        ser.finish()
    }

    /// The first value of `name`, if any.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present at all (with any value, even empty).
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// The value of `name` when it appears at most once and is at most
    /// [`MAX_VALUE_LEN`] bytes long. Security-relevant parameters (`service`, `ticket`,
    /// `pgtUrl`, ...) are read through this so that `service=a&service=b` cannot mean one
    /// thing to the server and another to a client.
    pub fn unique(&self, name: &'static str) -> Result<Option<&str>, ParamError> {
        let mut found = None;
        for (n, v) in &self.pairs {
            if n == name {
                if found.is_some() {
                    return Err(ParamError::Duplicate(name));
                }
                found = Some(v.as_str());
            }
        }
        match found {
            Some(v) if v.len() > MAX_VALUE_LEN => Err(ParamError::TooLong(name)),
            other => Ok(other),
        }
    }

    /// A boolean flag in the spec's sense of "if this parameter is set" (§2.1.1 `renew`,
    /// `gateway`; §2.2.1 `warn`; §2.2.2 `rememberMe`): present with any value except a
    /// case-insensitive `false`, `0` or `off`. An empty value (`renew=`) counts as set.
    pub fn flag(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, v)| {
            n == name
                && !(v.eq_ignore_ascii_case("false") || v == "0" || v.eq_ignore_ascii_case("off"))
        })
    }
}

/// Appends `pairs` to the query of `url`, percent-encoding them, keeping any existing
/// query and putting the new pairs before a `#fragment`.
///
/// Used for `service?ticket=ST-…` (§2.2.4, Appendix B) and
/// `pgtUrl?…&pgtId=…&pgtIou=…` (§2.5.4 step 2).
pub fn append_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (n, v) in pairs {
        ser.append_pair(n, v);
    }
    let added = ser.finish();
    let mut out = String::with_capacity(url.len() + added.len() + 1);
    out.push_str(base);
    if !added.is_empty() {
        if !base.contains('?') {
            out.push('?');
        } else if !(base.ends_with('?') || base.ends_with('&')) {
            out.push('&');
        }
        out.push_str(&added);
    }
    out.push_str(fragment);
    out
}

/// The scheme of an absolute `http`/`https` URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`
    Http,
    /// `https://`
    Https,
}

/// Checks that `url` is an absolute `http(s)://host…` URL that is safe to redirect a
/// browser to or to call back ([`crate::url::parse_http`]: the one URL parser): a host a
/// browser reads the same way, no user info (so a sloppy registry pattern like
/// `https://good.example.*` cannot be satisfied by `https://good.example@evil.example/`),
/// no whitespace, control characters, backslashes, quotes, angle brackets or `.`/`..`
/// path segments. Returns its scheme, or `None`.
pub fn http_url_scheme(url: &str) -> Option<Scheme> {
    match parse_http(url).ok()?.scheme() {
        "https" => Some(Scheme::Https),
        _ => Some(Scheme::Http),
    }
}

/// The value of cookie `name` in a `Cookie:` request header (RFC 6265 §5.4: pairs
/// separated by `;`). When a name appears more than once (a cookie set for a wider path or
/// a parent domain), every value is returned in header order so the caller can try them.
pub fn cookie_values<'a>(header: &'a str, name: &str) -> Vec<&'a str> {
    header
        .split(';')
        .filter_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n.trim() == name).then(|| v.trim().trim_matches('"'))
        })
        .collect()
}

/// A fuzz entry point: parses `data` as a query, and when it parses, checks that
/// re-encoding and re-parsing gives the same pairs. Panics only on a broken invariant.
pub fn fuzz_round_trip(data: &[u8]) {
    if let Ok(p) = Params::parse(data) {
        let encoded = p.encode();
        // Re-encoding can only grow by escaping; it may exceed the input limit.
        if encoded.len() <= MAX_INPUT_LEN {
            let again = Params::parse(encoded.as_bytes());
            assert_eq!(again.as_ref(), Ok(&p), "params round trip");
        }
        for (n, _) in p.pairs() {
            let _ = p.first(n);
        }
    }
    if let Ok(s) = core::str::from_utf8(data) {
        let _ = http_url_scheme(s);
        if let Ok(u) = crate::url::Url::parse(s) {
            assert!(s.ends_with(u.after_authority()), "the rest is a suffix");
            let _ = u.origin();
        }
        let _ = cookie_values(s, "TGC");
        let url = append_query(s, &[("ticket", "ST-1")]);
        assert!(url.contains("ticket=ST-1"));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_percent_and_plus() {
        let p =
            Params::parse(b"service=https%3A%2F%2Fapp.example%2F%3Fa%3D1%26b%3D2&renew=true&x=a+b")
                .unwrap();
        assert_eq!(p.first("service"), Some("https://app.example/?a=1&b=2"));
        assert_eq!(p.first("x"), Some("a b"));
        assert!(p.flag("renew"));
        assert!(!p.flag("gateway"));
    }

    #[test]
    fn parameter_names_are_case_sensitive_2_1_1() {
        let p = Params::parse(b"Service=https://a.example/&RENEW=true").unwrap();
        assert_eq!(p.first("service"), None);
        assert!(!p.flag("renew"));
    }

    #[test]
    fn flag_semantics() {
        let p = Params::parse(b"renew=&gateway=false&warn=0&rememberMe=on").unwrap();
        assert!(p.flag("renew"));
        assert!(!p.flag("gateway"));
        assert!(!p.flag("warn"));
        assert!(p.flag("rememberMe"));
    }

    #[test]
    fn duplicates_and_oversize_are_reported() {
        let p = Params::parse(b"ticket=ST-1&ticket=ST-2").unwrap();
        assert_eq!(p.unique("ticket"), Err(ParamError::Duplicate("ticket")));
        let long = format!("service={}", "a".repeat(MAX_VALUE_LEN + 1));
        let p = Params::parse(long.as_bytes()).unwrap();
        assert_eq!(p.unique("service"), Err(ParamError::TooLong("service")));
        assert_eq!(p.unique("ticket"), Ok(None));
    }

    #[test]
    fn limits_on_input() {
        let big = vec![b'a'; MAX_INPUT_LEN + 1];
        assert_eq!(
            Params::parse(&big),
            Err(ParamsError::TooLong {
                len: MAX_INPUT_LEN + 1
            })
        );
        let many = "a=1&".repeat(MAX_PAIRS + 1);
        assert_eq!(
            Params::parse(many.as_bytes()),
            Err(ParamsError::TooManyPairs)
        );
    }

    #[test]
    fn invalid_utf8_and_bad_escapes_do_not_fail() {
        let p = Params::parse(b"a=%ff%fe&b=%zz&c=%").unwrap();
        assert_eq!(p.first("a"), Some("\u{fffd}\u{fffd}"));
        assert_eq!(p.first("b"), Some("%zz"));
        assert_eq!(p.first("c"), Some("%"));
    }

    #[test]
    fn ticket_appended_to_service_without_query_appendix_b() {
        assert_eq!(
            append_query("https://app.example/path", &[("ticket", "ST-abc")]),
            "https://app.example/path?ticket=ST-abc"
        );
    }

    #[test]
    fn ticket_appended_to_service_with_query_and_fragment() {
        assert_eq!(
            append_query("https://app.example/p?x=1#frag", &[("ticket", "ST-abc")]),
            "https://app.example/p?x=1&ticket=ST-abc#frag"
        );
        assert_eq!(
            append_query("https://app.example/p?", &[("ticket", "ST-abc")]),
            "https://app.example/p?ticket=ST-abc"
        );
    }

    #[test]
    fn pgt_url_parameters_preserved_2_5_4() {
        let url = append_query(
            "https://proxy.example/cb?tenant=a%20b&x=1",
            &[("pgtId", "PGT-1"), ("pgtIou", "PGTIOU-2")],
        );
        assert_eq!(
            url,
            "https://proxy.example/cb?tenant=a%20b&x=1&pgtId=PGT-1&pgtIou=PGTIOU-2"
        );
        let query = url.split_once('?').unwrap().1;
        let p = Params::parse(query.as_bytes()).unwrap();
        assert_eq!(p.first("tenant"), Some("a b"));
        assert_eq!(p.first("x"), Some("1"));
        assert_eq!(p.first("pgtIou"), Some("PGTIOU-2"));
    }

    #[test]
    fn appended_values_are_escaped() {
        let url = append_query("https://a.example/", &[("ticket", "x&service=evil#y")]);
        assert_eq!(url, "https://a.example/?ticket=x%26service%3Devil%23y");
    }

    #[test]
    fn http_url_checks() {
        assert_eq!(http_url_scheme("https://a.example/x"), Some(Scheme::Https));
        assert_eq!(http_url_scheme("HTTP://a.example"), Some(Scheme::Http));
        assert_eq!(http_url_scheme("https://a.example?x"), Some(Scheme::Https));
        for bad in [
            "javascript:alert(1)",
            "//evil.example/",
            "https:///path",
            "https://good.example@evil.example/",
            "https://a.example/\\evil",
            "https://a.example/ x",
            "https://a.example/\nx",
            "ftp://a.example/",
            "https://:443/",
            "https://evil.com\\@good.example/",
            "https://good%2eexample/",
            "https://good.example/app/../admin",
            "",
        ] {
            assert_eq!(http_url_scheme(bad), None, "{bad}");
        }
    }

    #[test]
    fn cookie_lookup() {
        let h = "a=1; TGC-casplus=TGT-x; b=2; TGC-casplus=\"TGT-y\"";
        assert_eq!(cookie_values(h, "TGC-casplus"), vec!["TGT-x", "TGT-y"]);
        assert!(cookie_values(h, "TGC").is_empty());
        assert!(cookie_values("", "TGC").is_empty());
    }

    proptest! {
        #[test]
        fn parse_is_total(input in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Params::parse(&input);
        }

        /// The fuzz entry's invariants hold on random and on query-like input.
        #[test]
        fn fuzz_entry_holds(input in proptest::collection::vec(any::<u8>(), 0..512),
                            query in "[a-z%0-9A-F=&+#?]{0,64}") {
            fuzz_round_trip(&input);
            fuzz_round_trip(query.as_bytes());
        }

        #[test]
        fn encode_parse_round_trip(pairs in proptest::collection::vec((".{0,12}", ".{0,24}"), 0..8)) {
            let p = Params::from_pairs(pairs);
            let again = Params::parse(p.encode().as_bytes()).unwrap();
            prop_assert_eq!(again, p);
        }

        #[test]
        fn appended_pair_reads_back(base in "https://[a-z]{1,8}\\.example(/[a-z]{0,5})?(\\?[a-z]=[a-z0-9]{0,3})?",
                                    v in ".{0,40}") {
            let url = append_query(&base, &[("ticket", &v)]);
            prop_assert!(url.starts_with(base.as_str()));
            let query = url.split_once('?').map(|q| q.1).unwrap_or("");
            let p = Params::parse(query.as_bytes()).unwrap();
            prop_assert_eq!(p.first("ticket"), Some(v.as_str()));
        }
    }
}
