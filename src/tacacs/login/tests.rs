//! Tests of the client driver against simulated and real (policy) servers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::password::hash_password;
use crate::tacacs::authen::AuthenReply;
use crate::tacacs::enums::{AcctFlags, AuthenStatus, AuthenType};
use crate::tacacs::obfuscate::Key;
use crate::tacacs::policy::{Policy, ServerConnection};
use crate::tacacs::session::{Server, ServerEvent, SessionConfig};
use crate::tacacs::{
    Body, BodyState, ContinueFlags, DecodeOptions, Decoded, Header, HeaderFlags, PacketType,
    decode_pdu, encode_packet,
};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const ENTROPY: [u8; 16] = *b"0123456789abcdef";
const KEY: &str = "tac-key";

fn policy_json(single_connect: bool) -> String {
    let h = |pw: &str| hash_password(pw, b"saltsaltsalt", 1000);
    serde_json::json!({
        "single_connect": single_connect,
        "clients": [{"network": "127.0.0.0/8", "key": KEY}],
        "groups": {"netops": {"services": [
            {"service": "casplus", "args": ["groups=netops", "priv-lvl=15"]}]}},
        "users": {
            "alice": {"login": h("alice-pw"), "groups": ["netops"],
                      "services": [{"service": "casplus", "args": ["mail=alice@example.net"]}]},
            "carol": {"login": h("carol-pw")}
        }
    })
    .to_string()
}

fn texts(m: &impl Machine) -> Vec<String> {
    m.notes().iter().map(ToString::to_string).collect()
}

type Script = Box<dyn FnMut(&[u8]) -> Vec<u8>>;

enum Peer {
    Down,
    Silent,
    HangUp,
    /// A real server; hangs up instead of answering packets of this type, if given.
    Real(Policy, Option<PacketType>),
    Script(Script),
}

fn real(single_connect: bool) -> Peer {
    Peer::Real(
        Policy::from_json(&policy_json(single_connect)).unwrap(),
        None,
    )
}

#[derive(Default)]
struct Net {
    peers: Vec<Peer>,
    records: Vec<serde_json::Value>,
    server_log: Vec<String>,
    connects: Vec<usize>,
    sent: Vec<Vec<u8>>,
}

/// Runs the machine against simulated peers; time only moves on timeouts.
fn drive<D: Machine>(m: &mut D, net: &mut Net) -> D::Output {
    let mut now = T0;
    let mut conn: Option<(usize, Option<ServerConnection>)> = None;
    let mut pending: Vec<u8> = Vec::new();
    let mut peer_closed = false;
    for _ in 0..10_000 {
        match m.poll() {
            Action::Connect { server, .. } => {
                net.connects.push(server);
                pending.clear();
                peer_closed = false;
                match &net.peers[server] {
                    Peer::Down => m.handle_connect_error("connection refused", now),
                    Peer::Real(p, _) => {
                        let sc = ServerConnection::new(p, "127.0.0.1".parse().unwrap());
                        conn = Some((server, Some(sc.unwrap())));
                        m.handle_connected(now);
                    }
                    _ => {
                        conn = Some((server, None));
                        m.handle_connected(now);
                    }
                }
            }
            Action::Send(bytes) => {
                net.sent.push(bytes.clone());
                let (i, sc) = conn.as_mut().expect("send without a connection");
                if peer_closed {
                    continue;
                }
                match &mut net.peers[*i] {
                    Peer::Real(p, hang_on) => {
                        if *hang_on == Some(PacketType(bytes[1])) {
                            peer_closed = true;
                            continue;
                        }
                        let out = sc.as_mut().unwrap().handle_input(p, &bytes, now);
                        pending.extend(out.send);
                        net.records.extend(out.records);
                        net.server_log.extend(out.log);
                        peer_closed |= out.close;
                    }
                    Peer::HangUp => peer_closed = true,
                    Peer::Script(f) => pending.extend(f(&bytes)),
                    Peer::Silent | Peer::Down => {}
                }
            }
            Action::Receive { deadline } => {
                assert!(conn.is_some(), "receive without a connection");
                if !pending.is_empty() {
                    let b = std::mem::take(&mut pending);
                    m.handle_input(&b, now);
                } else if peer_closed {
                    m.handle_closed(now);
                } else {
                    now = deadline;
                    m.handle_timeout(now);
                }
            }
            Action::Close => {
                conn = None;
                pending.clear();
            }
            Action::Done(o) => return o,
        }
    }
    panic!("the machine did not finish");
}

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

