#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::cas::registry::ServiceRegistry;

fn hosts(re: &str) -> Option<Vec<String>> {
    regex_reach(re).hosts
}

fn pattern(json: &str) -> Pattern {
    serde_json::from_str(json).unwrap()
}

fn matcher(json: &str) -> Matcher {
    Matcher::compile(&pattern(json)).unwrap()
}

/// The three patterns of issue 20 and the URLs that abuse them.
const WILDCARD_QUERY: &str = r"^https://[^/]+\.example\.org(/.*)?$";
const WILDCARD_FRAGMENT: &str = r"^https://[^/#]+\.example\.org(/.*)?$";
const TRAILING_WILDCARD: &str = r"^https://app\.example\.org.*";

#[test]
fn literal_hosts_are_read_conservatively() {
    let demo = r"^https?://(127\.0\.0\.1|localhost)(:\d+)?(/.*)?$";
    assert_eq!(hosts(demo).unwrap(), ["127.0.0.1", "localhost"]);
    assert!(regex_reach(demo).http);
    assert!(!regex_reach(r"https://app\.example\.org/.*").http);
    assert_eq!(
        hosts(r"^http://127\.0\.0\.1:\d+/app([/?#].*)?$").unwrap(),
        ["127.0.0.1"]
    );
    assert_eq!(hosts(r"http://\[::1\]:8080/").unwrap(), ["[::1]"]);
    assert_eq!(
        hosts(r"(http|https)://(localhost|app\.example\.org)/.*").unwrap(),
        ["localhost", "app.example.org"]
    );
    // Unescaped dots, classes, optional hosts and trailing wildcards are not literal.
    assert_eq!(hosts(r"http://127.0.0.1/"), None);
    assert_eq!(hosts(r"http://localhost.*"), None);
    assert_eq!(hosts(r"http://(localhost)?evil\.test/"), None);
    assert_eq!(hosts(r"http://[a-z]+\.test/"), None);
    assert_eq!(hosts(r".*"), None);
    // Neither are the three sloppy patterns of issue 20…
    for re in [WILDCARD_QUERY, WILDCARD_FRAGMENT, TRAILING_WILDCARD] {
        assert_eq!(hosts(re), None, "{re}");
    }
    // …nor a regex with more than one host part.
    assert_eq!(
        hosts(r"(https://a\.example/.*|https://evil\.test/.*)"),
        None
    );
    assert_eq!(hosts(r"https://a\.example/.*|https://evil\.test/.*"), None);
    assert_eq!(
        hosts(r"https://a\.example/[|]"),
        Some(vec!["a.example".into()])
    );
}

