//! The connection rules both ends share (one core, `connection.rs`): the same malformed
//! packet is refused the same way — same diagnostic codes, session over — by a client that
//! receives it as a reply and by a server that receives it as a request.

use super::*;

const KEY: &str = "s3cret";
const OTHER: u32 = 0x1111_1111;

/// `h` as given (flags included), `body` obfuscated with `key` unless UNENCRYPTED is set.
fn packet(h: Header, body: Body, key: &str) -> Vec<u8> {
    encode_packet(&h, &body, Some(&Key::from_text(key))).unwrap()
}

fn getuser() -> Body {
    Body::AuthenReply(AuthenReply {
        status: AuthenStatus::GETUSER,
        ..Default::default()
    })
}

fn cont() -> Body {
    Body::AuthenContinue(AuthenContinue {
        user_msg: b"alice".to_vec(),
        ..Default::default()
    })
}

/// A client that sent an ASCII login START (seq_no 1) and waits for the reply.
fn client_waiting(single: bool) -> (Client, u32) {
    let mut c = Client::new(cfg(single));
    let t = c
        .start_authen(&E1, AuthenStart::ascii_login(b"", b"tty1", b""))
        .unwrap();
    (c, t.session_id)
}

/// A server that answered an ASCII login START with GETUSER (seq_no 2) and waits for the
/// CONTINUE.
fn server_waiting(single: bool) -> (Server, u32) {
    let (mut c, id) = client_waiting(single);
    let mut s = Server::new(cfg(single));
    let start = Body::AuthenStart(AuthenStart::ascii_login(b"", b"tty1", b""));
    let mut h = Header::new(PacketType::AUTHEN, 0, 1, id);
    if single {
        h.flags = HeaderFlags::SINGLE_CONNECT;
    }
    one(s.handle_input(&packet(h, start, KEY)));
    let r = s
        .reply_authen(
            id,
            AuthenReply {
                status: AuthenStatus::GETUSER,
                ..Default::default()
            },
        )
        .unwrap();
    one(c.handle_input(&r.bytes));
    (s, id)
}

fn codes_of(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code).collect()
}

/// The session and codes of the client's refusal, which must be its first event.
fn client_refusal(ev: &[ClientEvent]) -> (Option<u32>, Vec<&'static str>) {
    match ev.first() {
        Some(ClientEvent::Rejected {
            session_id,
            diagnostics,
        }) => (*session_id, codes_of(diagnostics)),
        _ => panic!("not refused: {ev:?}"),
    }
}

/// The session and codes of the server's refusal, which must be its first event.
fn server_refusal(ev: &[ServerEvent]) -> (Option<u32>, Vec<&'static str>) {
    match ev.first() {
        Some(ServerEvent::Rejected {
            session_id,
            diagnostics,
        }) => (*session_id, codes_of(diagnostics)),
        _ => panic!("not refused: {ev:?}"),
    }
}

#[test]
fn both_ends_refuse_a_seq_no_that_is_not_the_last_plus_one_and_end_the_session_4_1_4_4() {
    let (mut c, id) = client_waiting(false);
    let ev = c.handle_input(&packet(
        Header::new(PacketType::AUTHEN, 0, 4, id),
        getuser(),
        KEY,
    ));
    let client = client_refusal(&ev);
    let (mut s, id) = server_waiting(false);
    let ev2 = s.handle_input(&packet(
        Header::new(PacketType::AUTHEN, 0, 5, id),
        cont(),
        KEY,
    ));
    let server = server_refusal(&ev2);
    assert_eq!(client, (Some(id), vec![codes::SEQ_UNEXPECTED]));
    assert_eq!(server, client);
    // The session is over on both ends and, without Single Connection Mode, the connection
    // with it (§4.4).
    assert_eq!((c.active_sessions(), s.active_sessions()), (0, 0));
    assert!(c.is_closing() && s.is_closing());
    assert_eq!(ev.last(), Some(&ClientEvent::Close));
    assert_eq!(ev2.last(), Some(&ServerEvent::Close));
}

#[test]
fn both_ends_refuse_a_packet_of_another_type_than_the_session_4_1() {
    let (mut c, id) = client_waiting(true);
    let response = Body::AuthorResponse(AuthorResponse {
        status: AuthorStatus::PASS_ADD,
        ..Default::default()
    });
    let client = client_refusal(&c.handle_input(&packet(
        Header::new(PacketType::AUTHOR, 0, 2, id),
        response,
        KEY,
    )));
    let (mut s, id) = server_waiting(true);
    let request = Body::AuthorRequest(AuthorRequest {
        user: b"alice".to_vec(),
        ..Default::default()
    });
    let server = server_refusal(&s.handle_input(&packet(
        Header::new(PacketType::AUTHOR, 0, 3, id),
        request,
        KEY,
    )));
    assert_eq!(client, (Some(id), vec![codes::FLOW_VIOLATION]));
    assert_eq!(server, client);
    assert_eq!((c.active_sessions(), s.active_sessions()), (0, 0));
}