fn request(user: &str, pw: &str) -> LoginRequest {
    LoginRequest {
        username: user.into(),
        password: Password::new(pw),
        rem_addr: "192.0.2.7".into(),
        cas_service: Some("https://app.example/".into()),
        task_id: "task-1".into(),
    }
}

fn login(cfg: &LoginConfig, user: &str, pw: &str, net: &mut Net) -> (Outcome, Login) {
    let mut l = Login::new(cfg, request(user, pw), &ENTROPY, T0).unwrap();
    let o = drive(&mut l, net);
    (o, l)
}

fn authenticated(o: Outcome) -> Authenticated {
    match o {
        Outcome::Authenticated(a) => a,
        o => panic!("not authenticated: {o:?}"),
    }
}

fn unavailable(o: Outcome) -> String {
    match o {
        Outcome::Unavailable { reason } => reason,
        o => panic!("not unavailable: {o:?}"),
    }
}

fn decode(bytes: &[u8], key: &str) -> crate::tacacs::Pdu {
    match decode_pdu(bytes, &DecodeOptions::with_key(Key::from_text(key))) {
        Decoded::Complete(p) => p,
        d => panic!("{d:?}"),
    }
}

/// A reply to `req` (same session, seq_no + 1 unless `seq` says otherwise).
fn answer(req: &[u8], body: Body, tweak: impl FnOnce(&mut Header)) -> Vec<u8> {
    let p = decode(req, KEY);
    let mut h = Header::new(
        p.header.packet_type,
        p.header.minor,
        p.header.seq_no + 1,
        p.header.session_id,
    );
    tweak(&mut h);
    encode_packet(&h, &body, Some(&Key::from_text(KEY))).unwrap()
}

fn authen_reply(status: AuthenStatus) -> Body {
    Body::AuthenReply(AuthenReply {
        status,
        ..Default::default()
    })
}

#[test]
fn pap_login_authorizes_and_accounts_on_one_single_connect_connection_4_3_5_4_2_2() {
    let mut net = Net {
        peers: vec![real(true)],
        ..Net::default()
    };
    let (o, l) = login(&config(1), "alice", "alice-pw", &mut net);
    let a = authenticated(o);
    assert_eq!(a.server, 0);
    assert_eq!(a.authorization, Some(AuthorStatus::PASS_ADD));
    let attrs: Vec<(&str, Vec<&str>)> = a
        .granted
        .iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        attrs,
        [
            ("groups", vec!["netops"]),
            ("mail", vec!["alice@example.net"]),
            ("priv-lvl", vec!["15"])
        ]
    );
    assert_eq!(a.accounting, AcctOutcome::Recorded { server: 0 });
    assert_eq!(
        l.connections(),
        1,
        "authen, author and acct share the connection"
    );
    assert_eq!(net.sent.len(), 3);
    // The PAP START carries the password in data, obfuscated (§4.5, §5.4.2.2).
    let start = decode(&net.sent[0], KEY);
    assert!(
        start.header.is_single_connect(),
        "§4.3: asked in the first packet"
    );
    assert_eq!(start.header.minor, 1, "§5.4.1: PAP uses minor version 1");
    let Body::AuthenStart(s) = &start.body else {
        panic!()
    };
    assert_eq!(
        (s.authen_type, s.user.as_slice(), s.data.as_slice()),
        (AuthenType::PAP, &b"alice"[..], &b"alice-pw"[..])
    );
    assert_eq!(s.rem_addr, b"192.0.2.7");
    assert!(
        !net.sent[0].windows(8).any(|w| w == b"alice-pw"),
        "never in clear"
    );
    // The authorization request names the service and the CAS service (optional, §6.1).
    let Body::AuthorRequest(r) = decode(&net.sent[1], KEY).body else {
        panic!()
    };
    assert_eq!(
        r.args,
        [
            b"service=casplus".to_vec(),
            b"cas-service*https://app.example/".to_vec()
        ]
    );
    assert_eq!(r.authen_method, AuthenMethod::TACACSPLUS);
    // The START record reached the server's accounting log.
    assert_eq!(net.records.len(), 1);
    let rec = &net.records[0];
    assert_eq!(rec["record"], "start");
    assert_eq!(rec["user"], "alice");
    assert_eq!(rec["acct"]["task_id"], "task-1");
    assert_eq!(rec["acct"]["start_time"], "2023-11-14T22:13:20Z");
    assert_eq!(rec["time"], "2023-11-14T22:13:20.000Z");
}

