//! Tests of the session machines: each flow end to end through a [`Client`] and a
//! [`Server`], and the shared connection rules (§4.1 header, §4.3 single connection mode,
//! §4.4 session completion, §4.5 obfuscation) applied the same way by both ends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::connection::{SessionState, SessionTable, Sessions, Turn};
use super::*;
use crate::tacacs::{
    AcctFlags, AcctReply, AcctRequest, AcctStatus, AuthenContinue, AuthenReply, AuthenStart,
    AuthenStatus, AuthorRequest, AuthorResponse, AuthorStatus, Body, DecodeOptions, Decoded,
    Header, HeaderFlags, Key, PacketType, Pdu, ReplyFlags, codes, decode_pdu, encode_packet,
};

fn state(last_seq: u8) -> SessionState {
    SessionState {
        packet_type: PacketType::AUTHEN,
        minor: 0,
        last_seq,
        turn: Turn::Client,
        single_exchange: false,
    }
}

/// The client's session table answers like the map it replaced (§4.3 multiplexing keeps
/// several sessions per connection apart by `session_id`).
#[test]
fn session_table_is_a_map_by_session_id_4_3() {
    let mut t = SessionTable::default();
    assert!(t.is_empty());
    t.insert(7, state(1));
    t.insert(3, state(1));
    t.insert(7, state(3)); // replaces
    assert_eq!(t.len(), 2);
    assert!(t.contains_key(&3) && !t.contains_key(&5));
    assert_eq!(t.get(&7).map(|s| s.last_seq), Some(3));
    if let Some(s) = t.get_mut(&3) {
        s.last_seq = 5;
    }
    let shown = format!("{t:?}"); // ordered by session_id, like the map
    assert!(shown.find("3: ").is_some() && shown.find("3: ") < shown.find("7: "));
    assert_eq!(t.remove(&3).map(|s| s.last_seq), Some(5));
    assert!(t.remove(&3).is_none());
    assert_eq!(t.get(&7).map(|s| s.last_seq), Some(3));
    assert_eq!(t.remove(&7).map(|s| s.last_seq), Some(3));
    assert!(t.is_empty());
}

fn cfg(single: bool) -> SessionConfig {
    SessionConfig {
        single_connect: single,
        ..SessionConfig::new(Key::from_text("s3cret"))
    }
}

fn decode(bytes: &[u8], key: &str) -> Pdu {
    match decode_pdu(bytes, &DecodeOptions::with_key(Key::from_text(key))) {
        Decoded::Complete(p) => p,
        Decoded::Partial { .. } => panic!("partial"),
    }
}

fn one<T: core::fmt::Debug>(mut v: Vec<T>) -> T {
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

const E1: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];
const E2: [u8; 4] = [0x01, 0x02, 0x03, 0x04];