#[test]
fn wildcard_hosts_match_on_label_boundaries() {
    let m = matcher(r#"{"host": "*.example.org"}"#);
    for ok in [
        "https://a.example.org/",
        "https://a.b.example.org/x?y#z",
        "https://A.Example.ORG",
        "https://a.example.org:443/",
    ] {
        assert!(m.matches(ok), "{ok}");
    }
    for bad in [
        // The parent itself is not "below" it.
        "https://example.org/",
        "https://evilexample.org/",
        "https://app.example.org.evil.test/",
        "https://a.example.org./",
        "https://evil.test?.example.org/",
        "https://evil.test#.example.org/",
        "https://evil.test/.example.org/",
        "https://evil.test\\.example.org/",
        "https://a.example.org@evil.test/",
        "https://evil.test%2f.example.org/",
        "http://a.example.org/",
        "https://a.example.org:8443/",
        "https://a.example.org/app/../x",
    ] {
        assert!(!m.matches(bad), "{bad}");
    }
}

#[test]
fn url_patterns_take_scheme_port_and_path() {
    let m = matcher(
        r#"{"host": ["127.0.0.1", "localhost"], "scheme": ["http", "https"], "port": "*",
            "path": "/app([/?#].*)?"}"#,
    );
    assert!(m.matches("http://127.0.0.1:9000/app"));
    assert!(m.matches("https://localhost/app?x=1"));
    assert!(!m.matches("http://127.0.0.1:9000/application"));
    assert!(!m.matches("http://127.0.0.2:9000/app"));
    let m = matcher(r#"{"host": "app.example.org", "port": 8443}"#);
    assert!(m.matches("https://app.example.org:8443/"));
    assert!(!m.matches("https://app.example.org/"));
    let m = matcher(r#"{"host": "[::1]", "scheme": "http", "path": "/x"}"#);
    assert!(m.matches("http://[::1]/x"));
    assert!(m.matches("http://[::1]:80/x"));
    assert!(!m.matches("http://[::1]:8080/x"));
}

#[test]
fn bad_url_patterns_are_refused() {
    for (json, words) in [
        (r#"{"host": "*.org"}"#, "top-level domain"),
        (r#"{"host": "app.example.org/x"}"#, "not a host name"),
        (r#"{"host": "app.example.org:443"}"#, "not a host name"),
        (r#"{"host": "user@app.example.org"}"#, "not a host name"),
        (r#"{"host": "*app.example.org"}"#, "not a host name"),
        (r#"{"host": []}"#, "no host"),
        (r#"{"host": "a.example", "scheme": "ftp"}"#, "scheme"),
        (
            r#"{"host": "a.example", "path": "("}"#,
            "bad regular expression",
        ),
    ] {
        let e = Matcher::compile(&pattern(json)).unwrap_err().to_string();
        assert!(e.contains(words), "{json}: {e}");
    }
    for shape in [
        r#"{"exact": "https://a/", "regex": "x"}"#,
        r#"{"regex": "x", "path": "/"}"#,
        r#"{"path": "/"}"#,
        r#"{"host": "a.example", "port": "any"}"#,
        r#"{"host": "a.example", "typo": 1}"#,
        r#"{}"#,
    ] {
        assert!(serde_json::from_str::<Pattern>(shape).is_err(), "{shape}");
    }
}

#[test]
fn patterns_round_trip_through_serde() {
    for json in [
        r#"{"exact":"https://a.example/"}"#,
        r#"{"regex":"https://a\\.example/.*"}"#,
        r#"{"host":"*.example.org"}"#,
        r#"{"scheme":["http","https"],"host":["a.example","b.example"],"port":"*","path":"/x"}"#,
        r#"{"host":"a.example","port":8443}"#,
    ] {
        let p = pattern(json);
        assert_eq!(serde_json::to_string(&p).unwrap(), json);
    }
    assert_eq!(
        pattern(r#"{"host": "a.example"}"#),
        Pattern::Url(UrlPattern {
            schemes: vec!["https".into()],
            hosts: vec!["a.example".into()],
            port: PortRule::Default,
            path: None,
        })
    );
}

/// A regex that spells its host is also held to it by the parsed host: text that matches
/// but names another server is refused.
#[test]
fn literal_regex_hosts_are_enforced_on_the_parsed_host() {
    let m = matcher(r#"{"regex": "https://app\\.example\\.org(:.*)?"}"#);
    assert!(m.matches("https://app.example.org:443"));
    assert!(!m.matches("https://app.example.org:@evil.test"));
    let m = matcher(r#"{"regex": "https://app\\.example\\.org(/|\\.).*"}"#);
    assert!(m.matches("https://app.example.org/x"));
    assert!(!m.matches("https://app.example.org.evil.test/"));
}

#[test]
fn sloppy_regexes_are_unproven_with_an_attacker_url() {
    for (re, url, host) in [
        (
            WILDCARD_QUERY,
            "https://evil.test?.example.org/",
            "evil.test",
        ),
        (
            WILDCARD_FRAGMENT,
            "https://evil.test?.example.org/",
            "evil.test",
        ),
        (
            r"^https://[^/?]+\.example\.org(/.*)?$",
            "https://evil.test#.example.org/",
            "evil.test",
        ),
        (
            TRAILING_WILDCARD,
            "https://app.example.org.evil.test/",
            "app.example.org.evil.test",
        ),
        (
            r"https://[a-z]*example\.org/.*",
            "https://evilexample.org/",
            "evilexample.org",
        ),
    ] {
        let p = Pattern::Regex(re.into());
        let m = Matcher::compile(&p).unwrap();
        assert!(m.matches(url), "{re} accepts {url}");
        assert_eq!(
            host_proof(&p, &m),
            HostProof::Unproven {
                example: Some((url.into(), host.into()))
            },
            "{re}"
        );
    }
    let literal = Pattern::Regex(r"^https://app\.example\.org(/.*)?$".into());
    let m = Matcher::compile(&literal).unwrap();
    assert_eq!(host_proof(&literal, &m), HostProof::Literal);
    let declared = pattern(r#"{"host": "*.example.org"}"#);
    let m = Matcher::compile(&declared).unwrap();
    assert_eq!(host_proof(&declared, &m), HostProof::Literal);
}

/// The registry (what the engine asks at `/login`, the validation endpoints, `/logout`,
/// single logout and `/proxy`) never covers the attacker URLs with the safe patterns.
#[test]
fn registry_refuses_attacker_urls_with_host_patterns() {
    let r = ServiceRegistry::from_json(
        r#"[{"id": 1, "name": "Any subdomain", "service": {"host": "*.example.org"},
             "proxyCallback": {"host": "*.example.org", "path": "/pgt(\\?.*)?"}},
            {"id": 2, "name": "App", "service": {"regex": "^https://app\\.example\\.org(/|\\.).*"}}]"#,
    )
    .unwrap();
    assert_eq!(
        r.find("https://a.example.org/x").unwrap().definition().id,
        1
    );
    for evil in [
        "https://evil.test?.example.org/",
        "https://evil.test#.example.org/",
        "https://app.example.org.evil.test/",
        "https://app.example.org@evil.test/",
        "https://evil.test\\@app.example.org/",
    ] {
        assert!(r.find(evil).is_none(), "{evil}");
    }
    let svc = r.find("https://a.example.org/").unwrap();
    use crate::cas::registry::PgtUrlCheck;
    assert_eq!(
        svc.check_pgt_url("https://b.example.org/pgt?x=1"),
        PgtUrlCheck::Allowed
    );
    assert_eq!(
        svc.check_pgt_url("https://evil.test?.example.org/pgt"),
        PgtUrlCheck::InvalidCallback
    );
}

#[test]
fn names_and_what_follows_them_are_read_from_regexes() {
    let n = |re: &str| spelled_names(re);
    assert_eq!(
        n(r"^https://[^/]+\.example\.org(/.*)?$"),
        [("example.org".into(), String::new())]
    );
    assert_eq!(
        n(r"^https://app\.example\.org.*"),
        [("app.example.org".into(), String::new())]
    );
    assert_eq!(
        n(r"https://[a-z.?#]+\.example\.org/pgt(\?.*)?"),
        [("example.org".into(), "/pgt".into())]
    );
    assert_eq!(
        n(r"https://[a-z]+/\d+"),
        [("example.org".into(), String::new())]
    );
}

/// The attacker URLs are filled in from shapes ([`ATTACKER_SHAPES`]); this is the list the
/// `format!`s they replaced wrote, in the same order.
#[test]
fn attacker_urls_are_the_shapes_in_order() {
    let with_tail = [
        "https://evil.test?.example.org/pgt",
        "https://evil.test#.example.org/pgt",
        "https://evil.test/.example.org/pgt",
        "https://evil.test?example.org/pgt",
        "https://evil.test/example.org/pgt",
        "https://example.org.evil.test/pgt",
        "https://example.org-evil.test/pgt",
        "https://evil-example.org/pgt",
        "https://evilexample.org/pgt",
        "https://evil.test/",
    ];
    assert_eq!(attacker_urls("https", "example.org", "/pgt"), with_tail);
    let bare = [
        "http://evil.test?.a.example/",
        "http://evil.test#.a.example/",
        "http://evil.test/.a.example/",
        "http://evil.test?a.example/",
        "http://evil.test/a.example/",
        "http://a.example.evil.test/",
        "http://a.example-evil.test/",
        "http://evil-a.example/",
        "http://evila.example/",
        "http://evil.test?.a.example",
        "http://evil.test#.a.example",
        "http://evil.test/?a.example",
        "http://a.example.evil.test",
        "http://evil.test/",
    ];
    assert_eq!(attacker_urls("http", "a.example", ""), bare);
}

/// `host`, `scheme` and `port` take a value or a list / a number or `"*"`, and nothing
/// else (read by visitors of their own, not serde's untagged buffering).
#[test]
fn pattern_parts_take_only_their_shapes() {
    let m = matcher(r#"{"host": ["a.example"], "scheme": "http", "port": 0}"#);
    assert!(m.matches("http://a.example:0/"));
    for bad in [
        r#"{"host": "a.example", "port": 65536}"#,
        r#"{"host": "a.example", "port": -1}"#,
        r#"{"host": "a.example", "port": 1.5}"#,
        r#"{"host": "a.example", "port": ["*"]}"#,
        r#"{"host": 7}"#,
        r#"{"host": ["a.example", 7]}"#,
        r#"{"host": {"a": "b"}}"#,
        r#"{"host": "a.example", "scheme": true}"#,
    ] {
        assert!(serde_json::from_str::<Pattern>(bad).is_err(), "{bad}");
    }
}

/// The CLI reads TOML, which hands integers over as `i64`.
#[cfg(feature = "cli")]
#[test]
fn toml_ports_are_read() {
    let toml: Pattern = toml::from_str("host = 'a.example'\nport = 8443").unwrap();
    let Pattern::Url(u) = toml else { panic!() };
    assert_eq!(u.port, PortRule::Number(8443));
}