#[test]
fn without_single_connect_each_session_opens_a_connection_4_3() {
    let mut net = Net {
        peers: vec![real(false)],
        ..Net::default()
    };
    let (o, l) = login(&config(1), "alice", "alice-pw", &mut net);
    authenticated(o);
    assert_eq!(l.connections(), 3);
    assert_eq!(net.connects, [0, 0, 0]);
}

#[test]
fn fail_is_rejected_with_the_server_message_and_nothing_else_is_sent_5_2() {
    let mut net = Net {
        peers: vec![real(true)],
        ..Net::default()
    };
    let (o, l) = login(&config(1), "alice", "wrong", &mut net);
    assert_eq!(
        o,
        Outcome::Rejected {
            message: "Authentication failed".into(),
            server_msg: Some("Authentication failed".into()),
        }
    );
    assert_eq!(net.sent.len(), 1, "no authorization, no accounting");
    assert!(net.records.is_empty());
    assert!(
        l.notes()
            .iter()
            .any(|x| x.text.contains("authentication FAIL"))
    );
    assert!(
        !texts(&l).concat().contains("wrong"),
        "the password never reaches the log"
    );
}

#[test]
fn ascii_login_answers_getpass_with_the_password_5_4_2_1() {
    let mut net = Net {
        peers: vec![real(true)],
        ..Net::default()
    };
    let mut cfg = config(1);
    cfg.authen_mode = AuthenMode::Ascii;
    let (o, _) = login(&cfg, "alice", "alice-pw", &mut net);
    assert_eq!(authenticated(o).authorization, Some(AuthorStatus::PASS_ADD));
    let start = decode(&net.sent[0], KEY);
    assert_eq!(
        start.header.minor, 0,
        "§5.4.1: ASCII login uses minor version 0"
    );
    let Body::AuthenContinue(c) = decode(&net.sent[1], KEY).body else {
        panic!()
    };
    assert_eq!(c.user_msg, b"alice-pw");
    assert!(
        net.server_log[0].contains("GETPASS"),
        "{:?}",
        net.server_log
    );
    let (o, _) = login(
        &cfg,
        "alice",
        "nope",
        &mut Net {
            peers: vec![real(true)],
            ..Net::default()
        },
    );
    assert!(matches!(o, Outcome::Rejected { .. }));
}

