//! Each flow end to end: authentication (§5.4.2), authorization (§6), accounting (§7).

use super::*;

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
