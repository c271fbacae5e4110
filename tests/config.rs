//! The site configuration and its checks (issue 9 "Configuration that fails early"), through
//! the public API: each check is shown to fire on a bad file, name the place, and stay quiet
//! on the good variant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use casplus::cas::auth::AuthResult;
use casplus::cas::config::Problem;
use casplus::password::{MIN_ITERATIONS, Password, hash_password};
use casplus::site::{SiteConfig, check, load_json};
use serde_json::{Value, json};

fn hash() -> String {
    hash_password("pw", b"0123456789abcdef", MIN_ITERATIONS)
}

/// A good configuration with one https service, to be broken by each test.
fn base() -> Value {
    json!({
        "engine": { "services": [
            { "id": 1, "name": "App", "service": { "regex": r"https://app\.example\.org(/.*)?" } }
        ] },
        "users": { "alice": { "password": hash() } }
    })
}

fn problems(v: &Value) -> Vec<Problem> {
    SiteConfig::from_json(&v.to_string()).unwrap().check()
}

/// `(path, message)` pairs, paths rendered.
fn found(v: &Value) -> Vec<(String, String)> {
    problems(v)
        .into_iter()
        .map(|p| (p.path.to_string(), p.message))
        .collect()
}

fn assert_one(v: &Value, path: &str, words: &str) {
    let f = found(v);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].0, path, "{f:#?}");
    assert!(f[0].1.contains(words), "{:?} lacks {words:?}", f[0].1);
}

fn with_service(service: Value) -> Value {
    let mut v = base();
    v["engine"]["services"][0]["service"] = service;
    v
}

#[test]
fn base_configuration_is_clean() {
    assert_eq!(found(&base()), vec![]);
    let site = load_json(&base().to_string()).unwrap();
    assert!(site.tacacs.is_none());
    assert!(
        site.engine
            .registry()
            .find("https://app.example.org/x")
            .is_some()
    );
}

#[cfg(feature = "cli")]
#[test]
fn example_file_is_the_development_configuration_and_passes() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/worker/casplus.example.toml"
    ))
    .unwrap();
    let example: SiteConfig = toml::from_str(&text).unwrap();
    assert_eq!(check(&example), vec![]);
    assert_eq!(example, SiteConfig::demo().unwrap());
    let site = example.build().unwrap();
    let AuthResult::Authenticated { attributes, .. } =
        site.users.authenticate("casuser", &Password::new("Mellon"))
    else {
        panic!("casuser/Mellon rejected")
    };
    assert_eq!(attributes["memberOf"], ["staff", "developers"]);
    assert!(!site.engine.config().cookie.secure);
    let svc = site
        .engine
        .registry()
        .find("http://localhost:9000/app")
        .unwrap();
    assert_eq!(
        svc.check_pgt_url("https://127.0.0.1:8443/pgt"),
        casplus::cas::registry::PgtUrlCheck::Allowed
    );
}

#[test]
fn regular_expressions_must_compile() {
    assert_one(
        &with_service(json!({ "regex": "https://(app" })),
        "engine.services[0].service.regex",
        "bad regular expression",
    );
    let mut v = base();
    v["engine"]["services"][0]["proxyCallback"] =
        json!({ "regex": "https://app\\.example\\.org/[" });
    assert_one(
        &v,
        "engine.services[0].proxyCallback.regex",
        "bad regular expression",
    );
    // The Worker refuses it as a whole, naming the place.
    let err = load_json(&v.to_string()).unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(
        err[0]
            .to_string()
            .starts_with("engine.services[0].proxyCallback.regex: ")
    );
}

#[test]
fn exact_patterns_must_be_http_urls() {
    assert_one(
        &with_service(json!({ "exact": "app.example.org" })),
        "engine.services[0].service.exact",
        "not an absolute http(s) URL",
    );
    assert_eq!(
        found(&with_service(
            json!({ "exact": "https://app.example.org/login" })
        )),
        vec![]
    );
}