#[test]
fn ascii_login_answers_getuser_too_5_4_2_1() {
    // A server that ignores the user in the START and asks for it.
    let mut seen = 0;
    let mut net = Net {
        peers: vec![Peer::Script(Box::new(move |req| {
            seen += 1;
            let status = match seen {
                1 => AuthenStatus::GETUSER,
                2 => {
                    let Body::AuthenContinue(c) = decode(req, KEY).body else {
                        panic!()
                    };
                    assert_eq!(c.user_msg, b"alice");
                    AuthenStatus::GETPASS
                }
                _ => AuthenStatus::PASS,
            };
            answer(req, authen_reply(status), |_| {})
        }))],
        ..Net::default()
    };
    let mut cfg = config(1);
    cfg.authen_mode = AuthenMode::Ascii;
    cfg.authorization = None;
    cfg.accounting = false;
    let a = authenticated(login(&cfg, "alice", "alice-pw", &mut net).0);
    assert_eq!(a.authorization, None);
    assert!(a.granted.is_empty());
    assert_eq!(a.accounting, AcctOutcome::NotSent);
}

#[test]
fn authorization_fail_denies_the_login_6_2() {
    let mut net = Net {
        peers: vec![real(true)],
        ..Net::default()
    };
    let (o, _) = login(&config(1), "carol", "carol-pw", &mut net);
    assert_eq!(
        o,
        Outcome::Rejected {
            message: "Not authorized".into(),
            server_msg: Some("Not authorized".into()),
        }
    );
    assert!(net.records.is_empty(), "no START for a denied login");
}

#[test]
fn failover_skips_a_refused_and_a_silent_server() {
    let mut net = Net {
        peers: vec![Peer::Down, Peer::Silent, real(true)],
        ..Net::default()
    };
    let (o, l) = login(&config(3), "alice", "alice-pw", &mut net);
    let a = authenticated(o);
    assert_eq!(a.server, 2);
    assert_eq!(a.accounting, AcctOutcome::Recorded { server: 2 });
    assert_eq!(net.connects, [0, 1, 2]);
    let log = texts(&l).join("\n");
    assert!(
        log.contains("127.0.0.1:4900: connect failed: connection refused"),
        "{log}"
    );
    assert!(
        log.contains("127.0.0.1:4901: no answer within 1000 ms"),
        "{log}"
    );
    assert!(
        log.contains("failing over to server 127.0.0.1:4902"),
        "{log}"
    );
}

#[test]
fn all_servers_down_is_unavailable_never_a_login() {
    let mut net = Net {
        peers: vec![Peer::Down, Peer::HangUp],
        ..Net::default()
    };
    let reason = unavailable(login(&config(2), "alice", "alice-pw", &mut net).0);
    assert!(reason.contains("4900: connect failed"), "{reason}");
    assert!(
        reason.contains("4901: connection closed before the reply"),
        "{reason}"
    );
}

#[test]
fn wrong_key_is_reported_as_key_mismatch_and_fails_over_4_5() {
    let mut cfg = config(2);
    cfg.servers[0].key = Key::from_text("not-the-key");
    let mut net = Net {
        peers: vec![real(true), real(true)],
        ..Net::default()
    };
    let (o, l) = login(&cfg, "alice", "alice-pw", &mut net);
    assert_eq!(authenticated(o).server, 1);
    assert!(
        l.notes()[0].text.contains("key mismatch"),
        "{:?}",
        l.notes()
    );
    assert_eq!(
        l.notes()[0].kind,
        NoteKind::KeyMismatch,
        "typed, for the adapter"
    );
    assert!(
        l.notes()[1..]
            .iter()
            .all(|n| n.kind != NoteKind::KeyMismatch),
        "{:?}",
        l.notes()
    );
    assert!(
        net.server_log[0].contains("wrong-key"),
        "{:?}",
        net.server_log
    );
    cfg.servers.truncate(1);
    let mut net = Net {
        peers: vec![real(true)],
        ..Net::default()
    };
    let reason = unavailable(login(&cfg, "alice", "alice-pw", &mut net).0);
    assert!(reason.contains("key mismatch"), "{reason}");
}

fn hostile(script: Script) -> (String, Net, Login) {
    let mut net = Net {
        peers: vec![Peer::Script(script), real(true)],
        ..Net::default()
    };
    let (o, l) = login(&config(2), "alice", "alice-pw", &mut net);
    (unavailable(o), net, l)
}

