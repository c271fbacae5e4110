//! Tests of the server policy and its connection machine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::password::hash_password;
use crate::tacacs::enums::{AcctFlags, AuthenMethod, PrivLvl};
use crate::tacacs::session::SessionConfig;

const SALT: &[u8] = b"0123456789abcdef";

fn config() -> String {
    let h = |pw: &str| hash_password(pw, SALT, 1000);
    serde_json::json!({
        "comment": "unit-test policy",
        "clients": [
            {"network": "127.0.0.0/8", "key": "wide"},
            {"network": "127.0.0.1", "key": "narrow"},
            {"network": "10.0.0.0/8", "key_hex": "0x6869"},
            {"network": "2001:db8::/32", "key": "six"}
        ],
        "groups": {
            "netops": {
                "services": [
                    {"service": "casplus", "args": ["groups=netops", "priv-lvl=15"]},
                    {"service": "ppp", "protocol": "ip", "args": ["addr*10.0.0.9"]}
                ],
                "commands": [{"permit": "show .*"}, {"deny": "reload.*"}]
            },
            "audit": {
                "services": [{"service": "casplus", "args": ["groups=audit", "priv-lvl=3"]}],
                "commands": [{"permit": "reload in .*"}]
            }
        },
        "users": {
            "alice": {
                "login": h("alice-pw"),
                "enable": h("alice-enable"),
                "chap": "alice-chap",
                "groups": ["netops", "audit"],
                "services": [{"service": "casplus", "args": ["mail=alice@example.net"]}],
                "commands": [{"deny": "show secrets"}]
            },
            "bob": {"pap": h("bob-pap"), "groups": ["audit"],
                    "services": [{"service": "casplus", "args": ["priv-lvl=1"]}]},
            "carol": {"login": h("carol-pw")}
        }
    })
    .to_string()
}

fn policy() -> Policy {
    Policy::from_json(&config()).unwrap()
}