#[test]
fn catch_all_service_patterns_need_allow_any_service_2_2_1() {
    for catch_all in [
        ".*",
        "https://.*",
        r"https://[^/]+(/.*)?",
        r"https://.*\.?.*",
    ] {
        let mut v = with_service(json!({ "regex": catch_all }));
        let f = found(&v);
        assert!(
            f.iter()
                .any(|(p, m)| p == "engine.services[0].service.regex" && m.contains("any host")),
            "{catch_all}: {f:#?}"
        );
        v["allow_any_service"] = json!(true);
        assert!(
            !found(&v).iter().any(|(_, m)| m.contains("any host")),
            "{catch_all} allowed explicitly"
        );
    }
    // A proxy callback that matches anywhere is refused the same way (§2.5.4).
    let mut v = base();
    v["engine"]["services"][0]["proxyCallback"] = json!({ "regex": "https://.*" });
    assert_one(&v, "engine.services[0].proxyCallback.regex", "any host");
}

#[test]
fn plain_http_only_on_loopback() {
    for bad in [
        json!({ "exact": "http://app.example.org/" }),
        json!({ "regex": r"http://app\.example\.org/.*" }),
        json!({ "regex": r"https?://app\.example\.org(/.*)?" }),
        // Literal-looking, but not loopback, or not provably so.
        json!({ "regex": r"http://127\.0\.0\.1\.evil\.test/.*" }),
        json!({ "regex": r"http://127.0.0.1/.*" }),
        json!({ "regex": r"http://localhost[a-z.]*/.*" }),
        json!({ "regex": r"(http|https)://(localhost|app\.example\.org)/.*" }),
    ] {
        let f = found(&with_service(bad.clone()));
        assert!(
            f.iter()
                .any(|(p, m)| p.starts_with("engine.services[0].service.")
                    && m.contains("plain http://")),
            "{bad}: {f:#?}"
        );
    }
    for good in [
        json!({ "exact": "http://127.0.0.1:8080/app" }),
        json!({ "exact": "http://[::1]/app" }),
        json!({ "regex": r"^https?://(127\.0\.0\.1|localhost)(:\d+)?(/.*)?$" }),
        json!({ "regex": r"http://\[::1\]:\d+/app" }),
        json!({ "regex": r"^http://127\.0\.0\.1:\d+/app([/?#].*)?$" }),
        json!({ "regex": r"https://app\.example\.org/.*" }),
    ] {
        assert_eq!(found(&with_service(good.clone())), vec![], "{good}");
    }
}

#[test]
fn cookie_without_secure_only_when_every_service_is_on_loopback_3_6_1() {
    let mut v = base();
    v["engine"]["cookie"] = json!({ "secure": false });
    assert_one(&v, "engine.cookie.secure", "loopback");
    v["engine"]["services"][0]["service"] = json!({ "regex": r"http://localhost:\d+/.*" });
    assert_eq!(found(&v), vec![]);
    v["engine"]["cookie"]["name"] = json!("TGC casplus");
    assert_one(&v, "engine.cookie.name", "cookie name");
    v["engine"]["cookie"] = json!({ "secure": false, "path": "cas" });
    assert_one(&v, "engine.cookie.path", "cookie path");
}

