#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use proptest::prelude::*;

fn host(s: &str) -> Result<String, UrlError> {
    Url::parse(s).map(|u| u.host().to_owned())
}

#[test]
fn splits_every_part() {
    let u = Url::parse("HTTPS://User:pw@App.Example.ORG:8443/a/b?x=1&y=2#frag").unwrap();
    assert_eq!(u.scheme(), "https");
    assert_eq!(u.userinfo(), Some("User:pw"));
    assert_eq!(u.host(), "app.example.org");
    assert_eq!(u.port(), Some(8443));
    assert_eq!(u.path(), "/a/b");
    assert_eq!(u.query(), Some("x=1&y=2"));
    assert_eq!(u.fragment(), Some("frag"));
    assert_eq!(u.after_authority(), "/a/b?x=1&y=2#frag");
    let u = Url::parse("https://a.example?x").unwrap();
    assert_eq!(
        (u.path(), u.query(), u.port_or_default()),
        ("", Some("x"), Some(443))
    );
    let u = Url::parse("http://a.example:/").unwrap();
    assert_eq!((u.port(), u.port_or_default()), (None, Some(80)));
}

#[test]
fn ipv6_hosts_keep_their_brackets() {
    let u = Url::parse("https://[::1]:8443/x").unwrap();
    assert_eq!((u.host(), u.port(), u.path()), ("[::1]", Some(8443), "/x"));
    assert_eq!(host("http://[2001:DB8::1]/"), Ok("[2001:db8::1]".into()));
    for bad in [
        "http://[::1/",
        "http://[]/",
        "http://[::1]x/",
        "http://[g::1]/",
        "http://[127.0.0.1]/",
    ] {
        assert_eq!(host(bad), Err(UrlError::BadHost), "{bad}");
    }
}

/// Where the host ends decides which server a browser visits (WHATWG: the authority of an
/// http(s) URL ends at `/`, `?`, `#` or `\`; user info ends at the last `@`).
#[test]
fn hostile_hosts_are_read_as_a_browser_reads_them() {
    for (url, h) in [
        ("https://evil.com?.example.org/", "evil.com"),
        ("https://evil.com#.example.org/", "evil.com"),
        ("https://evil.com/.example.org/", "evil.com"),
        ("https://a@b/", "b"),
        ("https://app.example.org@evil.com/", "evil.com"),
        ("https://a@b@evil.com/x", "evil.com"),
        (
            "https://app.example.org.evil.com/",
            "app.example.org.evil.com",
        ),
        ("https://APP.Example.ORG/", "app.example.org"),
        ("https://app.example.org./", "app.example.org."),
        ("http://127.0.0.1:8080/", "127.0.0.1"),
        ("http://10.0.0.255/", "10.0.0.255"),
        ("http://1a.example/", "1a.example"),
    ] {
        assert_eq!(host(url), Ok(h.into()), "{url}");
    }
    assert_eq!(Url::parse("https://a@b/").unwrap().userinfo(), Some("a"));
    for (bad, e) in [
        ("https://evil.com\\@app.example.org/", UrlError::Backslash),
        ("https://evil.com\\.example.org/", UrlError::Backslash),
        ("https://evil%2ecom/", UrlError::BadHost),
        ("https://app%2Eexample%2Eorg/", UrlError::BadHost),
        ("https://bücher.example/", UrlError::BadHost),
        ("https://a..example/", UrlError::BadHost),
        ("https://.example/", UrlError::BadHost),
        ("https://*.example.org/", UrlError::BadHost),
        ("https://a.example';x/", UrlError::BadHost),
        ("http://0x7f.0.0.1/", UrlError::BadHost),
        ("http://127.1/", UrlError::BadHost),
        ("http://2130706433/", UrlError::BadHost),
        ("http://127.0.0.01/", UrlError::BadHost),
        ("http://127.0.0.1./", UrlError::BadHost),
        ("http://256.0.0.1/", UrlError::BadHost),
        ("http://app.example.0x1/", UrlError::BadHost),
        ("https:///evil.com/", UrlError::NoHost),
        ("https://:443/", UrlError::NoHost),
        ("https://a.example:x/", UrlError::BadPort),
        ("https://a.example:65536/", UrlError::BadPort),
        ("https://a.example:1:2/", UrlError::BadPort),
        ("https:evil.com/", UrlError::NotAbsolute),
        ("//evil.com/", UrlError::NotAbsolute),
        (
            "javascript:alert(1)//http://a.example/",
            UrlError::BadScheme,
        ),
        ("https://a.example/ x", UrlError::Whitespace),
        ("https://a.example/\tx", UrlError::Whitespace),
        ("https://a.exa\nmple/", UrlError::Whitespace),
        ("", UrlError::NotAbsolute),
    ] {
        assert_eq!(
            Url::parse(bad).map(|u| u.host().to_owned()),
            Err(e),
            "{bad}"
        );
    }
}

#[test]
fn http_urls_for_browsers() {
    assert!(parse_http("https://a.example/x").is_ok());
    assert!(parse_http("HTTP://a.example").is_ok());
    assert!(parse_http("https://a.example/x/..y/.z").is_ok());
    for (bad, e) in [
        ("ftp://a.example/", UrlError::NotHttp),
        ("https://good.example@evil.example/", UrlError::UserInfo),
        ("https://a.example/\\evil", UrlError::Unsafe),
        ("https://a.example/\"x", UrlError::Unsafe),
        ("https://a.example/app/../admin", UrlError::DotSegment),
        ("https://a.example/app/%2E%2e/admin", UrlError::DotSegment),
        ("https://a.example/app/.%2e", UrlError::DotSegment),
        ("https://a.example/./x", UrlError::DotSegment),
    ] {
        assert_eq!(parse_http(bad).map(|_| ()), Err(e), "{bad}");
    }
    // Dots in the query are not path segments.
    assert!(parse_http("https://a.example/app?x=/../").is_ok());
}

#[test]
fn origins_drop_the_default_port() {
    for (url, o) in [
        (
            "http://127.0.0.1:9000/app?x=1",
            Some("http://127.0.0.1:9000"),
        ),
        ("HTTPS://App.Example:443/x", Some("https://app.example")),
        ("http://app.example:80", Some("http://app.example")),
        ("https://app.example:0443/", Some("https://app.example")),
        ("http://[::1]:8080/", Some("http://[::1]:8080")),
        ("https://user@app.example/", None),
        ("ftp://app.example/", None),
    ] {
        assert_eq!(Url::parse(url).unwrap().origin().as_deref(), o, "{url}");
    }
}

proptest! {
    #[test]
    fn parse_is_total(input in ".{0,80}") {
        let _ = Url::parse(&input);
        let _ = parse_http(&input);
    }

    /// Whatever the host-like text after `?`, `#` or `/`, the host is what comes before.
    #[test]
    fn the_host_ends_at_a_delimiter(h in "[a-z]{1,8}(\\.[a-z]{1,8}){0,2}",
                                    d in "[/?#]", rest in "[a-z.?#/@]{0,20}") {
        let url = format!("https://{h}{d}{rest}");
        prop_assert_eq!(host(&url), Ok(h));
    }
}