fn author(user: &str, args: &[&str]) -> AuthorRequest {
    AuthorRequest {
        authen_method: AuthenMethod::TACACSPLUS,
        priv_lvl: PrivLvl::USER,
        authen_type: AuthenType::PAP,
        authen_service: AuthenService::LOGIN,
        user: user.as_bytes().to_vec(),
        args: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

fn args(r: &AuthorResponse) -> Vec<String> {
    r.args
        .iter()
        .map(|a| String::from_utf8(a.clone()).unwrap())
        .collect()
}

#[test]
fn passwords_are_checked_against_the_cas_hash_format() {
    let p = Policy::from_json(
        &serde_json::json!({"users": {"u": {"pap": hash_password("pw", SALT, 1000)}}}).to_string(),
    )
    .unwrap();
    let pap = |pw: &[u8]| p.authen_start(&AuthenStart::pap(b"u", pw, b"", b"")).note;
    assert_eq!(pap(b"pw"), "pass");
    assert_eq!(pap(b"pW"), "bad password");
    assert_eq!(pap(b"pw\xff"), "bad password", "not UTF-8: cannot match");
    assert_eq!(pap(&[b'x'; MAX_PASSWORD_LEN + 1]), "over-long password");
}

#[test]
fn bad_hashes_and_configs_are_refused_with_a_path() {
    for (bad, why) in [
        ("pw", "not a $pbkdf2"),
        (
            "$pbkdf2-sha256$i=10$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
            "iteration",
        ),
        ("$pbkdf2-sha256$i=1000$!!$AAAA", "salt"),
        (
            "$pbkdf2-sha256$i=1000$MDEyMzQ1Njc4OWFiY2RlZg$AAAA",
            "encoding",
        ),
    ] {
        let cfg = serde_json::json!({"users": {"u": {"login": bad}}}).to_string();
        let e = Policy::from_json(&cfg).unwrap_err();
        assert_eq!(e.path, "users.u.login");
        assert!(e.message.contains(why), "{e}");
    }
    let e = Policy::from_json(r#"{"users": {"u": {"groups": ["nope"]}}}"#).unwrap_err();
    assert_eq!(e.path, "users.u.groups");
    let e =
        Policy::from_json(r#"{"clients": [{"network": "10.0.0.1/8", "key": "k"}]}"#).unwrap_err();
    assert!(e.message.contains("host bits"), "{e}");
    let e = Policy::from_json(r#"{"clients": [{"network": "10.0.0.0/8"}]}"#).unwrap_err();
    assert_eq!(e.path, "clients[0]");
    let e = Policy::from_json(
        r#"{"groups": {"g": {"services": [{"service": "x", "args": ["novalue"]}]}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "groups.g.services[0].args[0]");
    let e = Policy::from_json(r#"{"groups": {"g": {"commands": [{"permit": "("}]}}}"#).unwrap_err();
    assert_eq!(e.path, "groups.g.commands[0]");
    let e = Policy::from_json(r#"{"userz": {}}"#).unwrap_err();
    assert_eq!(e.path, "$");
}

#[test]
fn debug_output_holds_no_secret() {
    let p = policy();
    let dbg = format!("{p:?}");
    for secret in ["alice-chap", "wide", "narrow", "six", "hi"] {
        assert!(!dbg.contains(&format!("\"{secret}\"")), "{secret} in {dbg}");
    }
    assert!(!dbg.contains("alice-chap"));
}

#[test]
fn key_is_chosen_by_longest_prefix_per_client_network_4_5() {
    let p = policy();
    let k = |a: &str| p.key_for(a.parse().unwrap()).map(|k| k.as_bytes().to_vec());
    assert_eq!(k("127.0.0.1"), Some(b"narrow".to_vec()));
    assert_eq!(k("127.0.0.2"), Some(b"wide".to_vec()));
    assert_eq!(k("::ffff:127.0.0.2"), Some(b"wide".to_vec()), "v4-mapped");
    assert_eq!(k("10.200.0.1"), Some(b"hi".to_vec()));
    assert_eq!(k("2001:db8:1::7"), Some(b"six".to_vec()));
    assert_eq!(k("2001:db9::1"), None);
    assert_eq!(k("192.168.1.1"), None);
    assert!(
        Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap())
    );
    assert!(
        !Cidr::parse("::/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap())
    );
    assert!(Cidr::parse("10.0.0.0/33").is_err());
    assert_eq!(Cidr::parse("::1").unwrap().to_string(), "::1/128");
}

#[test]
fn pap_checks_the_pap_secret_or_falls_back_to_login_5_4_2_2() {
    let p = policy();
    let pap = |u: &str, pw: &str| {
        p.authen_start(&AuthenStart::pap(u.as_bytes(), pw.as_bytes(), b"", b""))
    };
    assert_eq!(pap("bob", "bob-pap").reply.status, AuthenStatus::PASS);
    assert_eq!(
        pap("alice", "alice-pw").reply.status,
        AuthenStatus::PASS,
        "login fallback"
    );
    let bad = pap("bob", "nope");
    assert_eq!(bad.reply.status, AuthenStatus::FAIL);
    assert_eq!(bad.note, "bad password");
    let unknown = pap("mallory", "x");
    assert_eq!(unknown.reply.status, AuthenStatus::FAIL);
    assert_eq!(unknown.note, "unknown user");
    assert_eq!(
        unknown.reply.server_msg, bad.reply.server_msg,
        "unknown user and bad password look the same to the client"
    );
    assert!(bad.flow.is_none());
}

#[test]
fn ascii_login_asks_user_then_password_without_echo_5_4_2_1() {
    let p = policy();
    let s = p.authen_start(&AuthenStart::ascii_login(b"", b"tty0", b"10.0.0.1"));
    assert_eq!(s.reply.status, AuthenStatus::GETUSER);
    assert!(!s.reply.flags.contains(ReplyFlags::NOECHO));
    let cont = |m: &str| AuthenContinue {
        user_msg: m.as_bytes().to_vec(),
        ..Default::default()
    };
    let s = p.authen_continue(s.flow.unwrap(), &cont("alice"));
    assert_eq!(s.reply.status, AuthenStatus::GETPASS);
    assert!(
        s.reply.flags.contains(ReplyFlags::NOECHO),
        "§5.4.2.1: no echo"
    );
    let flow = s.flow.unwrap();
    assert_eq!(
        p.authen_continue(flow.clone(), &cont("alice-pw"))
            .reply
            .status,
        AuthenStatus::PASS
    );
    assert_eq!(
        p.authen_continue(flow, &cont("wrong")).reply.status,
        AuthenStatus::FAIL
    );
    // With the user in the START, straight to GETPASS.
    let s = p.authen_start(&AuthenStart::ascii_login(b"carol", b"", b""));
    assert_eq!(s.reply.status, AuthenStatus::GETPASS);
    // bob has only a PAP secret: ASCII login fails.
    let s = p.authen_start(&AuthenStart::ascii_login(b"bob", b"", b""));
    assert_eq!(
        p.authen_continue(s.flow.unwrap(), &cont("bob-pap")).note,
        "no secret of this kind for the user"
    );
}

#[test]
fn ascii_login_gives_up_after_empty_usernames() {
    let p = policy();
    let mut s = p.authen_start(&AuthenStart::ascii_login(b"", b"", b""));
    let mut prompts = 1;
    while s.reply.status == AuthenStatus::GETUSER {
        s = p.authen_continue(s.flow.unwrap(), &AuthenContinue::default());
        prompts += 1;
    }
    assert_eq!(s.reply.status, AuthenStatus::FAIL);
    assert_eq!(prompts, usize::from(MAX_USER_PROMPTS) + 1);
}

#[test]
fn enable_request_checks_the_enable_secret_5_4_2_6() {
    let p = policy();
    let mut start = AuthenStart::ascii_login(b"alice", b"", b"");
    start.authen_service = AuthenService::ENABLE;
    let s = p.authen_start(&start);
    assert_eq!(s.reply.status, AuthenStatus::GETPASS);
    let cont = |m: &str| AuthenContinue {
        user_msg: m.as_bytes().to_vec(),
        ..Default::default()
    };
    let flow = s.flow.unwrap();
    assert_eq!(
        p.authen_continue(flow.clone(), &cont("alice-enable"))
            .reply
            .status,
        AuthenStatus::PASS
    );
    assert_eq!(
        p.authen_continue(flow, &cont("alice-pw")).reply.status,
        AuthenStatus::FAIL,
        "the login password is not the enable password"
    );
}

#[test]
fn chap_response_is_md5_of_id_secret_challenge_5_4_2_3() {
    let p = policy();
    let challenge = b"0123456789abcdef";
    let response = |secret: &[u8]| -> [u8; 16] {
        let mut m = Md5::new();
        m.update([7u8]);
        m.update(secret);
        m.update(challenge);
        m.finalize().into()
    };
    let ok = AuthenStart::chap_login(b"alice", b"", b"", 7, challenge, &response(b"alice-chap"));
    assert_eq!(p.authen_start(&ok).reply.status, AuthenStatus::PASS);
    let bad = AuthenStart::chap_login(b"alice", b"", b"", 7, challenge, &response(b"alice-pw"));
    assert_eq!(p.authen_start(&bad).reply.status, AuthenStatus::FAIL);
    let no_secret = AuthenStart::chap_login(b"bob", b"", b"", 7, challenge, &response(b""));
    assert_eq!(p.authen_start(&no_secret).reply.status, AuthenStatus::FAIL);
    let mut short = ok.clone();
    short.data.truncate(10);
    assert_eq!(p.authen_start(&short).note, "malformed CHAP data");
}

#[test]
fn unsupported_types_and_actions_fail_with_a_message() {
    let p = policy();
    let mut s = AuthenStart::pap(b"alice", b"alice-pw", b"", b"");
    s.authen_type = AuthenType::MSCHAPV2;
    let r = p.authen_start(&s);
    assert_eq!(r.reply.status, AuthenStatus::FAIL);
    assert!(String::from_utf8_lossy(&r.reply.server_msg).contains("MS-CHAP"));
    let mut s = AuthenStart::ascii_login(b"alice", b"", b"");
    s.action = AuthenAction::CHPASS;
    assert_eq!(p.authen_start(&s).note, "unsupported action");
}

#[test]
fn service_authorization_merges_user_and_group_pairs_6_2() {
    let p = policy();
    let d = p.authorize(&author("alice", &["service=casplus"]));
    assert_eq!(d.response.status, AuthorStatus::PASS_ADD);
    assert_eq!(
        args(&d.response),
        [
            "mail=alice@example.net",
            "groups=netops",
            "priv-lvl=15",
            "groups=audit",
            "priv-lvl=3"
        ]
    );
    // The user's own priv-lvl hides the groups' values.
    let d = p.authorize(&author("bob", &["service=casplus"]));
    assert_eq!(args(&d.response), ["priv-lvl=1", "groups=audit"]);
    // carol has no rule for the service.
    let d = p.authorize(&author("carol", &["service=casplus"]));
    assert_eq!(d.response.status, AuthorStatus::FAIL);
    assert_eq!(
        p.authorize(&author("mallory", &["service=casplus"]))
            .response
            .status,
        AuthorStatus::FAIL
    );
    assert_eq!(
        p.authorize(&author("alice", &["protocol=ip"]))
            .response
            .status,
        AuthorStatus::FAIL,
        "no service"
    );
}

#[test]
fn pass_add_omits_pairs_the_request_already_has_and_repl_replaces_6_2() {
    let p = policy();
    let d = p.authorize(&author("bob", &["service=casplus", "priv-lvl*1"]));
    assert_eq!(d.response.status, AuthorStatus::PASS_ADD);
    assert_eq!(args(&d.response), ["groups=audit"]);
    let d = p.authorize(&author(
        "bob",
        &["service=casplus", "priv-lvl*9", "cas-service*https://a"],
    ));
    assert_eq!(d.response.status, AuthorStatus::PASS_REPL);
    assert_eq!(
        args(&d.response),
        [
            "service=casplus",
            "cas-service*https://a",
            "priv-lvl=1",
            "groups=audit"
        ]
    );
}

#[test]
fn protocol_must_match_when_the_rule_names_one_8_2() {
    let p = policy();
    let d = p.authorize(&author("alice", &["service=ppp", "protocol=ip"]));
    assert_eq!(d.response.status, AuthorStatus::PASS_ADD);
    assert_eq!(args(&d.response), ["addr*10.0.0.9"]);
    let d = p.authorize(&author("alice", &["service=ppp", "protocol=lcp"]));
    assert_eq!(d.response.status, AuthorStatus::FAIL);
}

#[test]
fn shell_commands_first_matching_rule_decides_8_2() {
    let p = policy();
    let cmd = |u: &str, c: &[&str]| {
        let mut a = vec!["service=shell".to_string(), format!("cmd={}", c[0])];
        a.extend(c[1..].iter().map(|x| format!("cmd-arg={x}")));
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        p.authorize(&author(u, &refs)).response.status
    };
    assert_eq!(
        cmd("alice", &["show", "version", "<cr>"]),
        AuthorStatus::PASS_ADD
    );
    assert_eq!(
        cmd("alice", &["show", "secrets"]),
        AuthorStatus::FAIL,
        "user rule first"
    );
    assert_eq!(cmd("alice", &["reload"]), AuthorStatus::FAIL, "netops deny");
    assert_eq!(
        cmd("alice", &["reload", "in", "5"]),
        AuthorStatus::FAIL,
        "netops 'reload.*' deny comes before audit's permit"
    );
    assert_eq!(cmd("bob", &["reload", "in", "5"]), AuthorStatus::PASS_ADD);
    assert_eq!(
        cmd("bob", &["show", "version"]),
        AuthorStatus::FAIL,
        "no match → deny"
    );
    assert_eq!(
        cmd("alice", &["xshow", "version"]),
        AuthorStatus::FAIL,
        "whole line"
    );
    // An empty cmd is a shell start request: service authorization.
    assert_eq!(
        p.authorize(&author("alice", &["service=shell", "cmd="]))
            .response
            .status,
        AuthorStatus::FAIL,
        "no shell service rule"
    );
}

#[test]
fn server_connection_bounds_open_ascii_dialogues_4_3() {
    use crate::tacacs::session::{Client, ClientEvent};
    let p = policy();
    let mut sc = ServerConnection::new(&p, "127.0.0.1".parse().unwrap()).unwrap();
    let mut cfg = SessionConfig::new(Key::from_text("narrow"));
    cfg.single_connect = true;
    let mut c = Client::new(cfg);
    let mut statuses = Vec::new();
    for i in 0..(MAX_OPEN_DIALOGUES as u32 + 3) {
        let t = c
            .start_authen(&i.to_be_bytes(), AuthenStart::ascii_login(b"", b"", b""))
            .unwrap();
        let out = sc.handle_input(&p, &t.bytes, Timestamp(0));
        assert!(!out.close);
        for ev in c.handle_input(&out.send) {
            let ClientEvent::AuthenReply { reply, .. } = ev else {
                panic!("{ev:?}")
            };
            statuses.push(reply.status);
        }
    }
    assert_eq!(statuses.len(), MAX_OPEN_DIALOGUES + 3);
    assert!(
        statuses[..MAX_OPEN_DIALOGUES]
            .iter()
            .all(|s| *s == AuthenStatus::GETUSER)
    );
    assert!(
        statuses[MAX_OPEN_DIALOGUES..]
            .iter()
            .all(|s| *s == AuthenStatus::ERROR)
    );
}

#[test]
fn server_connection_logs_requests_without_secrets() {
    let p = policy();
    let mut sc = ServerConnection::new(&p, "127.0.0.1".parse().unwrap()).unwrap();
    assert!(ServerConnection::new(&p, "192.168.0.1".parse().unwrap()).is_none());
    let key = Key::from_text("narrow");
    let mut c = crate::tacacs::session::Client::new(SessionConfig::new(key));
    let t = c
        .start_authen(
            &[1, 2, 3, 4],
            AuthenStart::pap(b"bob", b"bob-pap", b"tty1", b"10.1.1.1"),
        )
        .unwrap();
    let out = sc.handle_input(&p, &t.bytes, Timestamp(0));
    assert_eq!(
        out.log,
        ["#01020304 authen LOGIN PAP LOGIN user=\"bob\" -> PASS (pass)"]
    );
    assert!(
        out.close,
        "no single-connect asked: close after the session (§4.3)"
    );
    assert!(!format!("{out:?}").contains("bob-pap"));
}

#[test]
fn accounting_record_is_json_with_the_given_time_7_1_8_3() {
    let p = policy();
    let req = AcctRequest {
        flags: AcctFlags::START,
        authen_method: AuthenMethod::TACACSPLUS,
        priv_lvl: PrivLvl::USER,
        authen_type: AuthenType::PAP,
        authen_service: AuthenService::LOGIN,
        user: b"alice".to_vec(),
        port: b"casplus".to_vec(),
        rem_addr: b"192.0.2.1".to_vec(),
        args: vec![
            b"task_id=t1".to_vec(),
            b"start_time=1700000000".to_vec(),
            b"service=casplus".to_vec(),
        ],
        ..Default::default()
    };
    let ctx = AcctContext {
        client: "127.0.0.1".parse().unwrap(),
        session_id: 42,
        now: Timestamp(1_700_000_000_123),
    };
    let d = p.account(&req, &ctx);
    assert_eq!(d.reply.status, AcctStatus::SUCCESS);
    let r = &d.record;
    assert_eq!(r["time"], "2023-11-14T22:13:20.123Z");
    assert_eq!(r["record"], "start");
    assert_eq!(r["user"], "alice");
    assert_eq!(r["authen_type"], "PAP");
    assert_eq!(r["flags"], serde_json::json!(["START"]));
    assert_eq!(r["acct"]["task_id"], "t1");
    assert_eq!(r["acct"]["start_time"], "2023-11-14T22:13:20Z");
    assert_eq!(r["args"][2], "service=casplus");
    let mut bad = req;
    bad.flags = AcctFlags::START.with(AcctFlags::STOP);
    let d = p.account(&bad, &ctx);
    assert_eq!(
        d.reply.status,
        AcctStatus::ERROR,
        "§7.2: START|STOP is invalid"
    );
    assert_eq!(d.record["record"], "invalid");
}

#[test]
fn tls_section_and_key_less_networks_are_tls_only_rfc9887() {
    let conf = |tls: bool| {
        let mut v = serde_json::json!({
            "clients": [
                {"network": "10.0.0.0/8"},
                {"network": "192.0.2.0/24", "key": "k"}
            ]
        });
        if tls {
            v["tls"] =
                serde_json::json!({"cert": "s.pem", "key": "s.key", "listen": "0.0.0.0:300"});
        }
        v.to_string()
    };
    let e = Policy::from_json(&conf(false)).unwrap_err().to_string();
    assert!(e.contains("clients[0]") && e.contains("tls section"), "{e}");
    let p = Policy::from_json(&conf(true)).unwrap();
    let t = p.tls().unwrap();
    assert_eq!((t.cert.as_str(), t.key.as_str()), ("s.pem", "s.key"));
    assert_eq!(t.client_ca, None);
    assert_eq!(t.listen.as_deref(), Some("0.0.0.0:300"));
    let ip = |a: &str| -> IpAddr { a.parse().unwrap() };
    // 10/8 has no key: no plain connection, TLS accepted (by address, RFC 9887 §3.4.2).
    assert!(ServerConnection::new(&p, ip("10.1.2.3")).is_none());
    assert!(ServerConnection::new_tls(&p, ip("10.1.2.3")).is_some());
    // A keyed network may use both; an unknown address neither.
    assert!(ServerConnection::new(&p, ip("192.0.2.7")).is_some());
    assert!(ServerConnection::new_tls(&p, ip("192.0.2.7")).is_some());
    assert!(ServerConnection::new_tls(&p, ip("198.51.100.1")).is_none());
    // Unknown keys in the section are refused like everywhere else.
    let bad = conf(true).replace("\"listen\"", "\"lisen\"");
    assert!(Policy::from_json(&bad).is_err());
}

#[test]
fn tls_connection_answers_with_the_flag_and_refuses_obfuscation_rfc9887_4() {
    let p = Policy::from_json(&config()).unwrap();
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    let mut conn = ServerConnection::new_tls(&p, ip).unwrap();
    // An RFC 9887 client: unobfuscated, UNENCRYPTED flag.
    let mut c = crate::tacacs::session::Client::new(SessionConfig {
        tls: true,
        ..SessionConfig::new(Key::default())
    });
    let t = c
        .start_authen(
            &[1, 2, 3, 4],
            crate::tacacs::AuthenStart::pap(b"alice", b"alice-pw", b"", b""),
        )
        .unwrap();
    let out = conn.handle_input(&p, &t.bytes, crate::time::Timestamp(0));
    assert!(out.log[0].contains("-> PASS"), "{:?}", out.log);
    let flags = out.send[3];
    assert_eq!(flags & 0x01, 0x01, "UNENCRYPTED flag on the reply");
}
