//! Tests of the bridge: the mapping of outcomes, the accounting decisions, and a login
//! through a real (in-process) TACACS+ server policy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::password::{Password, hash_password};
use crate::tacacs::PacketType;
use crate::tacacs::enums::AcctFlags;
use crate::tacacs::login::{AcctOutcome, Action, Authenticated, AuthorConfig, Machine, ServerSpec};
use crate::tacacs::obfuscate::Key;
use crate::tacacs::policy::{Policy, ServerConnection};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const KEY: &str = "tac-key";
const ENTROPY: [u8; 16] = *b"0123456789abcdef";

fn config(ports: usize) -> LoginConfig {
    let servers = (0..ports)
        .map(|i| ServerSpec {
            timeout_ms: 1000,
            ..ServerSpec::new("127.0.0.1", 4900 + i as u16, Key::from_text(KEY))
        })
        .collect();
    let mut c = LoginConfig::new(servers);
    c.authorization = Some(AuthorConfig {
        cas_service_arg: Some("cas-service".into()),
        ..AuthorConfig::default()
    });
    c.accounting = true;
    c
}

fn session(source: &str) -> SessionRecord {
    SessionRecord {
        task_id: "0123456789abcdef01234567".into(),
        principal: "alice".into(),
        source: source.into(),
        started_at: T0,
        services: vec!["https://a.example/".into(), "https://b.example/".into()],
        client_address: Some("192.0.2.7".into()),
    }
}

fn text_args(r: &AcctRequest) -> Vec<String> {
    r.args
        .iter()
        .map(|a| String::from_utf8(a.clone()).unwrap())
        .collect()
}

#[test]
fn engine_session_effects_become_start_and_stop_records_7_1_8_3() {
    let cfg = config(1);
    let s = session("tacacs");
    let start = accounting_request(&cfg, &Effect::SessionStarted(s.clone())).unwrap();
    assert_eq!(start.flags, AcctFlags::START);
    assert_eq!(start.user, b"alice");
    assert_eq!(start.rem_addr, b"192.0.2.7");
    assert_eq!(
        text_args(&start),
        [
            "task_id=0123456789abcdef01234567",
            "start_time=1700000000",
            "timezone=UTC",
            "service=casplus"
        ]
    );
    // Expired: stop_time is the session's end as the engine says, not the send time.
    let ended_at = T0.plus_secs(7200);
    let stop = accounting_request(
        &cfg,
        &Effect::SessionEnded {
            session: SessionRecord {
                client_address: None,
                ..s.clone()
            },
            reason: EndReason::Idle,
            ended_at,
        },
    )
    .unwrap();
    assert_eq!(stop.flags, AcctFlags::STOP);
    assert_eq!(stop.rem_addr, b"", "an alarm has no client address");
    assert_eq!(
        text_args(&stop)[3..],
        [
            "service=casplus",
            "stop_time=1700007200",
            "elapsed_time=7200",
            "reason=idle-timeout",
            "cas-service=https://a.example/",
            "cas-service=https://b.example/",
        ]
    );
    let typed = stop.acct_args();
    assert_eq!(typed.task_id.as_deref(), Some("0123456789abcdef01234567"));
    assert_eq!(typed.elapsed_time, Some(7200));
    // Not ours: a session of another source, accounting off, single logout.
    let builtin = Effect::SessionStarted(session("builtin"));
    assert_eq!(accounting_request(&cfg, &builtin), None);
    let mut off = cfg.clone();
    off.accounting = false;
    assert_eq!(
        accounting_request(&off, &Effect::SessionStarted(s.clone())),
        None
    );
    let mut e = crate::cas::ticket::DeterministicEntropy::new(1);
    let slo = Effect::SingleLogout(crate::cas::web::LogoutNotice {
        url: "https://a.example/".into(),
        request_id: "LR-1".into(),
        issue_instant: T0,
        session_index: crate::cas::ticket::TicketId::generate(
            crate::cas::ticket::TicketKind::Service,
            &mut e,
        ),
    });
    assert_eq!(accounting_request(&cfg, &slo), None);
}

#[test]
fn watchdog_records_follow_session_use_7_2() {
    let at = |s: i64| T0.plus_secs(s);
    let mut cfg = config(1);
    let used = |previous: i64, now: i64| Effect::SessionUsed {
        session: session("tacacs"),
        previous_use: at(previous),
        now: at(now),
    };
    assert_eq!(
        accounting_request(&cfg, &used(0, 700)),
        None,
        "WATCHDOG is off by default"
    );
    cfg.watchdog_seconds = Some(600);
    assert_eq!(accounting_request(&cfg, &used(0, 300)), None);
    let wd = accounting_request(&cfg, &used(300, 700)).unwrap();
    assert_eq!(wd.flags, AcctFlags::WATCHDOG);
    assert!(!wd.flags.contains(AcctFlags::START) && !wd.flags.contains(AcctFlags::STOP));
    let args = text_args(&wd);
    assert_eq!(args[0], "task_id=0123456789abcdef01234567");
    assert!(args.contains(&"elapsed_time=700".to_owned()), "{args:?}");
    assert!(args.contains(&"cas-service=https://b.example/".to_owned()));
    assert_eq!(wd.acct_args().elapsed_time, Some(700));
}

