//! URLs without the `url` crate: its IDNA/Unicode tables cost ≈ 60 KB of wasm (see
//! bench/RESULTS.md, Worker), and the Worker only needs to split URLs the runtime has
//! already parsed and serialized (WHATWG), and to name the origin of a service URL in a
//! CSP. Both go through the core's one parser, [`casplus::url`].

use casplus::url::Url;

/// The parts of a request URL the routes read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestUrl {
    scheme: String,
    host: String,
    origin: Option<String>,
    path: String,
    query: Option<String>,
}

impl RequestUrl {
    /// The URL of a request, as the runtime serialized it.
    pub fn of(req: &worker::web_sys::Request) -> Self {
        Self::parse(&req.url())
    }

    /// Splits a serialized absolute URL with the core's one parser ([`Url::parse`]). A URL
    /// it refuses (the runtime never serializes one) gives an empty scheme and host and the
    /// path `/`.
    pub fn parse(url: &str) -> Self {
        match Url::parse(url) {
            Ok(u) => Self {
                scheme: u.scheme().to_owned(),
                host: u.host().to_owned(),
                origin: u.origin(),
                path: if u.path().is_empty() { "/" } else { u.path() }.to_owned(),
                query: u.query().map(str::to_owned),
            },
            Err(_) => Self {
                scheme: String::new(),
                host: String::new(),
                origin: None,
                path: "/".to_owned(),
                query: None,
            },
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

    /// The origin `scheme://host[:port]` (default port left out), if http(s).
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
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

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL, for `form-action`:
/// [`Url::origin`] (lower-case scheme and host, default port dropped), `None` if it has
/// none that can be named in a CSP host-source (another scheme, user info, a host that is
/// not ASCII letters, digits, dots and dashes — e.g. an IDN not written in punycode).
pub fn origin(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    let csp_host = u.host().starts_with('[')
        || u.host()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !csp_host {
        return None;
    }
    u.origin()
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
        assert_eq!(u.origin(), Some("http://127.0.0.1:8787"));
        let u = RequestUrl::parse("https://[::1]:8443?x=1");
        assert_eq!(u.origin(), Some("https://[::1]:8443"));
        assert_eq!(
            (u.host_str(), u.path(), u.query()),
            (Some("[::1]"), "/", Some("x=1"))
        );
        let u = RequestUrl::parse("https://CAS.Example.org/cas/p3/serviceValidate");
        assert_eq!((u.host_str(), u.query()), (Some("cas.example.org"), None));
        assert_eq!(u.origin(), Some("https://cas.example.org"));
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
