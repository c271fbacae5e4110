//! One table, both directions: every body kind encodes to its bytes and decodes back
//! (§5.1–§7.2), plus known-answer packets and the body kind rule (§4.1).

use super::*;

/// One table, both directions (hickory `bin_tests.rs` idea): every body kind, the value and
/// its cleartext bytes written by hand from the RFC 8907 layouts (§5.1–§7.2).
pub(super) fn table() -> Vec<(Body, Vec<u8>)> {
    vec![
        // §5.1 START: action, priv_lvl, authen_type, authen_service, 4 length bytes, fields.
        (
            Body::AuthenStart(AuthenStart::pap(b"admin", b"pass123", b"tty0", b"10.0.0.1")),
            cat(&[
                &hx("01 01 02 01 05 04 08 07"),
                b"admin",
                b"tty0",
                b"10.0.0.1",
                b"pass123",
            ]),
        ),
        // §5.2 REPLY: status GETPASS, flags NOECHO, server_msg_len 10, data_len 0.
        (
            Body::AuthenReply(AuthenReply {
                status: AuthenStatus::GETPASS,
                flags: ReplyFlags::NOECHO,
                server_msg: v("Password: "),
                ..Default::default()
            }),
            cat(&[&hx("05 01 000a 0000"), b"Password: "]),
        ),
        // §5.3 CONTINUE: user_msg_len 6, data_len 2, flags 0.
        (
            Body::AuthenContinue(AuthenContinue {
                user_msg: v("secret"),
                data: vec![0xde, 0xad],
                ..Default::default()
            }),
            cat(&[&hx("0006 0002 00"), b"secret", &[0xde, 0xad]]),
        ),
        // §6.1 REQUEST: method TACACSPLUS, priv 1, ASCII, LOGIN, lens 5/4/0, 2 args (13, 8).
        (
            Body::AuthorRequest(AuthorRequest {
                authen_method: AuthenMethod::TACACSPLUS,
                priv_lvl: PrivLvl::USER,
                authen_type: AuthenType::ASCII,
                authen_service: AuthenService::LOGIN,
                user: v("admin"),
                port: v("tty0"),
                rem_addr: Vec::new(),
                args: vec![v("service=shell"), v("cmd*show")],
                ..Default::default()
            }),
            cat(&[
                &hx("06 01 01 01 05 04 00 02 0d 08"),
                b"admin",
                b"tty0",
                b"service=shell",
                b"cmd*show",
            ]),
        ),
        // §6.2 RESPONSE: PASS_ADD, 1 arg, server_msg_len 2, data_len 1, arg len 11.
        (
            Body::AuthorResponse(AuthorResponse {
                status: AuthorStatus::PASS_ADD,
                args: vec![v("priv-lvl=15")],
                server_msg: v("ok"),
                data: v("d"),
                ..Default::default()
            }),
            cat(&[&hx("01 01 0002 0001 0b"), b"ok", b"d", b"priv-lvl=15"]),
        ),
        // §7.1 REQUEST: flags START, method TACACSPLUS, priv 15, ASCII, LOGIN, lens 5/4/0, 2 args.
        (
            Body::AcctRequest(AcctRequest {
                flags: AcctFlags::START,
                authen_method: AuthenMethod::TACACSPLUS,
                priv_lvl: PrivLvl::ROOT,
                authen_type: AuthenType::ASCII,
                authen_service: AuthenService::LOGIN,
                user: v("admin"),
                port: v("tty0"),
                rem_addr: Vec::new(),
                args: vec![v("task_id=7"), v("start_time=1600000000")],
                ..Default::default()
            }),
            cat(&[
                &hx("02 06 0f 01 01 05 04 00 02 09 15"),
                b"admin",
                b"tty0",
                b"task_id=7",
                b"start_time=1600000000",
            ]),
        ),
        // §7.2 REPLY: server_msg_len 0, data_len 0, status SUCCESS.
        (
            Body::AcctReply(AcctReply {
                status: AcctStatus::SUCCESS,
                ..Default::default()
            }),
            hx("0000 0000 01"),
        ),
    ]
}

pub(super) fn header_for(kind: BodyKind) -> Header {
    let (t, seq) = match kind {
        BodyKind::AuthenStart => (PacketType::AUTHEN, 1),
        BodyKind::AuthenReply => (PacketType::AUTHEN, 2),
        BodyKind::AuthenContinue => (PacketType::AUTHEN, 3),
        BodyKind::AuthorRequest => (PacketType::AUTHOR, 1),
        BodyKind::AuthorResponse => (PacketType::AUTHOR, 2),
        BodyKind::AcctRequest => (PacketType::ACCT, 1),
        BodyKind::AcctReply => (PacketType::ACCT, 2),
        BodyKind::Unknown => (PacketType(9), 1),
    };
    let minor = if kind == BodyKind::AuthenStart || t == PacketType::AUTHEN {
        1
    } else {
        0
    };
    Header::new(t, minor, seq, 0x0102_0304)
}

