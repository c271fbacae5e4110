//! Connection rules seen from one end: framing, §4.1 header and seq_no, §4.3 single
//! connection mode, §4.4 draining, §4.5 key and UNENCRYPTED, §3.6 error packet.

use super::*;

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

fn tls() -> SessionConfig {
    SessionConfig {
        tls: true,
        ..SessionConfig::new(Key::default())
    }
}

#[test]
fn inside_tls_both_ends_send_the_unencrypted_flag_and_no_obfuscation_rfc9887_4() {
    let mut c = Client::new(tls());
    let mut s = Server::new(tls());
    let t = c
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    let p = decode(&t.bytes, "");
    assert!(p.header.is_unencrypted());
    assert!(t.bytes.windows(2).any(|w| w == b"up"), "body in clear");
    let id = match one(s.handle_input(&t.bytes)) {
        ServerEvent::AuthenStart { session_id, .. } => session_id,
        e => panic!("{e:?}"),
    };
    let r = s
        .reply_authen(
            id,
            AuthenReply {
                status: AuthenStatus::PASS,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(decode(&r.bytes, "").header.is_unencrypted());
    let ev = c.handle_input(&r.bytes);
    assert!(
        matches!(&ev[0], ClientEvent::AuthenReply { reply, .. } if reply.status == AuthenStatus::PASS),
        "{ev:?}"
    );
}

#[test]
fn inside_tls_the_server_answers_an_obfuscated_request_with_error_and_ends_it_rfc9887_4() {
    // A client that obfuscates (RFC 8907 §4.5) although the connection is TLS.
    let mut c = Client::new(cfg(false));
    let mut s = Server::new(tls());
    let t = c
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    let ev = s.handle_input(&t.bytes);
    assert!(
        matches!(&ev[0], ServerEvent::Rejected { diagnostics, .. }
            if diagnostics.iter().any(|d| d.code == codes::OBFUSCATED_OVER_TLS)),
        "{ev:?}"
    );
    let ServerEvent::Send(answer) = &ev[1] else {
        panic!("{ev:?}")
    };
    let p = decode(&answer.bytes, "");
    // "MUST return an error of TAC_PLUS_AUTHEN_STATUS_ERROR … with the
    // TAC_PLUS_UNENCRYPTED_FLAG bit set to 1, and terminate the session".
    assert!(p.header.is_unencrypted());
    assert_eq!(p.header.seq_no, 2);
    let Body::AuthenReply(r) = p.body else {
        panic!("{:?}", p.body)
    };
    assert_eq!(r.status, AuthenStatus::ERROR);
    assert!(
        s.reply_authen(t.session_id, AuthenReply::default())
            .is_err(),
        "the session is over"
    );
}

#[test]
fn inside_tls_the_client_refuses_a_reply_without_the_flag_rfc9887_4() {
    let mut c = Client::new(tls());
    let mut s = Server::new(SessionConfig {
        unencrypted: true,
        ..cfg(false)
    });
    let t = c
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    one(s.handle_input(&t.bytes));
    // The reply of a server that obfuscates with its key.
    let mut obf = Server::new(cfg(false));
    let mut plain = Client::new(cfg(false));
    let t2 = plain
        .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
        .unwrap();
    one(obf.handle_input(&t2.bytes));
    let r = obf
        .reply_authen(t2.session_id, AuthenReply::default())
        .unwrap();
    let ev = c.handle_input(&r.bytes);
    assert!(
        !ev.iter()
            .any(|e| matches!(e, ClientEvent::AuthenReply { .. })),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| matches!(e, ClientEvent::Rejected { diagnostics, .. }
            if diagnostics.iter().any(|d| d.code == codes::OBFUSCATED_OVER_TLS))),
        "{ev:?}"
    );
}