#[test]
fn password_hashes_must_be_well_formed() {
    let mut v = base();
    v["users"]["bob"] = json!({ "password": "Mellon" });
    v["users"]["a.b"] = json!({ "password": hash().replace("i=1000", "i=10") });
    let f = found(&v);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(f[0].0, r#"users."a.b".password"#);
    assert!(f[0].1.contains("iteration count"));
    assert_eq!(f[1].0, "users.bob.password");
    assert!(f[1].1.contains("casplus hash-password"));
    let mut v = base();
    v["users"][" alice"] = json!({ "password": hash() });
    assert_one(&v, "users.\" alice\"", "user names");
}

#[test]
fn ticket_lifetimes_are_sane_3_1_1_4_1_5() {
    let cases = [
        (
            json!({ "serviceTicketSeconds": 0 }),
            "engine.tickets.serviceTicketSeconds",
            "positive",
        ),
        (
            json!({ "serviceTicketSeconds": 301 }),
            "engine.tickets.serviceTicketSeconds",
            "five minutes",
        ),
        (
            json!({ "proxyTicketSeconds": -5 }),
            "engine.tickets.proxyTicketSeconds",
            "positive",
        ),
        (
            json!({ "loginTicketSeconds": 86_401 }),
            "engine.tickets.loginTicketSeconds",
            "a day",
        ),
        (
            json!({ "ticketGranting": { "hardSeconds": 3600, "idleSeconds": 0 } }),
            "engine.tickets.ticketGranting.idleSeconds",
            "positive",
        ),
        (
            json!({ "longTerm": { "hardSeconds": 91 * 86_400, "idleSeconds": 3600 } }),
            "engine.tickets.longTerm.hardSeconds",
            "three months",
        ),
    ];
    for (tickets, path, words) in cases {
        let mut v = base();
        v["engine"]["tickets"] = tickets;
        assert_one(&v, path, words);
    }
    let mut v = base();
    v["engine"]["tickets"] = json!({ "serviceTicketSeconds": 300, "loginTicketSeconds": 86_400 });
    assert_eq!(found(&v), vec![]);
    let mut v = base();
    v["engine"]["samlAssertionSeconds"] = json!(0);
    assert_one(&v, "engine.samlAssertionSeconds", "positive");
}

#[test]
fn throttling_settings_are_consistent() {
    let mut v = base();
    v["engine"]["throttle"] = json!({ "lockoutSeconds": 600, "maxLockoutSeconds": 60 });
    assert_one(
        &v,
        "engine.throttle.maxLockoutSeconds",
        "shorter than lockoutSeconds",
    );
    v["engine"]["throttle"] = json!({ "maxFailuresPerUser": 0 });
    assert_one(
        &v,
        "engine.throttle.maxFailuresPerUser",
        "locks everyone out",
    );
    v["engine"]["throttle"] = json!({ "windowSeconds": 0 });
    assert_one(&v, "engine.throttle.windowSeconds", "positive");
    // The slow-down of a user's failures (issue 20 item 3): a delay, doubling up to its maximum.
    v["engine"]["throttle"] = json!({ "userDelaySeconds": 0 });
    assert_one(&v, "engine.throttle.userDelaySeconds", "positive");
    v["engine"]["throttle"] = json!({ "userDelaySeconds": 30, "maxUserDelaySeconds": 10 });
    assert_one(
        &v,
        "engine.throttle.maxUserDelaySeconds",
        "shorter than userDelaySeconds",
    );
    // Off: its numbers do not matter.
    v["engine"]["throttle"] = json!({ "enabled": false, "windowSeconds": 0 });
    assert_eq!(found(&v), vec![]);
}

#[test]
fn service_ids_unique_and_names_present() {
    let mut v = base();
    v["engine"]["services"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "id": 1, "name": " ", "service": { "exact": "https://b.example.org/" } }));
    let f = found(&v);
    assert_eq!(
        f.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["engine.services[1].id", "engine.services[1].name"]
    );
    assert!(f[0].1.contains("engine.services[0]"));
}

/// Each repeat of an id names the entry that used it last before it.
#[test]
fn a_repeated_id_names_the_previous_entry_with_it() {
    let mut v = base();
    let services = v["engine"]["services"].as_array_mut().unwrap();
    for url in ["https://b.example.org/", "https://c.example.org/"] {
        services.push(json!({ "id": 1, "name": "B", "service": { "exact": url } }));
    }
    services
        .push(json!({ "id": 2, "name": "D", "service": { "exact": "https://d.example.org/" } }));
    let f = found(&v);
    assert_eq!(
        f.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["engine.services[1].id", "engine.services[2].id"]
    );
    assert!(f[0].1.contains("engine.services[0];"), "{f:?}");
    assert!(f[1].1.contains("engine.services[1];"), "{f:?}");
}

#[test]
fn authentication_sources_must_exist() {
    let mut v = base();
    v["engine"]["services"][0]["authenticationSource"] = json!("tacacs");
    assert_one(
        &v,
        "engine.services[0].authenticationSource",
        "unknown authentication source",
    );
    v["engine"]["defaultSource"] = json!("ldap");
    assert_eq!(found(&v).len(), 2);
    v["engine"]["defaultSource"] = json!("tacacs");
    v["tacacs"] = json!({ "servers": [{ "host": "127.0.0.1", "key": "k" }] });
    assert_eq!(found(&v), vec![]);
    let site = load_json(&v.to_string()).unwrap();
    assert_eq!(site.tacacs.unwrap().config.servers[0].port, 49);
}