#[test]
fn hostile_wrong_session_id_aborts_without_failover_4_1() {
    let (reason, net, _) = hostile(Box::new(|req| {
        answer(req, authen_reply(AuthenStatus::PASS), |h| h.session_id ^= 1)
    }));
    assert!(
        reason.contains("protocol violation") && reason.contains("unknown-session"),
        "{reason}"
    );
    assert_eq!(
        net.connects,
        [0],
        "a hostile server is not a reason to ask another"
    );
}

#[test]
fn hostile_bad_seq_no_aborts_4_1() {
    let (reason, ..) = hostile(Box::new(|req| {
        answer(req, authen_reply(AuthenStatus::PASS), |h| h.seq_no = 4)
    }));
    assert!(reason.contains("seq-unexpected"), "{reason}");
}

#[test]
fn hostile_absurd_length_aborts_without_waiting_for_the_body_4_1() {
    let (reason, ..) = hostile(Box::new(|req| {
        let p = decode(req, KEY);
        let mut h = Header::new(PacketType::AUTHEN, 1, 2, p.header.session_id);
        h.length = 0xffff_ffff;
        h.to_bytes().to_vec()
    }));
    assert!(reason.contains("length-over-max"), "{reason}");
}

#[test]
fn hostile_getpass_in_a_pap_session_aborts_5_4_2_2() {
    let (reason, ..) = hostile(Box::new(|req| {
        answer(req, authen_reply(AuthenStatus::GETPASS), |_| {})
    }));
    assert!(reason.contains("flow-violation"), "{reason}");
}

#[test]
fn getdata_and_endless_prompts_abort_the_ascii_session_5_4_3() {
    for status in [AuthenStatus::GETDATA, AuthenStatus::GETUSER] {
        let mut net = Net {
            peers: vec![Peer::Script(Box::new(move |req| {
                answer(req, authen_reply(status), |_| {})
            }))],
            ..Net::default()
        };
        let mut cfg = config(1);
        cfg.authen_mode = AuthenMode::Ascii;
        let reason = unavailable(login(&cfg, "alice", "alice-pw", &mut net).0);
        assert!(reason.contains("protocol violation"), "{reason}");
        let last = decode(net.sent.last().unwrap(), KEY);
        let Body::AuthenContinue(c) = last.body else {
            panic!()
        };
        assert!(
            c.flags.contains(ContinueFlags::ABORT),
            "§5.4.3: the client aborts"
        );
        if status == AuthenStatus::GETUSER {
            assert_eq!(net.sent.len(), 1 + usize::from(MAX_PROMPTS) + 1);
        }
    }
}

#[test]
fn error_status_fails_over_to_the_next_server() {
    let mut net = Net {
        peers: vec![
            Peer::Script(Box::new(|req| {
                answer(
                    req,
                    Body::AuthenReply(AuthenReply {
                        status: AuthenStatus::ERROR,
                        server_msg: b"backend down".to_vec(),
                        ..Default::default()
                    }),
                    |_| {},
                )
            })),
            real(true),
        ],
        ..Net::default()
    };
    let (o, l) = login(&config(2), "alice", "alice-pw", &mut net);
    assert_eq!(authenticated(o).server, 1);
    assert!(
        l.notes()[0]
            .text
            .contains("authentication ERROR (backend down)"),
        "{:?}",
        l.notes()
    );
}