#[test]
fn both_ends_refuse_a_body_obfuscated_with_another_key_4_5() {
    let (mut c, id) = client_waiting(false);
    let client = client_refusal(&c.handle_input(&packet(
        Header::new(PacketType::AUTHEN, 0, 2, id),
        getuser(),
        "other",
    )));
    let (mut s, id) = server_waiting(false);
    let server = server_refusal(&s.handle_input(&packet(
        Header::new(PacketType::AUTHEN, 0, 3, id),
        cont(),
        "other",
    )));
    assert_eq!(client.0, Some(id));
    assert!(client.1.contains(&codes::WRONG_KEY), "{client:?}");
    assert_eq!(server, client);
    assert_eq!((c.active_sessions(), s.active_sessions()), (0, 0));
}

#[test]
fn both_ends_refuse_an_unencrypted_body_unless_configured_for_it_4_5() {
    let mut h = Header::new(PacketType::AUTHEN, 0, 2, 0);
    h.flags = HeaderFlags::UNENCRYPTED;
    let (mut c, id) = client_waiting(false);
    h.session_id = id;
    let client = client_refusal(&c.handle_input(&packet(h, getuser(), KEY)));
    let (mut s, id) = server_waiting(false);
    h.session_id = id;
    h.seq_no = 3;
    let ev = s.handle_input(&packet(h, cont(), KEY));
    let server = server_refusal(&ev);
    assert_eq!(client, (Some(id), vec![codes::UNENCRYPTED]));
    assert_eq!(server, client);
    // How each end answers differs: a server drops the request without an ERROR (§4.5).
    assert!(!ev.iter().any(|e| matches!(e, ServerEvent::Send(_))));
}

#[test]
fn both_ends_refuse_an_unknown_major_version_4_1() {
    let mut h = Header::new(PacketType::AUTHEN, 0, 2, 0);
    h.major = 0x0d;
    let (mut c, id) = client_waiting(false);
    h.session_id = id;
    let client = client_refusal(&c.handle_input(&packet(h, getuser(), KEY)));
    let (mut s, id) = server_waiting(false);
    h.session_id = id;
    h.seq_no = 3;
    let server = server_refusal(&s.handle_input(&packet(h, cont(), KEY)));
    assert_eq!(client.0, Some(id));
    assert!(client.1.contains(&codes::BAD_MAJOR_VERSION), "{client:?}");
    assert_eq!(server, client);
}

#[test]
fn both_ends_close_on_a_length_over_the_maximum_and_ignore_what_follows_4_1() {
    let (mut c, id) = client_waiting(true);
    let mut h = Header::new(PacketType::AUTHEN, 0, 2, id);
    h.length = 0xffff_ffff;
    let ev = c.handle_input(&h.to_bytes());
    let client = client_refusal(&ev);
    assert_eq!(ev.last(), Some(&ClientEvent::Close));
    let (mut s, id) = server_waiting(true);
    h.seq_no = 3;
    let ev2 = s.handle_input(&h.to_bytes());
    let server = server_refusal(&ev2);
    assert_eq!(ev2.last(), Some(&ServerEvent::Close));
    assert_eq!(client.0, Some(id));
    assert!(client.1.contains(&codes::LENGTH_OVER_MAX), "{client:?}");
    assert_eq!(server, client);
    // The stream cannot be resynchronised: later bytes are ignored on both ends.
    assert!(c.is_closing() && s.is_closing());
    let later = packet(Header::new(PacketType::AUTHEN, 0, 2, id), getuser(), KEY);
    assert!(c.handle_input(&later).is_empty());
    assert!(s.handle_input(&later).is_empty());
}

#[test]
fn both_ends_refuse_a_packet_for_no_active_session_and_keep_the_real_one_4_1() {
    let (mut c, _) = client_waiting(false);
    let client = client_refusal(&c.handle_input(&packet(
        Header::new(PacketType::AUTHEN, 0, 2, OTHER),
        getuser(),
        KEY,
    )));
    let (mut s, _) = server_waiting(false);
    let server = server_refusal(&s.handle_input(&packet(
        Header::new(PacketType::AUTHEN, 0, 3, OTHER),
        cont(),
        KEY,
    )));
    assert_eq!(client.1, vec![codes::UNKNOWN_SESSION]);
    assert_eq!(server.1, client.1);
    // The claimed id is reported by the server (it answers it with an ERROR), not by the
    // client; the real session survives on both ends.
    assert_eq!((client.0, server.0), (None, Some(OTHER)));
    assert_eq!((c.active_sessions(), s.active_sessions()), (1, 1));
    assert!(!c.is_closing() && !s.is_closing());
}

