//! URLs without the `url` crate: its IDNA/Unicode tables cost ≈ 60 KB of wasm (see
//! bench/RESULTS.md, Worker), and the Worker only needs to split URLs the runtime has
//! already parsed and serialized (WHATWG), and to name the origin of a service URL in a
//! CSP.

/// The parts of a request URL the routes read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestUrl {
    scheme: String,
    host: String,
    path: String,
    query: Option<String>,
}

impl RequestUrl {
    /// The URL of a request, as the runtime serialized it.
    pub fn of(req: &worker::Request) -> Self {
        Self::parse(&req.inner().url())
    }

    /// Splits a serialized absolute URL: `scheme://[userinfo@]host[:port]/path?query#frag`.
    pub fn parse(url: &str) -> Self {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let rest = rest.split('#').next().unwrap_or("");
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        let authority = authority.rsplit('@').next().unwrap_or("");
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (rest, None),
        };
        Self {
            scheme: scheme.to_ascii_lowercase(),
            host: host_of(authority).0.to_ascii_lowercase(),
            path: if path.is_empty() { "/" } else { path }.to_owned(),
            query,
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host (IPv6 in brackets), `None` when empty.
    pub fn host_str(&self) -> Option<&str> {
        Some(self.host.as_str()).filter(|h| !h.is_empty())
    }

    /// The path, at least `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

/// `(host, port)` of an authority without user info.
fn host_of(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => {
                let (host, rest) = authority.split_at(end + 1);
                (host, rest.strip_prefix(':'))
            }
            None => (authority, None),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    }
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL, for `form-action`:
/// lower-case scheme and host, default port dropped. `None` if it has none that can be
/// named in a CSP (another scheme, user info, a host or port that is not plain ASCII
/// letters, digits, dots, dashes — e.g. an IDN not written in punycode).
pub fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return None;
    }
    let (host, port) = host_of(authority);
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty()
            && v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    let port = port.filter(|p| !p.is_empty());
    let port_ok = port.is_none_or(|p| p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if !host_ok || !port_ok {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some(match port.map(|p| p.trim_start_matches('0')) {
        Some(p) if p != default_port => {
            format!("{scheme}://{host}:{}", if p.is_empty() { "0" } else { p })
        }
        _ => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_urls_split() {
        let u = RequestUrl::parse("http://127.0.0.1:8787/cas/login?service=a%3Fb#x");
        assert_eq!(u.scheme(), "http");
        assert_eq!(u.host_str(), Some("127.0.0.1"));
        assert_eq!(u.path(), "/cas/login");
        assert_eq!(u.query(), Some("service=a%3Fb"));
        let u = RequestUrl::parse("https://[::1]:8443?x=1");
        assert_eq!(
            (u.host_str(), u.path(), u.query()),
            (Some("[::1]"), "/", Some("x=1"))
        );
        let u = RequestUrl::parse("https://CAS.Example.org/cas/p3/serviceValidate");
        assert_eq!((u.host_str(), u.query()), (Some("cas.example.org"), None));
    }

    #[test]
    fn origins_like_the_url_standard() {
        for (url, o) in [
            (
                "http://127.0.0.1:9000/app?x=1",
                Some("http://127.0.0.1:9000"),
            ),
            ("https://app.example/", Some("https://app.example")),
            ("HTTPS://App.Example:443/x", Some("https://app.example")),
            ("http://app.example:80", Some("http://app.example")),
            ("http://[::1]:8080/", Some("http://[::1]:8080")),
            ("javascript:alert(1)", None),
            ("not a url", None),
            ("https://user@app.example/", None),
            ("https://app.example:x/", None),
            ("https://app example/", None),
            ("https://bücher.example/", None),
            ("https://a.example';script-src *;/", None),
        ] {
            assert_eq!(origin(url).as_deref(), o, "{url}");
        }
    }
}