#[test]
fn table_encodes_to_its_bytes_5_to_7() {
    for (value, bytes) in table() {
        assert_eq!(value.to_bytes().unwrap(), bytes, "{:?}", value.kind());
    }
}

#[test]
fn table_bytes_decode_to_their_value_with_spans_5_to_7() {
    for (value, bytes) in table() {
        let mut d = Vec::new();
        let got = Body::decode(value.kind(), &bytes, 12, &mut d);
        assert_eq!(got, value, "{:?}", value.kind());
        assert!(d.is_empty(), "{:?}: {d:?}", value.kind());
        // Every field span lies inside the body and the last one ends at its end.
        if let Body::AuthenStart(s) = &got {
            assert_eq!(s.spans.user, codec::Span::new(20, 5));
            assert_eq!(s.spans.data.end, 12 + bytes.len());
        }
        if let Body::AuthorRequest(r) = &got {
            assert_eq!(r.spans.args[1].len, codec::Span::new(12 + 9, 1));
            assert_eq!(r.spans.args[1].value.end, 12 + bytes.len());
        }
    }
}

#[test]
fn table_packets_round_trip_through_obfuscation_4_5() {
    let key = Key::from_text("tac_plus_key");
    for (value, bytes) in table() {
        let h = header_for(value.kind());
        let packet = encode_packet(&h, &value, Some(&key)).unwrap();
        assert_eq!(packet.len(), 12 + bytes.len());
        assert_ne!(&packet[12..], &bytes[..], "body must be obfuscated");
        let pdu = complete(decode_pdu(&packet, &DecodeOptions::with_key(key.clone())));
        assert_eq!(pdu.body, value);
        assert_eq!(pdu.body_clear, bytes);
        assert_eq!(pdu.key_index, Some(0));
        assert_eq!(pdu.body_state, BodyState::Deobfuscated);
        assert!(pdu.validate().is_ok(), "{:?}", pdu.diagnostics);
        assert_eq!(
            encode_packet(&pdu.header, &pdu.body, Some(&key)).unwrap(),
            packet
        );
    }
}

/// Known answer: these packets were computed independently with Python's `hashlib` and
/// `struct` from the RFC text (§4.1 header, §4.5 pad, §5.1 / §5.2 layouts), not by this code.
#[test]
fn known_answer_pap_start_and_reply_4_5_5_1() {
    let start = hx(
        "c101010001020304000000208e90cfa4a32e25f8851f90268027ffde2e217552da7c4a9d56cf899e2d61ce84",
    );
    let reply = hx("c1010200010203040000000d7d95b2e19552c7a809e22fe4bd");
    let opts = DecodeOptions::with_key(Key::from_text("tac_plus_key"));
    let p = complete(decode_pdu(&start, &opts));
    assert_eq!(
        p.body,
        Body::AuthenStart(AuthenStart::pap(b"admin", b"pass123", b"tty0", b"10.0.0.1"))
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let r = complete(decode_pdu(&reply, &opts));
    let Body::AuthenReply(r) = r.body else {
        panic!()
    };
    assert_eq!(
        (r.status, r.server_msg.as_slice()),
        (AuthenStatus::PASS, &b"Welcome"[..])
    );
    // And the encoder produces the same bytes.
    let h = Header::new(PacketType::AUTHEN, 1, 1, 0x0102_0304);
    let ours = encode_packet(
        &h,
        &Body::AuthenStart(AuthenStart::pap(b"admin", b"pass123", b"tty0", b"10.0.0.1")),
        Some(&Key::from_text("tac_plus_key")),
    )
    .unwrap();
    assert_eq!(ours, start);
}

#[test]
fn body_kind_from_type_and_seq_parity_never_port_4_1() {
    assert_eq!(BodyKind::of(PacketType::AUTHEN, 1), BodyKind::AuthenStart);
    assert_eq!(BodyKind::of(PacketType::AUTHEN, 2), BodyKind::AuthenReply);
    assert_eq!(
        BodyKind::of(PacketType::AUTHEN, 3),
        BodyKind::AuthenContinue
    );
    assert_eq!(BodyKind::of(PacketType::AUTHEN, 254), BodyKind::AuthenReply);
    assert_eq!(BodyKind::of(PacketType::AUTHOR, 1), BodyKind::AuthorRequest);
    assert_eq!(
        BodyKind::of(PacketType::AUTHOR, 2),
        BodyKind::AuthorResponse
    );
    assert_eq!(BodyKind::of(PacketType::ACCT, 1), BodyKind::AcctRequest);
    assert_eq!(BodyKind::of(PacketType::ACCT, 2), BodyKind::AcctReply);
    assert_eq!(BodyKind::of(PacketType(7), 1), BodyKind::Unknown);
    assert_eq!(Direction::of_seq_no(1), Direction::ClientToServer);
    assert_eq!(Direction::of_seq_no(2), Direction::ServerToClient);
}