#[test]
fn both_ends_refuse_to_send_out_of_turn_or_for_no_session_4_1() {
    let (mut c, id) = client_waiting(false);
    assert_eq!(
        c.continue_authen(id, b"alice", b""),
        Err(SessionError::NotYourTurn(id))
    );
    assert_eq!(
        c.continue_authen(OTHER, b"alice", b""),
        Err(SessionError::UnknownSession(OTHER))
    );
    let (mut s, id) = server_waiting(false);
    let reply = AuthenReply {
        status: AuthenStatus::GETPASS,
        ..Default::default()
    };
    assert_eq!(
        s.reply_authen(id, reply.clone()),
        Err(SessionError::NotYourTurn(id))
    );
    assert_eq!(
        s.reply_authen(OTHER, reply),
        Err(SessionError::UnknownSession(OTHER))
    );
    // Refusing to send changes nothing.
    assert_eq!((c.active_sessions(), s.active_sessions()), (1, 1));
}

fn acct(flags: AcctFlags) -> AcctRequest {
    AcctRequest {
        flags,
        ..Default::default()
    }
}

fn success() -> AcctReply {
    AcctReply {
        status: AcctStatus::SUCCESS,
        ..Default::default()
    }
}

#[test]
fn both_ends_settle_single_connect_alike_from_the_first_packet_of_each_4_3_4_4() {
    for (want, grant) in [(false, false), (false, true), (true, false), (true, true)] {
        let mut c = Client::new(cfg(want));
        let mut s = Server::new(cfg(grant));
        let t = c.start_acct(&E1, acct(AcctFlags::START)).unwrap();
        assert_eq!(decode(&t.bytes, KEY).header.is_single_connect(), want);
        one(s.handle_input(&t.bytes));
        let r = s.reply_acct(t.session_id, success()).unwrap();
        // A server sets the flag in its first reply when it allows the mode (§4.3).
        assert_eq!(decode(&r.bytes, KEY).header.is_single_connect(), grant);
        let ev = c.handle_input(&r.bytes);
        assert!(matches!(ev[0], ClientEvent::AcctReply { .. }), "{ev:?}");
        let negotiated = want && grant;
        let status = if negotiated {
            SingleConnect::Negotiated
        } else {
            SingleConnect::Refused
        };
        assert_eq!(
            (c.single_connect(), s.single_connect()),
            (status, status),
            "{want} {grant}"
        );
        // §4.4: without the mode both ends close when the session is complete.
        assert_eq!(
            (c.is_closing(), s.is_closing(), r.close_after),
            (!negotiated, !negotiated, !negotiated)
        );
        if negotiated {
            // Later packets carry no flag; the mode stays negotiated.
            let t = c.start_acct(&E2, acct(AcctFlags::STOP)).unwrap();
            assert!(!decode(&t.bytes, KEY).header.is_single_connect());
            one(s.handle_input(&t.bytes));
            let r = s.reply_acct(t.session_id, success()).unwrap();
            assert!(!decode(&r.bytes, KEY).header.is_single_connect());
            one(c.handle_input(&r.bytes));
            assert_eq!(c.single_connect(), SingleConnect::Negotiated);
            assert_eq!(s.single_connect(), SingleConnect::Negotiated);
        }
    }
}

#[test]
fn both_ends_refuse_a_packet_that_leaves_no_room_for_an_answer_4_1() {
    // Walk an ASCII login to the client's CONTINUE at 253 (the last seq_no that can still
    // be answered).
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
    let mut seq = 1;
    while seq < 253 {
        let r = s.reply_authen(id, getdata()).unwrap();
        one(c.handle_input(&r.bytes));
        let t = c.continue_authen(id, b"x", b"").unwrap();
        seq = decode(&t.bytes, KEY).header.seq_no;
        one(s.handle_input(&t.bytes));
    }
    // The server may not ask for more at 254 (the answer would need 255)...
    assert_eq!(
        s.reply_authen(id, getdata()),
        Err(SessionError::SeqExhausted(id))
    );
    // ...and a client refuses such a reply from a server that tries.
    let bytes = packet(
        Header::new(PacketType::AUTHEN, 0, 254, id),
        Body::AuthenReply(getdata()),
        KEY,
    );
    let client = client_refusal(&c.handle_input(&bytes));
    assert_eq!(client, (Some(id), vec![codes::SEQ_UNEXPECTED]));
    // A server refuses a client packet at 255 the same way, and cannot answer it.
    let mut s = Server::new(cfg(false));
    let ev = s.handle_input(&packet(
        Header::new(PacketType::AUTHEN, 0, 255, id),
        cont(),
        KEY,
    ));
    let server = server_refusal(&ev);
    assert!(server.1.contains(&codes::SEQ_UNEXPECTED), "{server:?}");
    assert!(!ev.iter().any(|e| matches!(e, ServerEvent::Send(_))));
}