#[test]
fn restart_for_pap_retries_with_ascii_login_5_4_3() {
    let mut n = 0;
    let mut net = Net {
        peers: vec![Peer::Script(Box::new(move |req| {
            n += 1;
            let p = decode(req, KEY);
            let status = match (n, &p.body) {
                (1, Body::AuthenStart(s)) if s.authen_type == AuthenType::PAP => {
                    AuthenStatus::RESTART
                }
                (2, Body::AuthenStart(s)) if s.authen_type == AuthenType::ASCII => {
                    AuthenStatus::GETPASS
                }
                (3, Body::AuthenContinue(c)) if c.user_msg == b"alice-pw" => AuthenStatus::PASS,
                _ => AuthenStatus::FAIL,
            };
            answer(req, authen_reply(status), |_| {})
        }))],
        ..Net::default()
    };
    let mut cfg = config(1);
    cfg.authorization = None;
    cfg.accounting = false;
    let (o, l) = login(&cfg, "alice", "alice-pw", &mut net);
    authenticated(o);
    assert_eq!(l.connections(), 2, "the script never grants single-connect");
}

#[test]
fn accounting_failure_is_logged_and_never_blocks_the_user_7() {
    let p = Policy::from_json(&policy_json(false)).unwrap();
    let mut net = Net {
        peers: vec![Peer::Real(p, Some(PacketType::ACCT))],
        ..Net::default()
    };
    let (o, l) = login(&config(1), "alice", "alice-pw", &mut net);
    let a = authenticated(o);
    let AcctOutcome::Failed { reason } = a.accounting else {
        panic!("{:?}", a.accounting)
    };
    assert!(reason.contains("connection closed"), "{reason}");
    assert!(
        l.notes()
            .iter()
            .any(|x| x.text.contains("connection closed"))
    );
}

#[test]
fn tls_mode_sets_the_unencrypted_flag_and_does_not_obfuscate_rfc9887() {
    let mut server = Server::new(SessionConfig {
        tls: true,
        ..SessionConfig::new(Key::default())
    });
    let mut net = Net {
        peers: vec![Peer::Script(Box::new(move |req| {
            let ev = server.handle_input(req);
            let ServerEvent::AuthenStart { session_id, .. } = ev[0] else {
                panic!("{ev:?}")
            };
            server
                .reply_authen(
                    session_id,
                    AuthenReply {
                        status: AuthenStatus::PASS,
                        ..Default::default()
                    },
                )
                .unwrap()
                .bytes
        }))],
        ..Net::default()
    };
    let mut cfg = config(1);
    cfg.servers[0].tls = true;
    cfg.authorization = None;
    cfg.accounting = false;
    let mut l = Login::new(&cfg, request("alice", "alice-pw"), &ENTROPY, T0).unwrap();
    let Action::Connect { tls, .. } = l.poll() else {
        panic!()
    };
    assert!(tls, "the adapter is asked for TLS");
    let o = drive(&mut l, &mut net);
    authenticated(o);
    let p = match decode_pdu(&net.sent[0], &DecodeOptions::default()) {
        Decoded::Complete(p) => p,
        d => panic!("{d:?}"),
    };
    assert!(p.header.flags.contains(HeaderFlags::UNENCRYPTED));
    assert_eq!(p.body_state, BodyState::Clear);
    let Body::AuthenStart(s) = p.body else {
        panic!()
    };
    assert_eq!(s.user, b"alice");
}