#[test]
fn pap_is_one_start_and_one_reply_5_4_2_2() {
    let mut c = Client::new(cfg(false));
    let mut s = Server::new(cfg(false));
    let t = c
        .start_authen(
            &E1,
            AuthenStart::pap(b"alice", b"pw", b"tty1", b"192.0.2.1"),
        )
        .unwrap();
    assert_eq!(t.session_id, 0xdead_beef);
    let p = decode(&t.bytes, "s3cret");
    assert_eq!(
        (p.header.seq_no, p.header.minor, p.header.flags.0),
        (1, 1, 0)
    );
    let ServerEvent::AuthenStart { session_id, start } = one(s.handle_input(&t.bytes)) else {
        panic!()
    };
    assert_eq!(
        (session_id, start.user.as_slice(), start.data.as_slice()),
        (0xdead_beef, &b"alice"[..], &b"pw"[..])
    );
    // A PAP session cannot ask for more (§5.4.2.2).
    let err = s
        .reply_authen(
            session_id,
            AuthenReply {
                status: AuthenStatus::GETPASS,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, SessionError::FlowViolation { .. }));
    let r = s
        .reply_authen(
            session_id,
            AuthenReply {
                status: AuthenStatus::PASS,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(r.close_after, "no single-connect: close after the session");
    assert_eq!(decode(&r.bytes, "s3cret").header.seq_no, 2);
    let ev = c.handle_input(&r.bytes);
    assert!(
        matches!(
            &ev[0],
            ClientEvent::AuthenReply {
                next: AuthenNext::Pass,
                ..
            }
        ),
        "{ev:?}"
    );
    assert_eq!(ev[1], ClientEvent::Close);
    assert_eq!(c.single_connect(), SingleConnect::Refused);
    assert!(c.is_closing() && s.is_closing());
    assert_eq!(
        c.start_authen(&E2, AuthenStart::pap(b"a", b"b", b"", b"")),
        Err(SessionError::Closing)
    );
}

#[test]
fn ascii_login_getuser_getpass_continue_dialogue_5_4_2_1() {
    let mut c = Client::new(cfg(false));
    let mut s = Server::new(cfg(false));
    let t = c
        .start_authen(&E1, AuthenStart::ascii_login(b"", b"tty1", b""))
        .unwrap();
    assert_eq!(
        decode(&t.bytes, "s3cret").header.minor,
        0,
        "ASCII uses minor 0 (§5.4.1)"
    );
    let ServerEvent::AuthenStart { session_id: id, .. } = one(s.handle_input(&t.bytes)) else {
        panic!()
    };
    let getuser = AuthenReply {
        status: AuthenStatus::GETUSER,
        server_msg: b"Username: ".to_vec(),
        ..Default::default()
    };
    let r = s.reply_authen(id, getuser).unwrap();
    assert!(!r.close_after);
    let ClientEvent::AuthenReply { next, .. } = one(c.handle_input(&r.bytes)) else {
        panic!()
    };
    assert_eq!(
        next,
        AuthenNext::Continue {
            status: AuthenStatus::GETUSER,
            echo: true
        }
    );
    // The client may not send anything else in this session before it answers... and the
    // server may not reply twice.
    assert_eq!(
        s.reply_authen(id, AuthenReply::default()),
        Err(SessionError::NotYourTurn(id))
    );
    let t = c.continue_authen(id, b"alice", b"").unwrap();
    assert_eq!(decode(&t.bytes, "s3cret").header.seq_no, 3);
    let ServerEvent::AuthenContinue { cont, .. } = one(s.handle_input(&t.bytes)) else {
        panic!()
    };
    assert_eq!(cont.user_msg, b"alice");
    let getpass = AuthenReply {
        status: AuthenStatus::GETPASS,
        flags: ReplyFlags::NOECHO,
        ..Default::default()
    };
    let r = s.reply_authen(id, getpass).unwrap();
    let ClientEvent::AuthenReply { next, .. } = one(c.handle_input(&r.bytes)) else {
        panic!()
    };
    assert_eq!(
        next,
        AuthenNext::Continue {
            status: AuthenStatus::GETPASS,
            echo: false
        }
    );
    let t = c.continue_authen(id, b"pw", b"").unwrap();
    assert_eq!(decode(&t.bytes, "s3cret").header.seq_no, 5);
    let ServerEvent::AuthenContinue { cont, .. } = one(s.handle_input(&t.bytes)) else {
        panic!()
    };
    assert_eq!(cont.user_msg, b"pw");
    let r = s
        .reply_authen(
            id,
            AuthenReply {
                status: AuthenStatus::FAIL,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(decode(&r.bytes, "s3cret").header.seq_no, 6);
    let ev = c.handle_input(&r.bytes);
    assert!(matches!(
        ev[0],
        ClientEvent::AuthenReply {
            next: AuthenNext::Fail,
            ..
        }
    ));
}

#[test]
fn chap_is_single_exchange_and_follow_means_fail_5_4_2_3_5_4_3() {
    let mut c = Client::new(cfg(false));
    let mut s = Server::new(cfg(false));
    let start = AuthenStart::chap_login(b"bob", b"", b"", 1, b"challenge", &[7; 16]);
    let t = c.start_authen(&E1, start).unwrap();
    let ServerEvent::AuthenStart {
        session_id: id,
        start,
    } = one(s.handle_input(&t.bytes))
    else {
        panic!()
    };
    assert_eq!(start.chap().unwrap().challenge, b"challenge");
    let r = s
        .reply_authen(
            id,
            AuthenReply {
                status: AuthenStatus::FOLLOW,
                ..Default::default()
            },
        )
        .unwrap();
    let ev = c.handle_input(&r.bytes);
    assert!(matches!(
        ev[0],
        ClientEvent::AuthenReply {
            next: AuthenNext::Fail,
            ..
        }
    ));
}

#[test]
fn client_rejects_getdata_in_a_pap_session_5_4_2_2() {
    let mut c = Client::new(cfg(false));
    let t = c
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    let h = decode(&t.bytes, "s3cret").header;
    let mut rh = Header::new(PacketType::AUTHEN, 1, 2, h.session_id);
    rh.flags = HeaderFlags::EMPTY;
    let body = Body::AuthenReply(AuthenReply {
        status: AuthenStatus::GETDATA,
        ..Default::default()
    });
    let bytes = encode_packet(&rh, &body, Some(&Key::from_text("s3cret"))).unwrap();
    let ev = c.handle_input(&bytes);
    let ClientEvent::Rejected {
        session_id,
        diagnostics,
    } = &ev[0]
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*session_id, Some(h.session_id));
    assert_eq!(diagnostics[0].code, FLOW_VIOLATION);
}

#[test]
fn authorization_and_accounting_are_one_request_one_response_6_7() {
    let mut c = Client::new(cfg(true));
    let mut s = Server::new(cfg(true));
    let req = AuthorRequest {
        user: b"alice".to_vec(),
        args: vec![b"service=shell".to_vec()],
        ..Default::default()
    };
    let t = c.start_author(&E1, req).unwrap();
    assert_eq!(decode(&t.bytes, "s3cret").header.minor, 0);
    let ServerEvent::AuthorRequest {
        session_id: id,
        request,
    } = one(s.handle_input(&t.bytes))
    else {
        panic!()
    };
    assert_eq!(request.args, vec![b"service=shell".to_vec()]);
    let r = s
        .respond_author(
            id,
            AuthorResponse {
                status: AuthorStatus::PASS_ADD,
                args: vec![b"priv-lvl=15".to_vec()],
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!r.close_after, "single-connect negotiated");
    let ClientEvent::AuthorResponse { response, .. } = one(c.handle_input(&r.bytes)) else {
        panic!()
    };
    assert_eq!(response.status, AuthorStatus::PASS_ADD);
    let acct = AcctRequest {
        flags: AcctFlags::START,
        args: vec![b"task_id=1".to_vec()],
        ..Default::default()
    };
    let t = c.start_acct(&E2, acct).unwrap();
    let ServerEvent::AcctRequest {
        session_id: id2, ..
    } = one(s.handle_input(&t.bytes))
    else {
        panic!()
    };
    assert_eq!(id2, 0x0102_0304);
    let r = s
        .reply_acct(
            id2,
            AcctReply {
                status: AcctStatus::SUCCESS,
                ..Default::default()
            },
        )
        .unwrap();
    let ClientEvent::AcctReply { reply, .. } = one(c.handle_input(&r.bytes)) else {
        panic!()
    };
    assert_eq!(reply.status, AcctStatus::SUCCESS);
    assert_eq!((c.active_sessions(), s.active_sessions()), (0, 0));
    assert!(!c.is_closing() && !s.is_closing());
}

#[test]
fn single_connect_is_negotiated_by_the_first_two_packets_4_3() {
    let mut c = Client::new(cfg(true));
    let mut s = Server::new(cfg(true));
    let t1 = c
        .start_acct(
            &E1,
            AcctRequest {
                flags: AcctFlags::START,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(decode(&t1.bytes, "s3cret").header.is_single_connect());
    assert_eq!(c.single_connect(), SingleConnect::Pending);
    // The client MUST NOT send a second packet until single-connect status is established.
    assert_eq!(
        c.start_acct(&E2, AcctRequest::default()),
        Err(SessionError::SingleConnectPending)
    );
    one(s.handle_input(&t1.bytes));
    let r1 = s
        .reply_acct(
            0xdead_beef,
            AcctReply {
                status: AcctStatus::SUCCESS,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(decode(&r1.bytes, "s3cret").header.is_single_connect());
    assert_eq!(s.single_connect(), SingleConnect::Negotiated);
    one(c.handle_input(&r1.bytes));
    assert_eq!(c.single_connect(), SingleConnect::Negotiated);
    // Now sessions may run side by side, and later packets carry no flag (ignored anyway).
    let a = c
        .start_acct(
            &E1,
            AcctRequest {
                flags: AcctFlags::STOP,
                ..Default::default()
            },
        )
        .unwrap();
    let b = c
        .start_acct(
            &E2,
            AcctRequest {
                flags: AcctFlags::STOP,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!decode(&a.bytes, "s3cret").header.is_single_connect());
    let both = [a.bytes, b.bytes].concat();
    assert_eq!(s.handle_input(&both).len(), 2, "two PDUs in one read");
    assert_eq!(s.active_sessions(), 2);
}

#[test]
fn server_refusing_single_connect_closes_after_first_session_4_3() {
    let mut c = Client::new(cfg(true));
    let mut s = Server::new(cfg(false));
    let t = c
        .start_acct(
            &E1,
            AcctRequest {
                flags: AcctFlags::START,
                ..Default::default()
            },
        )
        .unwrap();
    one(s.handle_input(&t.bytes));
    let r = s
        .reply_acct(
            0xdead_beef,
            AcctReply {
                status: AcctStatus::SUCCESS,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!decode(&r.bytes, "s3cret").header.is_single_connect());
    assert!(r.close_after);
    let ev = c.handle_input(&r.bytes);
    assert_eq!(ev.last(), Some(&ClientEvent::Close));
    assert_eq!(c.single_connect(), SingleConnect::Refused);
}

#[test]
fn server_rejects_a_second_session_without_single_connect_4_3() {
    let mut s = Server::new(cfg(false));
    let mut c1 = Client::new(cfg(false));
    let mut c2 = Client::new(cfg(false));
    let a = c1
        .start_acct(
            &E1,
            AcctRequest {
                flags: AcctFlags::START,
                ..Default::default()
            },
        )
        .unwrap();
    let b = c2
        .start_acct(
            &E2,
            AcctRequest {
                flags: AcctFlags::START,
                ..Default::default()
            },
        )
        .unwrap();
    one(s.handle_input(&a.bytes));
    let ev = s.handle_input(&b.bytes);
    let ServerEvent::Rejected { diagnostics, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(diagnostics[0].code, FLOW_VIOLATION);
    let ServerEvent::Send(t) = &ev[1] else {
        panic!("{ev:?}")
    };
    let Body::AcctReply(r) = decode(&t.bytes, "s3cret").body else {
        panic!()
    };
    assert_eq!(r.status, AcctStatus::ERROR);
}

#[test]
fn client_rejects_wrong_session_id_bad_seq_and_absurd_length_4_1() {
    let mut c = Client::new(cfg(true));
    let t = c
        .start_authen(&E1, AuthenStart::ascii_login(b"", b"", b""))
        .unwrap();
    let id = t.session_id;
    let key = Key::from_text("s3cret");
    let reply = |sid: u32, seq: u8| {
        let h = Header::new(PacketType::AUTHEN, 0, seq, sid);
        let b = Body::AuthenReply(AuthenReply {
            status: AuthenStatus::GETUSER,
            ..Default::default()
        });
        encode_packet(&h, &b, Some(&key)).unwrap()
    };
    // Unknown session: reported, ignored, the real session survives.
    let ClientEvent::Rejected {
        session_id,
        diagnostics,
    } = one(c.handle_input(&reply(0x1111_1111, 2)))
    else {
        panic!()
    };
    assert_eq!((session_id, diagnostics[0].code), (None, UNKNOWN_SESSION));
    assert_eq!(c.active_sessions(), 1);
    // Wrong seq_no: the session is terminated.
    let ev = c.handle_input(&reply(id, 4));
    let ClientEvent::Rejected {
        session_id,
        diagnostics,
    } = &ev[0]
    else {
        panic!()
    };
    assert_eq!(*session_id, Some(id));
    assert!(diagnostics.iter().any(|d| d.code == codes::SEQ_UNEXPECTED));
    assert_eq!(c.active_sessions(), 0);
    // Absurd length: the stream cannot be trusted any more.
    let mut c = Client::new(cfg(true));
    let t = c
        .start_authen(&E1, AuthenStart::ascii_login(b"", b"", b""))
        .unwrap();
    let mut h = Header::new(PacketType::AUTHEN, 0, 2, t.session_id);
    h.length = 0xffff_ffff;
    let ev = c.handle_input(&h.to_bytes());
    assert!(ev.iter().any(|e| matches!(e, ClientEvent::Rejected { diagnostics, .. } if diagnostics.iter().any(|d| d.code == codes::LENGTH_OVER_MAX))));
    assert_eq!(ev.last(), Some(&ClientEvent::Close));
}

#[test]
fn client_waits_for_the_rest_of_a_split_reply() {
    let mut c = Client::new(cfg(false));
    let mut s = Server::new(cfg(false));
    let t = c
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    one(s.handle_input(&t.bytes));
    let r = s
        .reply_authen(
            t.session_id,
            AuthenReply {
                status: AuthenStatus::PASS,
                server_msg: b"hi".to_vec(),
                ..Default::default()
            },
        )
        .unwrap();
    for (i, b) in r.bytes.iter().enumerate() {
        let ev = c.handle_input(&[*b]);
        if i + 1 < r.bytes.len() {
            assert!(ev.is_empty(), "byte {i}: {ev:?}");
        } else {
            assert!(matches!(
                ev[0],
                ClientEvent::AuthenReply {
                    next: AuthenNext::Pass,
                    ..
                }
            ));
        }
    }
}

#[test]
fn server_answers_wrong_key_with_error_and_drains_single_connect_4_4_4_5() {
    let mut c = Client::new(SessionConfig {
        single_connect: true,
        ..SessionConfig::new(Key::from_text("other"))
    });
    let mut s = Server::new(cfg(true));
    // Negotiate single-connect with a good client first, on the same server connection.
    let mut good = Client::new(cfg(true));
    let t = good
        .start_acct(
            &E2,
            AcctRequest {
                flags: AcctFlags::START,
                ..Default::default()
            },
        )
        .unwrap();
    one(s.handle_input(&t.bytes));
    s.reply_acct(
        t.session_id,
        AcctReply {
            status: AcctStatus::SUCCESS,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.single_connect(), SingleConnect::Negotiated);
    let t = c
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    let ev = s.handle_input(&t.bytes);
    let ServerEvent::Rejected { diagnostics, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert!(diagnostics.iter().any(|d| d.code == codes::WRONG_KEY));
    let ServerEvent::Send(answer) = &ev[1] else {
        panic!("{ev:?}")
    };
    let p = decode(&answer.bytes, "s3cret");
    assert_eq!(p.header.seq_no, 2);
    let Body::AuthenReply(r) = p.body else {
        panic!()
    };
    assert_eq!(r.status, AuthenStatus::ERROR, "§4.5: MUST return ERROR");
    assert!(
        answer.close_after,
        "§4.4: no new sessions, none active: close"
    );
    assert_eq!(ev.last(), Some(&ServerEvent::Close));
}

#[test]
fn server_drops_unencrypted_requests_4_5() {
    let mut c = Client::new(SessionConfig {
        unencrypted: true,
        ..cfg(false)
    });
    let mut s = Server::new(cfg(false));
    let t = c
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    let ev = s.handle_input(&t.bytes);
    assert!(
        matches!(&ev[0], ServerEvent::Rejected { diagnostics, .. } if diagnostics.iter().any(|d| d.code == codes::UNENCRYPTED))
    );
    assert!(
        !ev.iter().any(|e| matches!(e, ServerEvent::Send(_))),
        "dropped, not answered"
    );
    // Both ends configured for unencrypted testing: it works.
    let mut s = Server::new(SessionConfig {
        unencrypted: true,
        ..cfg(false)
    });
    assert!(matches!(
        one(s.handle_input(&t.bytes)),
        ServerEvent::AuthenStart { .. }
    ));
}

#[test]
fn server_answers_unknown_type_with_the_generic_error_packet_3_6() {
    let mut s = Server::new(cfg(false));
    let mut h = Header::new(PacketType(9), 0, 1, 0x4242_4242);
    h.length = 3;
    let mut bytes = h.to_bytes().to_vec();
    bytes.extend_from_slice(b"abc");
    let ev = s.handle_input(&bytes);
    let ServerEvent::Send(t) = &ev[1] else {
        panic!("{ev:?}")
    };
    let mut want = h;
    want.seq_no = 2;
    want.length = 0;
    assert_eq!(t.bytes, want.to_bytes().to_vec());
}

#[test]
fn seq_no_never_wraps_session_terminates_at_255_4_1() {
    let mut c = Client::new(cfg(false));
    let mut s = Server::new(cfg(false));
    let t = c
        .start_authen(&E1, AuthenStart::ascii_login(b"u", b"", b""))
        .unwrap();
    let id = t.session_id;
    one(s.handle_input(&t.bytes));
    let getdata = || AuthenReply {
        status: AuthenStatus::GETDATA,
        ..Default::default()
    };
    let mut last = 1;
    loop {
        match s.reply_authen(id, getdata()) {
            Ok(r) => {
                let ClientEvent::AuthenReply { .. } = one(c.handle_input(&r.bytes)) else {
                    panic!()
                };
                let t = c.continue_authen(id, b"x", b"").unwrap();
                last = decode(&t.bytes, "s3cret").header.seq_no;
                one(s.handle_input(&t.bytes));
            }
            Err(e) => {
                assert_eq!(e, SessionError::SeqExhausted(id));
                break;
            }
        }
    }
    assert_eq!(
        last, 253,
        "the last CONTINUE is 253; a GETDATA at 254 would need 255"
    );
    // The server can still end the session at 254.
    let r = s
        .reply_authen(
            id,
            AuthenReply {
                status: AuthenStatus::ERROR,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(decode(&r.bytes, "s3cret").header.seq_no, 254);
    // A client packet with seq_no 255 is refused by a server.
    let mut s = Server::new(cfg(false));
    let h = Header::new(PacketType::AUTHEN, 0, 255, 7);
    let b = Body::AuthenContinue(AuthenContinue::default());
    let bytes = encode_packet(&h, &b, Some(&Key::from_text("s3cret"))).unwrap();
    let ev = s.handle_input(&bytes);
    assert!(matches!(&ev[0], ServerEvent::Rejected { .. }));
    assert!(
        !ev.iter().any(|e| matches!(e, ServerEvent::Send(_))),
        "no seq_no 256 to answer with"
    );
}

#[test]
fn session_id_comes_from_caller_entropy_4_1() {
    let mut c = Client::new(cfg(true));
    assert_eq!(
        c.start_authen(&[1, 2, 3], AuthenStart::default()),
        Err(SessionError::NotEnoughEntropy(3))
    );
    let t = c
        .start_authen(
            &[0xaa, 0xbb, 0xcc, 0xdd, 0xee],
            AuthenStart::ascii_login(b"", b"", b""),
        )
        .unwrap();
    assert_eq!(t.session_id, 0xaabb_ccdd);
    assert_eq!(decode(&t.bytes, "s3cret").header.session_id, 0xaabb_ccdd);
}

#[test]
fn client_abort_ends_the_session_on_both_sides_5_4_3() {
    let mut c = Client::new(cfg(false));
    let mut s = Server::new(cfg(false));
    let t = c
        .start_authen(&E1, AuthenStart::ascii_login(b"", b"", b""))
        .unwrap();
    one(s.handle_input(&t.bytes));
    let r = s
        .reply_authen(
            t.session_id,
            AuthenReply {
                status: AuthenStatus::GETUSER,
                ..Default::default()
            },
        )
        .unwrap();
    one(c.handle_input(&r.bytes));
    let a = c.abort_authen(t.session_id, b"user hung up").unwrap();
    assert!(a.close_after);
    let ev = s.handle_input(&a.bytes);
    assert_eq!(
        ev[0],
        ServerEvent::AuthenAbort {
            session_id: t.session_id,
            reason: b"user hung up".to_vec()
        }
    );
    assert_eq!(ev[1], ServerEvent::Close);
}