#[test]
fn the_session_lifecycle_is_reported_only_for_tacacs_accounting_rfc8907_7() {
    // The engine builds session lifecycle effects only for an adapter that accounts them.
    let mut v = base();
    assert!(!load_json(&v.to_string()).unwrap().engine.session_effects());
    v["tacacs"] = json!({ "servers": [{ "host": "127.0.0.1", "key": "k" }] });
    assert!(!load_json(&v.to_string()).unwrap().engine.session_effects());
    v["tacacs"]["accounting"] = json!(true);
    assert!(load_json(&v.to_string()).unwrap().engine.session_effects());
}

#[test]
fn the_loaded_tacacs_section_keeps_its_keys_out_of_debug() {
    let mut v = base();
    v["tacacs"] = json!({ "servers": [
        { "host": "127.0.0.1", "key": "inline-sekrit" },
        { "host": "127.0.0.1", "port": 50, "key_secret": "TACACS_KEY" }] });
    let config = SiteConfig::from_json(&v.to_string()).unwrap();
    let secret = |name: &str| (name == "TACACS_KEY").then(|| "resolved-sekrit".to_owned());
    let site = config
        .build_with_secrets(str::to_lowercase, &secret)
        .unwrap();
    let tacacs = site.tacacs.as_ref().unwrap();
    assert!(
        tacacs.json.contains("resolved-sekrit"),
        "the gateway gets the key"
    );
    let debug = format!("{site:?}");
    assert!(debug.contains("Tacacs"), "{debug}");
    assert!(
        !debug.contains("inline-sekrit") && !debug.contains("resolved-sekrit"),
        "{debug}"
    );
    // An unresolved secret is a problem that names the secret.
    let e = config
        .build_with_secrets(str::to_lowercase, &|_| None)
        .unwrap_err();
    assert_eq!(
        e.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["tacacs.servers[1].key_secret: the secret TACACS_KEY is not set"]
    );
}

#[test]
fn tacacs_servers_are_well_formed_rfc8907_4_5() {
    let mut v = base();
    v["tacacs"] = json!({ "servers": [] });
    assert_one(&v, "tacacs", "no TACACS+ server");
    v["tacacs"] = json!({ "servers": [{ "host": "x", "key": "k", "key_hex": "00" }] });
    assert_one(&v, "tacacs", "give exactly one of key / key_hex");
    // A misspelt key is refused by the parser of the whole file, named, with its place.
    v["tacacs"] = json!({ "servers": [{ "host": "x", "key": "k", "typo": 1 }] });
    let e = SiteConfig::from_json(&v.to_string()).unwrap_err();
    assert!(
        e.message.contains("unknown field `typo`") && e.message.contains("line 1 column"),
        "{e}"
    );
    v["tacacs"] = json!({ "servers": [
        { "host": "10.0.0.5", "key": "k" },
        { "host": "tcp://10.0.0.6:49", "port": 0, "key": "", "timeout_ms": 60_000 },
        { "host": "tacacs.example.org", "tls": true },
    ] });
    let f = found(&v);
    assert_eq!(
        f.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        [
            "tacacs.servers[1].host",
            "tacacs.servers[1].port",
            "tacacs.servers[1].key",
            "tacacs.servers[1].timeout_ms"
        ],
        "{f:#?}"
    );
    assert!(f[2].1.contains("§4.5"));
}

