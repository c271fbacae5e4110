//! `casplus config check|json`, run as an operator would (issue 9 "Configuration that fails
//! early"): problems come with `FILE:LINE: key.path: message`, and only a clean file converts.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use casplus::site::SiteConfig;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/worker/casplus.example.toml");

fn casplus(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casplus"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("casplus-cli-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn example_checks_clean() {
    let o = casplus(&["config", "check", EXAMPLE], "");
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).ends_with("ok (1 service(s), 1 user(s))\n"),
        "{}",
        out(&o)
    );
}

#[test]
fn json_of_the_example_is_the_development_configuration() {
    let o = casplus(&["config", "json", EXAMPLE], "");
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    assert_eq!(
        text.lines().count(),
        1,
        "one line for `wrangler secret put`"
    );
    let parsed = SiteConfig::from_json(&text).unwrap();
    assert_eq!(parsed, SiteConfig::demo().unwrap());
    // And JSON goes back in unchanged (also from standard input).
    let f = temp("again.json", &text);
    let again = casplus(&["config", "json", &f], "");
    assert_eq!(out(&again), text);
    let stdin = casplus(&["config", "check", "-"], &text);
    assert!(stdin.status.success(), "{}", out(&stdin));
}

const BAD: &str = r#"# a broken configuration
allow_any_service = false

[engine]
defaultSource = "ldap"

[[engine.services]]
id = 1
name = "Everything"
service = { regex = 'https?://.*' }

[[engine.services]]
id = 2
name = "Broken"
service = { regex = '(' }

[engine.tickets]
serviceTicketSeconds = 3600

[users.bob]
password = "Mellon"
"#;

#[test]
fn problems_point_at_their_lines() {
    let f = temp("bad.toml", BAD);
    let o = casplus(&["config", "check", &f], "");
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    let expect = [
        (
            10,
            "engine.services[0].service.regex: matches services on any host",
        ),
        (
            10,
            "engine.services[0].service.regex: accepts plain http://",
        ),
        (
            15,
            "engine.services[1].service.regex: bad regular expression",
        ),
        (
            18,
            "engine.tickets.serviceTicketSeconds: 3600 s is longer than 300 s",
        ),
        (
            5,
            "engine.defaultSource: unknown authentication source \"ldap\"",
        ),
        (21, "users.bob.password: not a $pbkdf2-sha256$"),
    ];
    assert_eq!(lines.len(), expect.len(), "{text}");
    for (line, (n, words)) in lines.iter().zip(expect) {
        assert!(
            line.starts_with(&format!("{f}:{n}: {words}")),
            "{line:?} vs {n}: {words}"
        );
    }
    assert!(err(&o).contains("6 problem(s)"), "{}", err(&o));
    // Nothing is converted.
    let j = casplus(&["config", "json", &f], "");
    assert_eq!(j.status.code(), Some(1));
    assert_eq!(out(&j), "", "nothing for `wrangler secret put`");
    assert!(
        err(&j).contains(&format!("{f}:21: users.bob.password")),
        "{}",
        err(&j)
    );
}

#[test]
fn syntax_and_shape_errors_name_the_line() {
    let f = temp(
        "typo.toml",
        "[engine]\nrememberMe = true\nremember_me = true\n",
    );
    let o = casplus(&["config", "check", &f], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("line 3"), "{}", out(&o));
    assert!(out(&o).contains("remember_me"), "{}", out(&o));
    let f = temp("syntax.toml", "[engine\n");
    let o = casplus(&["config", "check", &f], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("line 1"), "{}", out(&o));
    let f = temp("bad.json", "{\"engine\": {\"cookie\": {\"secure\": 1}}}");
    let o = casplus(&["config", "check", &f], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("line 1 column"), "{}", out(&o));
}

#[test]
fn usage_errors() {
    for args in [
        &["config"][..],
        &["config", "check"],
        &["config", "lint", "x.toml"],
        &["config", "check", "a", "b"],
    ] {
        let o = casplus(args, "");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
    }
    let o = casplus(&["config", "check", "/nonexistent/casplus.toml"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("cannot read"));
    assert!(out(&casplus(&["config", "--help"], "")).contains("wrangler secret put"));
}

const HOSTS: &str = r#"[engine]

[[engine.services]]
id = 1
name = "Any subdomain, the old way"
service = { regex = '^https://[^/]+\.example\.org(/.*)?$' }

[[engine.services]]
id = 2
name = "Any subdomain"
service = { host = "*.example.org", path = '/app([/?#].*)?' }
proxyCallback = { host = ["app.example.org", "www.example.org"], path = '/pgt' }

[[engine.services]]
id = 3
name = "Vouched for"
service = { regex = '^https://[a-z]+\.example\.net(/.*)?$' }
allowRegexHosts = true
"#;

/// Issue 20: a regex that would send tickets to another host is refused with the URL that
/// shows it; the host-pattern syntax and `allowRegexHosts` pass.
#[test]
fn refused_service_regexes_show_the_attacker_url() {
    let f = temp("hosts.toml", HOSTS);
    let o = casplus(&["config", "check", &f], "");
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].starts_with(&format!(
            "{f}:6: engine.services[0].service.regex: the regular expression would accept \
             https://evil.test?.example.org/ (host evil.test)"
        )),
        "{text}"
    );
    let fixed = HOSTS.replace(
        r"service = { regex = '^https://[^/]+\.example\.org(/.*)?$' }",
        r#"service = { host = "*.example.org" }"#,
    );
    let f = temp("hosts-fixed.toml", &fixed);
    let o = casplus(&["config", "check", &f], "");
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let j = casplus(&["config", "json", &f], "");
    let parsed = SiteConfig::from_json(&out(&j)).unwrap();
    let reg = parsed.build().unwrap();
    let r = reg.engine.registry();
    assert_eq!(
        r.find("https://a.b.example.org/").unwrap().definition().id,
        1
    );
    assert_eq!(r.find("https://x.example.net/").unwrap().definition().id, 3);
    assert!(r.find("https://evil.test?.example.org/").is_none());
}