#[test]
fn outcomes_map_to_cas_results() {
    let ok = Outcome::Authenticated(Authenticated {
        username: "Alice".into(),
        server: 1,
        authorization: None,
        granted: [("priv-lvl".to_owned(), vec!["15".to_owned()])].into(),
        accounting: AcctOutcome::NotSent,
    });
    let AuthResult::Authenticated {
        principal,
        attributes,
    } = auth_result(ok)
    else {
        panic!("authenticated");
    };
    assert_eq!(principal, "Alice");
    assert_eq!(attributes["priv-lvl"], ["15"]);
    let refused = auth_result(Outcome::Rejected {
        message: "Invalid".into(),
        server_msg: Some("password expired".into()),
    });
    assert_eq!(
        refused,
        AuthResult::Refused {
            failure: AuthFailure::InvalidCredentials,
            message: "password expired".into()
        }
    );
    assert_eq!(
        auth_result(Outcome::Rejected {
            message: "Invalid".into(),
            server_msg: None
        }),
        AuthResult::Rejected(AuthFailure::InvalidCredentials)
    );
    assert_eq!(
        auth_result(Outcome::Unavailable {
            reason: "key mismatch".into()
        }),
        AuthResult::Rejected(AuthFailure::Unavailable)
    );
    // The reply's wire form.
    let json = serde_json::to_string(&refused).unwrap();
    assert_eq!(
        json,
        r#"{"refused":{"failure":"invalid_credentials","message":"password expired"}}"#
    );
    assert_eq!(serde_json::from_str::<AuthResult>(&json).unwrap(), refused);
}

#[test]
fn accounting_is_due_only_when_on_and_with_effects() {
    let cfg = config(1);
    let effects = [Effect::SessionStarted(session("tacacs"))];
    assert!(accounting_due(&cfg, &effects));
    assert!(!accounting_due(&cfg, &[]));
    let off = LoginConfig {
        accounting: false,
        ..cfg
    };
    assert!(!accounting_due(&off, &effects));
}

/// Runs `m` against one in-process server with `policy`; the packet types the client sent.
fn drive<M: Machine>(m: &mut M, policy: &Policy) -> (M::Output, Vec<PacketType>) {
    let mut server = None;
    let mut pending = Vec::new();
    let mut sent = Vec::new();
    for _ in 0..1000 {
        match m.poll() {
            Action::Connect { .. } => {
                server = ServerConnection::new(policy, "127.0.0.1".parse().unwrap());
                m.handle_connected(T0);
            }
            Action::Send(bytes) => {
                sent.push(PacketType(bytes[1]));
                let out = server.as_mut().unwrap().handle_input(policy, &bytes, T0);
                pending.extend(out.send);
            }
            Action::Receive { .. } => {
                let bytes = std::mem::take(&mut pending);
                m.handle_input(&bytes, T0);
            }
            Action::Close => server = None,
            Action::Done(out) => return (out, sent),
        }
    }
    panic!("the login did not finish");
}

#[test]
fn a_cas_login_authenticates_and_authorizes_but_leaves_the_start_to_the_session_7_1() {
    let policy = Policy::from_json(
        &serde_json::json!({
            "clients": [{"network": "127.0.0.0/8", "key": KEY}],
            "users": {"alice": {
                "login": hash_password("alice-pw", b"saltsaltsalt", 1000),
                "services": [{"service": "casplus", "args": ["priv-lvl=15"]}]}}
        })
        .to_string(),
    )
    .unwrap();
    let cfg = config(1);
    assert!(cfg.accounting, "accounting is on");
    let request = AuthRequest {
        username: "alice".into(),
        password: Password::new("alice-pw"),
        source: TACACS_SOURCE.into(),
        service: Some("https://app.example/".into()),
    };
    let mut l = login(&cfg, &request, Some("192.0.2.7"), &ENTROPY, T0).unwrap();
    let (outcome, sent) = drive(&mut l, &policy);
    assert_eq!(
        sent,
        [PacketType::AUTHEN, PacketType::AUTHOR],
        "no ACCT START"
    );
    let Outcome::Authenticated(a) = outcome.clone() else {
        panic!("{outcome:?}");
    };
    assert_eq!(a.accounting, AcctOutcome::NotSent);
    assert_eq!(
        auth_result(outcome),
        AuthResult::Authenticated {
            principal: "alice".into(),
            attributes: [("priv-lvl".to_owned(), vec!["15".to_owned()])].into(),
        }
    );
    // A wrong password is refused, with the server's message for the user (§5.2).
    let wrong = AuthRequest {
        password: Password::new("nope"),
        ..request
    };
    let mut l = login(&cfg, &wrong, None, &ENTROPY, T0).unwrap();
    let (outcome, _) = drive(&mut l, &policy);
    assert_eq!(
        auth_result(outcome),
        AuthResult::Refused {
            failure: AuthFailure::InvalidCredentials,
            message: "Authentication failed".into()
        }
    );
}