#[test]
fn stop_record_carries_elapsed_time_reason_and_services_8_3() {
    let mut cfg = config(1);
    let rec = AcctRecord {
        username: "alice".into(),
        rem_addr: "192.0.2.7".into(),
        task_id: "task-1".into(),
        started: T0,
        services: vec![
            "https://a.example/".into(),
            format!("https://b.example/{}", "x".repeat(300)),
        ],
        reason: Some("logout".into()),
    };
    let now = T0.plus_secs(3600).plus_millis(999);
    let stop = acct_stop(&cfg, &rec, now);
    let args: Vec<String> = stop
        .args
        .iter()
        .map(|a| String::from_utf8(a.clone()).unwrap())
        .collect();
    assert_eq!(
        args[..8],
        [
            "task_id=task-1",
            "start_time=1700000000",
            "timezone=UTC",
            "service=casplus",
            "stop_time=1700003600",
            "elapsed_time=3600",
            "reason=logout",
            "cas-service=https://a.example/",
        ]
    );
    assert_eq!(args[8].len(), 255, "clipped to the argument limit");
    assert_eq!(stop.flags, AcctFlags::STOP);
    // It encodes, and the codec reads the §8.3 arguments back.
    let typed = stop.acct_args();
    assert_eq!(typed.elapsed_time, Some(3600));
    assert_eq!(typed.stop_time, Some(Timestamp::from_secs(1_700_003_600)));
    let wd = acct_watchdog(&cfg, &rec, now);
    assert_eq!(wd.flags, AcctFlags::WATCHDOG);
    assert_eq!(wd.acct_args().elapsed_time, Some(3600));
    // Many services: capped.
    let mut many = rec.clone();
    many.services = vec!["s".into(); 1000];
    assert_eq!(
        acct_stop(&cfg, &many, now).args.len(),
        7 + MAX_ACCT_SERVICES
    );
    // Sent by an AcctJob to a real server, with failover.
    cfg.servers
        .insert(0, ServerSpec::new("127.0.0.1", 1, Key::from_text(KEY)));
    let mut net = Net {
        peers: vec![Peer::Down, real(true)],
        ..Net::default()
    };
    let mut job = AcctJob::new(&cfg, stop, &ENTROPY, now).unwrap();
    assert_eq!(
        drive(&mut job, &mut net),
        AcctOutcome::Recorded { server: 1 }
    );
    assert_eq!(net.records[0]["record"], "stop");
    assert_eq!(net.records[0]["acct"]["elapsed_time"], 3600);
    assert_eq!(net.records[0]["args"][7], "cas-service=https://a.example/");
    let mut net = Net {
        peers: vec![Peer::Down, Peer::Down],
        ..Net::default()
    };
    let mut job = AcctJob::new(&cfg, wd, &ENTROPY, now).unwrap();
    assert!(matches!(
        drive(&mut job, &mut net),
        AcctOutcome::Failed { .. }
    ));
}

#[test]
fn watchdog_is_due_once_per_interval_when_the_session_is_used_7_2() {
    let at = |s: i64| T0.plus_secs(s);
    assert!(!watchdog_due(T0, at(0), at(599), 600));
    assert!(watchdog_due(T0, at(0), at(600), 600), "boundary reached");
    assert!(
        !watchdog_due(T0, at(600), at(1199), 600),
        "once per interval"
    );
    assert!(watchdog_due(T0, at(1199), at(1200), 600));
    assert!(
        watchdog_due(T0, at(10), at(5000), 600),
        "one update, however many boundaries"
    );
    assert!(
        !watchdog_due(T0, at(0), at(5000), 0),
        "no interval, no update"
    );
}