#[test]
fn shape_errors_are_reported_not_ignored() {
    for bad in [
        r#"{"engine": {}, "extra": 1}"#,
        r#"{"engine": {"services": [{"id": 1, "name": "a", "service": {"exact": "https://a/"}, "typo": 1}]}}"#,
        r#"{"users": {"u": {"password": 5}}}"#,
        // The `tacacs` section is read in the same parse: its mistakes carry a place too.
        r#"{"tacacs": {"servers": [{"host": "x", "key": "k", "typo": 1}]}}"#,
        r#"{"tacacs": {"servers": [{"host": "x", "key": "k", "timeout_ms": "5s"}]}}"#,
        r#"{"tacacs": {"servers": [{"key": "k"}]}}"#,
        r#"{"tacacs": {"servers": [{"host": "x", "key_secret": 5}]}}"#,
        "{",
    ] {
        let err = SiteConfig::from_json(bad).unwrap_err();
        assert!(err.message.contains("line"), "{bad}: {err}");
        assert!(load_json(bad).is_err());
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let v = json!({
        "engine": {
            "services": [{ "id": 1, "name": "x", "service": { "regex": ".*" } }],
            "tickets": { "serviceTicketSeconds": 0 }
        },
        "users": { "u": { "password": "plain" } }
    });
    let f = found(&v);
    // any host + plain http for the pattern, the lifetime, the hash.
    assert_eq!(f.len(), 4, "{f:#?}");
    assert_eq!(load_json(&v.to_string()).unwrap_err().len(), 4);
}

/// Issue 20: the patterns operators write for "any subdomain" or "this host" also match URLs
/// whose host is the attacker's; the check refuses them and names such a URL.
#[test]
fn regexes_must_spell_their_host_or_be_allowed_issue_20() {
    for (re, attack) in [
        (
            r"^https://[^/]+\.example\.org(/.*)?$",
            "would accept https://evil.test?.example.org/ (host evil.test)",
        ),
        (
            r"^https://[^/#]+\.example\.org(/.*)?$",
            "would accept https://evil.test?.example.org/ (host evil.test)",
        ),
        (
            r"^https://[^/?]+\.example\.org(/.*)?$",
            "would accept https://evil.test#.example.org/ (host evil.test)",
        ),
        (
            r"^https://app\.example\.org.*",
            "would accept https://app.example.org.evil.test/ (host app.example.org.evil.test)",
        ),
    ] {
        let v = with_service(json!({ "regex": re }));
        assert_one(&v, "engine.services[0].service.regex", attack);
        assert!(load_json(&v.to_string()).is_err(), "{re}");
        // The operator may vouch for it, per service.
        let mut allowed = v.clone();
        allowed["engine"]["services"][0]["allowRegexHosts"] = json!(true);
        assert_eq!(found(&allowed), vec![], "{re}");
        assert!(load_json(&allowed.to_string()).is_ok());
    }
    // The same for proxy callbacks (§2.5.4).
    let mut v = base();
    v["engine"]["services"][0]["proxyCallback"] =
        json!({ "regex": r"https://[a-z.?#]+\.example\.org/pgt" });
    assert_one(
        &v,
        "engine.services[0].proxyCallback.regex",
        "so proxy-granting tickets could go to that host",
    );
}

#[test]
fn host_patterns_declare_hosts_by_name() {
    let v = with_service(json!({ "host": "*.example.org", "path": "/app([/?#].*)?" }));
    assert_eq!(found(&v), vec![]);
    let site = load_json(&v.to_string()).unwrap();
    let r = site.engine.registry();
    assert!(r.find("https://a.example.org/app?x=1").is_some());
    assert!(r.find("https://evil.test?.example.org/app").is_none());
    assert!(r.find("https://example.org/app").is_none());
    // Plain http needs loopback hosts, spelled exactly.
    assert_one(
        &with_service(json!({ "host": "*.example.org", "scheme": ["http", "https"] })),
        "engine.services[0].service.host",
        "plain http://",
    );
    let mut v =
        with_service(json!({ "host": ["127.0.0.1", "localhost"], "scheme": "http", "port": "*" }));
    v["engine"]["cookie"] = json!({ "secure": false });
    assert_eq!(found(&v), vec![]);
    // Any host is an open server (§2.2.1).
    assert_one(
        &with_service(json!({ "host": "*" })),
        "engine.services[0].service.host",
        "any host",
    );
    for (bad, words) in [
        (json!({ "host": "*.org" }), "top-level domain"),
        (json!({ "host": "app.example.org/x" }), "not a host name"),
    ] {
        assert_one(&with_service(bad), "engine.services[0].service.host", words);
    }
}