#[test]
fn watchdog_interval_reads_from_json() {
    let c = LoginConfig::from_json(
        r#"{"servers": [{"host": "h", "key": "k"}], "accounting": true, "watchdog_seconds": 900}"#,
    )
    .unwrap();
    assert_eq!(c.watchdog_seconds, Some(900));
    let c = LoginConfig::from_json(r#"{"servers": [{"host": "h", "key": "k"}]}"#).unwrap();
    assert_eq!(c.watchdog_seconds, None);
}

#[test]
fn deadlines_are_absolute_a_trickling_reply_does_not_extend_them() {
    let cfg = config(1);
    let mut l = Login::new(&cfg, request("alice", "alice-pw"), &ENTROPY, T0).unwrap();
    let Action::Connect { deadline, .. } = l.poll() else {
        panic!()
    };
    assert_eq!(deadline, T0.plus_millis(1000));
    l.handle_connected(T0.plus_millis(10));
    assert!(matches!(l.poll(), Action::Send(_)));
    let Action::Receive { deadline } = l.poll() else {
        panic!()
    };
    assert_eq!(deadline, T0.plus_millis(1010));
    l.handle_input(&[0xc1], T0.plus_millis(500));
    let Action::Receive { deadline: again } = l.poll() else {
        panic!()
    };
    assert_eq!(again, deadline);
    l.handle_timeout(deadline);
    assert_eq!(l.poll(), Action::Close);
    let reason = match l.poll() {
        Action::Done(Outcome::Unavailable { reason }) => reason,
        a => panic!("{a:?}"),
    };
    assert!(reason.contains("no answer within 1000 ms"), "{reason}");
}

#[test]
fn bad_credentials_are_rejected_without_a_connection() {
    for (u, p) in [
        ("", "pw"),
        ("alice", ""),
        ("alice", &"x".repeat(256)),
        (&"u".repeat(256), "pw"),
    ] {
        let mut l = Login::new(&config(1), request(u, p), &ENTROPY, T0).unwrap();
        assert!(matches!(l.poll(), Action::Done(Outcome::Rejected { .. })));
        assert_eq!(l.connections(), 0);
    }
}

#[test]
fn caller_errors_and_redaction() {
    assert_eq!(
        Login::new(&config(1), request("a", "b"), &[0; 15], T0).unwrap_err(),
        LoginError::NotEnoughEntropy(15)
    );
    assert_eq!(
        Login::new(&config(0), request("a", "b"), &ENTROPY, T0).unwrap_err(),
        LoginError::NoServers
    );
    let req = request("alice", "hunter2-secret");
    assert!(!format!("{req:?}").contains("hunter2"));
    let cfg = config(1);
    assert!(!format!("{cfg:?}").contains(KEY));
    let mut l = Login::new(&cfg, req, &ENTROPY, T0).unwrap();
    l.poll();
    l.handle_connected(T0);
    let send = l.poll();
    assert!(format!("{send:?}").starts_with("Send(<"), "{send:?}");
}

#[test]
fn session_ids_come_from_the_entropy_and_differ_per_session_4_1() {
    let ids = |entropy: &[u8]| {
        let mut net = Net {
            peers: vec![real(true)],
            ..Net::default()
        };
        let mut l = Login::new(&config(1), request("alice", "alice-pw"), entropy, T0).unwrap();
        authenticated(drive(&mut l, &mut net));
        net.sent
            .iter()
            .map(|b| decode(b, KEY).header.session_id)
            .collect::<Vec<_>>()
    };
    let a = ids(&ENTROPY);
    assert_eq!(a, ids(&ENTROPY), "deterministic for the same entropy");
    assert_ne!(a, ids(&[9; 32]));
    assert_eq!(a.len(), 3);
    assert!(a[0] != a[1] && a[1] != a[2] && a[0] != a[2]);
}

#[test]
fn config_reads_from_json() {
    let c = LoginConfig::from_json(
        r#"{"servers": [{"host": "10.0.0.5", "key": "k"},
                        {"host": "tacacs.example", "tls": true, "timeout_ms": 800}],
            "authen": "ascii", "accounting": true,
            "authorization": {"args": ["protocol=https"], "cas_service_arg": "cas-service"}}"#,
    )
    .unwrap();
    assert_eq!(c.servers[0].port, DEFAULT_PORT);
    assert_eq!(c.servers[0].key, Key::from_text("k"));
    assert_eq!(
        (c.servers[1].port, c.servers[1].tls, c.servers[1].timeout_ms),
        (TLS_PORT, true, 800)
    );
    assert_eq!(c.authen_mode, AuthenMode::Ascii);
    assert!(c.single_connect && c.accounting);
    assert_eq!(c.authorization.unwrap().service, "casplus");
    assert_eq!(c.port, "casplus");
    assert!(matches!(
        LoginConfig::from_json(r#"{"servers": []}"#),
        Err(LoginError::NoServers)
    ));
    assert!(
        LoginConfig::from_json(r#"{"servers": [{"host": "h"}]}"#).is_err(),
        "no key"
    );
}
