//! Cross-module tests of the TACACS+ codec: one `(value, bytes)` table for both directions,
//! known-answer packets, every diagnostic code, key trials, hostile lengths, JSON schema and
//! property-based round trips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use proptest::prelude::*;

use super::*;

fn hx(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn v(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn complete(d: Decoded) -> Pdu {
    match d {
        Decoded::Complete(p) => p,
        Decoded::Partial { needed, .. } => panic!("partial, need {needed}"),
    }
}

fn codes_of(p: &Pdu) -> Vec<&'static str> {
    p.diagnostics.iter().map(|d| d.code).collect()
}

/// One table, both directions (hickory `bin_tests.rs` idea): every body kind, the value and
/// its cleartext bytes written by hand from the RFC 8907 layouts (§5.1–§7.2).
fn table() -> Vec<(Body, Vec<u8>)> {
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

fn header_for(kind: BodyKind) -> Header {
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

use crate::codec;

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

// ---------------------------------------------------------------------------------------
// Diagnostics: every code, from a minimal input that triggers it.

const UNENC: u8 = 0x01;

/// A packet with the given header fields and cleartext body (length = body length).
fn pkt(version: u8, t: u8, seq: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![version, t, seq, flags, 0xca, 0xfe, 0xba, 0xbe];
    v.extend_from_slice(&(body.len() as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

fn pap_body() -> Vec<u8> {
    AuthenStart::pap(b"u", b"p", b"tty", b"h").to_bytes_for_test()
}

impl AuthenStart {
    fn to_bytes_for_test(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v).unwrap();
        v
    }
}

fn body_of(b: Body) -> Vec<u8> {
    b.to_bytes().unwrap()
}

fn author_req(args: &[&str]) -> Vec<u8> {
    body_of(Body::AuthorRequest(AuthorRequest {
        authen_method: AuthenMethod::TACACSPLUS,
        authen_service: AuthenService::LOGIN,
        priv_lvl: PrivLvl::USER,
        user: v("u"),
        args: args.iter().map(|a| v(a)).collect(),
        ..Default::default()
    }))
}

fn acct_req(flags: AcctFlags, args: &[&str]) -> Vec<u8> {
    body_of(Body::AcctRequest(AcctRequest {
        flags,
        authen_method: AuthenMethod::TACACSPLUS,
        authen_service: AuthenService::LOGIN,
        user: v("u"),
        args: args.iter().map(|a| v(a)).collect(),
        ..Default::default()
    }))
}

/// (code, input, options) — each input must produce its code.
fn scenarios() -> Vec<(&'static str, Vec<u8>, DecodeOptions)> {
    let none = DecodeOptions::default;
    let key = Key::from_text("k1");
    let mut obf = pkt(0xc1, 1, 1, 0, &pap_body());
    obfuscate_body(
        &Header::decode(&mut codec::Reader::new(&obf)).unwrap(),
        &key,
        &mut obf[12..],
    );
    let mut over = pkt(0xc0, 1, 1, UNENC, b"");
    over[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    let mut truncated = pkt(0xc0, 2, 1, UNENC, b"");
    truncated[8..12].copy_from_slice(&10u32.to_be_bytes());
    truncated.extend_from_slice(&[1, 2, 3]);
    let mut user_too_long = pap_body();
    user_too_long[4] = 50;
    let mut trailing = pap_body();
    trailing.extend_from_slice(b"xx");
    let mut arg_overflow = author_req(&["service=shell"]);
    arg_overflow[7] = 5; // arg_cnt 5, only one length byte follows.
    let mut mschap = AuthenStart::pap(b"u", b"", b"", b"");
    mschap.authen_type = AuthenType::MSCHAP;
    mschap.data = vec![1; 1 + 7 + 49];
    let mut sendpass = AuthenStart::ascii_login(b"u", b"", b"");
    sendpass.action = AuthenAction::SENDPASS;
    let mut unknown_action = AuthenStart::ascii_login(b"u", b"", b"");
    unknown_action.action = AuthenAction(9);
    let follow = body_of(Body::AuthenReply(AuthenReply {
        status: AuthenStatus::FOLLOW,
        ..Default::default()
    }));
    vec![
        (codes::TRUNCATED_HEADER, vec![0xc0, 1], none()),
        (codes::TRUNCATED_BODY, truncated, none()),
        (
            codes::BAD_MAJOR_VERSION,
            pkt(0xb1, 1, 1, UNENC, &pap_body()),
            none(),
        ),
        (
            codes::BAD_MINOR_VERSION,
            pkt(0xc2, 1, 1, UNENC, &pap_body()),
            none(),
        ),
        (codes::UNKNOWN_TYPE, pkt(0xc0, 9, 1, UNENC, b"??"), none()),
        (
            codes::SEQ_NO_ZERO,
            pkt(0xc0, 3, 0, UNENC, &hx("0000000001")),
            none(),
        ),
        (
            codes::SEQ_PARITY,
            pkt(0xc1, 1, 1, UNENC, &pap_body()),
            DecodeOptions {
                expected_direction: Some(Direction::ServerToClient),
                ..none()
            },
        ),
        (
            codes::SEQ_UNEXPECTED,
            pkt(0xc0, 2, 3, UNENC, &author_req(&["service=shell"])),
            none(),
        ),
        (
            codes::RESERVED_FLAGS,
            pkt(0xc1, 1, 1, UNENC | 0x80, &pap_body()),
            none(),
        ),
        (
            codes::UNENCRYPTED,
            pkt(0xc1, 1, 1, UNENC, &pap_body()),
            none(),
        ),
        (codes::LENGTH_OVER_MAX, over, none()),
        (codes::NO_KEY, obf.clone(), none()),
        (
            codes::WRONG_KEY,
            obf,
            DecodeOptions::with_key(Key::from_text("k2")),
        ),
        (
            codes::BODY_TOO_SHORT,
            pkt(0xc1, 1, 2, UNENC, &[1, 0, 0]),
            none(),
        ),
        (
            codes::LENGTH_MISMATCH,
            pkt(0xc1, 1, 1, UNENC, &user_too_long),
            none(),
        ),
        (
            codes::TRAILING_BYTES,
            pkt(0xc1, 1, 1, UNENC, &trailing),
            none(),
        ),
        (
            codes::ARG_OVERFLOW,
            pkt(0xc0, 2, 1, UNENC, &arg_overflow),
            none(),
        ),
        (
            codes::AV_NO_SEPARATOR,
            pkt(0xc0, 2, 1, UNENC, &author_req(&["shell"])),
            none(),
        ),
        (
            codes::AV_EMPTY_NAME,
            pkt(0xc0, 2, 1, UNENC, &author_req(&["=x"])),
            none(),
        ),
        (
            codes::ACCT_ARG_INVALID,
            pkt(
                0xc0,
                3,
                1,
                UNENC,
                &acct_req(AcctFlags::STOP, &["stop_time=yesterday"]),
            ),
            none(),
        ),
        (
            codes::ACCT_FLAGS_INVALID,
            pkt(
                0xc0,
                3,
                1,
                UNENC,
                &acct_req(AcctFlags::START.with(AcctFlags::STOP), &[]),
            ),
            none(),
        ),
        (
            codes::MINOR_VERSION_MISMATCH,
            pkt(0xc0, 1, 1, UNENC, &pap_body()),
            none(),
        ),
        (
            codes::DEPRECATED_VALUE,
            pkt(0xc1, 1, 2, UNENC, &follow),
            none(),
        ),
        (
            codes::REMOVED_VALUE,
            pkt(0xc0, 1, 1, UNENC, &sendpass.to_bytes_for_test()),
            none(),
        ),
        (
            codes::UNKNOWN_VALUE,
            pkt(0xc0, 1, 1, UNENC, &unknown_action.to_bytes_for_test()),
            none(),
        ),
        (
            codes::CHAP_SIZE,
            pkt(0xc1, 1, 1, UNENC, &mschap.to_bytes_for_test()),
            none(),
        ),
        (
            codes::NON_PRINTABLE,
            pkt(
                0xc1,
                1,
                1,
                UNENC,
                &AuthenStart::pap(b"a\0b", b"p", b"", b"").to_bytes_for_test(),
            ),
            none(),
        ),
        (
            codes::MISSING_FIELD,
            pkt(
                0xc1,
                1,
                1,
                UNENC,
                &AuthenStart::pap(b"", b"p", b"", b"").to_bytes_for_test(),
            ),
            none(),
        ),
    ]
}

fn diagnostics_of(input: &[u8], opts: &DecodeOptions) -> Vec<Diagnostic> {
    match decode_pdu(input, opts) {
        Decoded::Complete(p) => p.diagnostics,
        Decoded::Partial { diagnostics, .. } => diagnostics,
    }
}

#[test]
fn every_diagnostic_code_is_exercised() {
    let sc = scenarios();
    for code in codes::ALL {
        assert!(
            sc.iter().any(|(c, _, _)| c == code),
            "no scenario for {code}"
        );
    }
    for (code, input, opts) in &sc {
        let d = diagnostics_of(input, opts);
        let hit = d.iter().find(|x| x.code == *code);
        let hit = hit.unwrap_or_else(|| panic!("{code} not reported; got {d:?}"));
        assert_eq!(hit.severity, codes::severity(code), "{code}");
        assert!(
            hit.offset <= input.len().max(12),
            "{code} offset {}",
            hit.offset
        );
        assert!(!hit.message.is_empty());
        // Diagnostics are about the input and never leak the key.
        assert!(
            !hit.message.contains("k1") && !hit.message.contains("k2"),
            "{code}"
        );
    }
}

#[test]
fn diagnostics_point_at_the_offending_byte() {
    let d = diagnostics_of(
        &pkt(0xc1, 1, 1, UNENC | 0x80, &pap_body()),
        &DecodeOptions::default(),
    );
    let r = d.iter().find(|x| x.code == codes::RESERVED_FLAGS).unwrap();
    assert_eq!(r.offset, 3);
    let mut user_too_long = pap_body();
    user_too_long[4] = 50;
    let d = diagnostics_of(
        &pkt(0xc1, 1, 1, UNENC, &user_too_long),
        &DecodeOptions::default(),
    );
    let r = d.iter().find(|x| x.code == codes::LENGTH_MISMATCH).unwrap();
    assert_eq!(r.offset, 12 + 8, "user starts after the 8 fixed bytes");
    assert!(r.message.contains("50"));
}

#[test]
fn truncated_body_is_partial_need_n_more_not_error_4_1() {
    let full = pkt(0xc1, 1, 1, UNENC, &pap_body());
    for cut in 0..full.len() {
        match decode_pdu(&full[..cut], &DecodeOptions::default()) {
            Decoded::Partial {
                needed,
                diagnostics,
                header,
            } => {
                assert_eq!(
                    needed,
                    if cut < 12 { 12 - cut } else { full.len() - cut },
                    "cut {cut}"
                );
                assert_eq!(header.is_some(), cut >= 12);
                let t = diagnostics
                    .iter()
                    .find(|d| d.code.starts_with("truncated"))
                    .unwrap();
                assert_eq!(t.severity, Severity::Info);
                assert!(
                    t.message.contains(&format!("need {needed} more")),
                    "{}",
                    t.message
                );
            }
            Decoded::Complete(_) => panic!("complete at {cut}"),
        }
    }
    assert!(matches!(
        decode_pdu(&full, &DecodeOptions::default()),
        Decoded::Complete(_)
    ));
}

#[test]
fn hostile_length_is_cheap_and_not_awaited_4_1() {
    let mut p = pkt(0xc0, 1, 1, 0, b"abc");
    p[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
    assert!(codes_of(&pdu).contains(&codes::LENGTH_OVER_MAX));
    assert_eq!(pdu.span, codec::Span::new(0, 12));
    assert!(pdu.body_clear.is_empty());
    // Even when the caller allows it, a 4 GiB length only yields "need N more".
    let opts = DecodeOptions {
        max_length: u32::MAX,
        ..DecodeOptions::default()
    };
    match decode_pdu(&p, &opts) {
        Decoded::Partial { needed, .. } => assert_eq!(needed, u32::MAX as usize - 3),
        Decoded::Complete(_) => panic!(),
    }
    // decode_all stops there instead of walking into the claimed body.
    let all = decode_all(&p, &DecodeOptions::default());
    assert_eq!(all.len(), 1);
}

#[test]
fn over_max_pdu_present_in_full_is_still_decoded_4_1() {
    let body = AuthenReply {
        status: AuthenStatus::PASS,
        server_msg: vec![b'x'; 300],
        ..Default::default()
    };
    let p = encode_packet(
        &header_for(BodyKind::AuthenReply),
        &Body::AuthenReply(body.clone()),
        Some(&Key::from_text("k")),
    )
    .unwrap();
    let opts = DecodeOptions {
        max_length: 100,
        ..DecodeOptions::with_key(Key::from_text("k"))
    };
    let pdu = complete(decode_pdu(&p, &opts));
    assert_eq!(pdu.body, Body::AuthenReply(body));
    assert!(codes_of(&pdu).contains(&codes::LENGTH_OVER_MAX));
    assert!(pdu.validate().is_err());
}

#[test]
fn key_trials_pick_the_consistent_key_4_5() {
    let right = Key::from_text("the-right-one");
    let (value, _) = table().remove(3); // authorization request with args
    let p = encode_packet(&header_for(value.kind()), &value, Some(&right)).unwrap();
    let opts = DecodeOptions {
        keys: vec![
            Key::from_text("a"),
            Key::from_hex("00ff").unwrap(),
            right.clone(),
            Key::from_text("z"),
        ],
        ..DecodeOptions::default()
    };
    let pdu = complete(decode_pdu(&p, &opts));
    assert_eq!(pdu.key_index, Some(2));
    assert_eq!(pdu.body, value);
    // None matches: "probably wrong key", body kept as the first key's attempt.
    let opts = DecodeOptions {
        keys: vec![Key::from_text("a"), Key::from_text("b")],
        ..DecodeOptions::default()
    };
    let pdu = complete(decode_pdu(&p, &opts));
    assert_eq!(pdu.key_index, None);
    assert_eq!(pdu.body_state, BodyState::WrongKey);
    let w = pdu
        .diagnostics
        .iter()
        .find(|d| d.code == codes::WRONG_KEY)
        .unwrap();
    assert!(w.message.contains("probably wrong key"));
    assert_eq!(w.offset, 12);
    assert!(pdu.validate().is_err());
}

#[test]
fn any_key_length_and_bytes_work_4_5() {
    let (value, _) = table().remove(0);
    for key in [
        Key::new(Vec::new()),
        Key::new(vec![0u8; 1]),
        Key::new((0..=255u8).collect::<Vec<_>>()),
        Key::new(vec![0xff; 1000]),
    ] {
        let p = encode_packet(&header_for(value.kind()), &value, Some(&key)).unwrap();
        let pdu = complete(decode_pdu(&p, &DecodeOptions::with_key(key)));
        assert_eq!(pdu.body, value);
    }
}

#[test]
fn unencrypted_flag_body_is_clear_and_flagged_4_5() {
    let p = pkt(0xc1, 1, 1, UNENC, &pap_body());
    let pdu = complete(decode_pdu(
        &p,
        &DecodeOptions::with_key(Key::from_text("ignored")),
    ));
    assert_eq!(pdu.body_state, BodyState::Clear);
    assert_eq!(pdu.key_index, None);
    assert_eq!(&pdu.body_clear[..], &p[12..]);
    assert!(codes_of(&pdu).contains(&codes::UNENCRYPTED));
    // Lenient: decoded. Strict: rejected unless explicitly tolerated.
    assert!(pdu.validate().is_err());
    assert!(pdu.validate_with(true).is_ok());
}

#[test]
fn decode_all_walks_concatenated_pdus_and_keeps_the_tail() {
    let key = Key::from_text("k");
    let mut input = Vec::new();
    let mut ends = Vec::new();
    for (value, _) in table() {
        input.extend(encode_packet(&header_for(value.kind()), &value, Some(&key)).unwrap());
        ends.push(input.len());
    }
    let tail = hx("c1 01 01");
    input.extend_from_slice(&tail);
    let pdus = decode_all(&input, &DecodeOptions::with_key(key.clone()));
    assert_eq!(pdus.len(), 8);
    for (p, end) in pdus.iter().zip(&ends) {
        assert!(p.complete);
        assert_eq!(p.span.end, *end);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }
    let last = &pdus[7];
    assert!(!last.complete);
    assert_eq!(last.offset, ends[6]);
    assert_eq!(last.span, codec::Span::new(ends[6], 3));
    assert!(codes_of(last).contains(&codes::TRUNCATED_HEADER));
    assert!(last.validate().is_err());
    // A tail cut inside the body keeps its header and the body bytes present.
    let one = encode_packet(
        &header_for(BodyKind::AuthenStart),
        &table()[0].0,
        Some(&key),
    )
    .unwrap();
    let pdus = decode_all(&one[..20], &DecodeOptions::with_key(key));
    assert_eq!(pdus.len(), 1);
    assert!(!pdus[0].complete);
    assert_eq!(pdus[0].header.seq_no, 1);
    assert_eq!(pdus[0].body_clear, table()[0].1[..8].to_vec());
    assert!(codes_of(&pdus[0]).contains(&codes::TRUNCATED_BODY));
}

#[test]
fn raw_encode_writes_given_lengths_for_malformed_tests() {
    let s = AuthenStart::pap(b"user", b"pw", b"", b"");
    let mut out = Vec::new();
    s.encode_raw(
        &RawLengths {
            user_len: Some(200),
            ..Default::default()
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(out[4], 200);
    let mut h = header_for(BodyKind::AuthenStart);
    h.length = 9999;
    h.flags = HeaderFlags::UNENCRYPTED;
    let p = encode_packet_raw(&h, &out, None);
    assert_eq!(&p[8..12], &9999u32.to_be_bytes());
    assert!(
        matches!(decode_pdu(&p, &DecodeOptions::default()), Decoded::Partial { needed, .. } if needed == 9999 - out.len())
    );
    // Argument counts and lengths too.
    let r = AuthorRequest {
        args: vec![v("a=b")],
        ..Default::default()
    };
    let mut out = Vec::new();
    r.encode_raw(
        &RawLengths {
            arg_cnt: Some(3),
            arg_lens: vec![Some(77)],
            ..Default::default()
        },
        &mut out,
    )
    .unwrap();
    assert_eq!((out[7], out[8]), (3, 77));
}

#[test]
fn acct_request_is_the_author_layout_after_flags_7_1() {
    // §7.1: an accounting REQUEST is `flags` followed by the §6.1 fields.
    let fields = AuthorRequest {
        authen_method: AuthenMethod::TACACSPLUS,
        priv_lvl: PrivLvl(15),
        authen_type: AuthenType::PAP,
        authen_service: AuthenService::LOGIN,
        user: v("alice"),
        port: v("tty0"),
        rem_addr: v("192.0.2.1"),
        args: vec![v("task_id=7"), v("service=casplus")],
        ..Default::default()
    };
    let acct = AcctRequest {
        flags: AcctFlags::START,
        authen_method: fields.authen_method,
        priv_lvl: fields.priv_lvl,
        authen_type: fields.authen_type,
        authen_service: fields.authen_service,
        user: fields.user.clone(),
        port: fields.port.clone(),
        rem_addr: fields.rem_addr.clone(),
        args: fields.args.clone(),
        ..Default::default()
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    fields.encode(&mut a).unwrap();
    acct.encode(&mut b).unwrap();
    assert_eq!(b.first(), Some(&AcctFlags::START.0));
    assert_eq!(b.get(1..), Some(&a[..]));
    // A field that does not fit leaves the buffer as it was.
    let mut out = vec![0xAA];
    let long = AcctRequest {
        rem_addr: vec![b'r'; 256],
        ..acct
    };
    assert!(long.encode(&mut out).is_err());
    assert_eq!(out, [0xAA]);
}

#[test]
fn encode_refuses_what_cannot_be_encoded() {
    let s = AuthenStart {
        user: vec![b'u'; 256],
        ..Default::default()
    };
    assert!(matches!(
        s.to_bytes_checked(),
        Err(EncodeError::FieldTooLong {
            field: "user",
            len: 256,
            max: 255
        })
    ));
    let r = AuthorRequest {
        args: vec![v("a=b"); 256],
        ..Default::default()
    };
    assert_eq!(
        Body::AuthorRequest(r).to_bytes(),
        Err(EncodeError::TooManyArgs { count: 256 })
    );
    let reply = Body::AuthenReply(AuthenReply::default());
    assert!(matches!(
        encode_packet(
            &header_for(BodyKind::AuthenStart),
            &reply,
            Some(&Key::from_text("k"))
        ),
        Err(EncodeError::KindMismatch { .. })
    ));
    assert_eq!(
        encode_packet(&header_for(BodyKind::AuthenReply), &reply, None),
        Err(EncodeError::MissingKey)
    );
}

impl AuthenStart {
    fn to_bytes_checked(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode(&mut v).map(|()| v)
    }
}

#[test]
fn validate_is_strict_where_decode_is_lenient_3_6() {
    let mut s = AuthenStart::ascii_login(b"u", b"", b"");
    s.action = AuthenAction(9);
    let p = pkt(0xc0, 1, 1, UNENC, &s.to_bytes_for_test());
    let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
    assert!(!pdu.has_errors(), "lenient: only warnings");
    assert_eq!(pdu.body.kind(), BodyKind::AuthenStart);
    let bad = pdu.validate_with(true).unwrap_err();
    assert_eq!(
        bad.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![codes::UNKNOWN_VALUE]
    );
}

#[test]
fn chap_and_mschap_starts_split_their_data_5_4_2() {
    let s = AuthenStart::chap_login(b"bob", b"", b"", 9, b"12345678", &[0xab; 16]);
    let p = pkt(0xc1, 1, 1, UNENC, &s.to_bytes_for_test());
    let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
    let Body::AuthenStart(b) = &pdu.body else {
        panic!()
    };
    let c = b.chap().unwrap();
    assert_eq!(
        (c.id, c.challenge, c.response),
        (Some(9), &b"12345678"[..], &[0xab; 16][..])
    );
    assert!(!codes_of(&pdu).contains(&codes::CHAP_SIZE));
    let json: serde_json::Value = serde_json::to_value(&pdu).unwrap();
    assert_eq!(json["body"]["chap"]["id"], 9);
    assert_eq!(json["body"]["chap"]["challenge_hex"], "3132333435363738");
    assert_eq!(json["body"]["chap"]["size_ok"], true);
}

#[test]
fn accounting_flag_table_produces_diagnostics_7_2() {
    for (bits, ok) in [
        (0x00, false),
        (0x02, true),
        (0x04, true),
        (0x06, false),
        (0x08, true),
        (0x0a, true),
        (0x0c, false),
        (0x0e, false),
    ] {
        let p = pkt(
            0xc0,
            3,
            1,
            UNENC,
            &acct_req(AcctFlags(bits), &["task_id=1"]),
        );
        let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
        assert_eq!(
            !codes_of(&pdu).contains(&codes::ACCT_FLAGS_INVALID),
            ok,
            "{bits:#x}"
        );
    }
    let p = pkt(
        0xc0,
        3,
        1,
        UNENC,
        &acct_req(AcctFlags::MORE.with(AcctFlags::WATCHDOG), &[]),
    );
    let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
    assert!(codes_of(&pdu).contains(&codes::DEPRECATED_VALUE));
}

#[test]
fn minor_version_is_zero_for_authorization_and_accounting_5_4_1() {
    let p = pkt(0xc1, 2, 1, UNENC, &author_req(&["service=shell"]));
    let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
    assert!(codes_of(&pdu).contains(&codes::MINOR_VERSION_MISMATCH));
    let p = pkt(
        0xc0,
        1,
        1,
        UNENC,
        &AuthenStart::ascii_login(b"", b"", b"").to_bytes_for_test(),
    );
    let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
    assert!(!codes_of(&pdu).contains(&codes::MINOR_VERSION_MISMATCH));
    let mut s = AuthenStart::pap(b"u", b"p", b"", b"");
    s.action = AuthenAction::CHPASS;
    let p = pkt(0xc1, 1, 1, UNENC, &s.to_bytes_for_test());
    let pdu = complete(decode_pdu(&p, &DecodeOptions::default()));
    assert!(
        codes_of(&pdu).contains(&codes::MINOR_VERSION_MISMATCH),
        "PAP CHPASS is '-' in table 1"
    );
}

#[test]
fn zero_length_error_reply_3_6() {
    // "a packet with the identical cleartext header but with a sequence number incremented
    // by one and the length set to zero MUST be returned to indicate an error".
    let p = pkt(0xc1, 1, 2, 0, b"");
    let pdu = complete(decode_pdu(
        &p,
        &DecodeOptions::with_key(Key::from_text("k")),
    ));
    let d = pdu
        .diagnostics
        .iter()
        .find(|d| d.code == codes::BODY_TOO_SHORT)
        .unwrap();
    assert!(d.message.contains("§3.6"));
}

// ---------------------------------------------------------------------------------------
// JSON schema.

#[test]
fn json_is_the_documented_schema() {
    let key = Key::from_text("k");
    for (value, bytes) in table() {
        let p = encode_packet(&header_for(value.kind()), &value, Some(&key)).unwrap();
        let pdu = complete(decode_pdu(&p, &DecodeOptions::with_key(key.clone())));
        let j: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&pdu).unwrap()).unwrap();
        for k in [
            "offset",
            "direction",
            "header",
            "key_index",
            "body_clear_hex",
            "body",
            "diagnostics",
            "complete",
            "body_state",
        ] {
            assert!(j.get(k).is_some(), "missing {k}");
        }
        for k in [
            "major",
            "minor",
            "type",
            "seq_no",
            "flags",
            "session_id",
            "length",
        ] {
            assert!(j["header"].get(k).is_some(), "missing header.{k}");
        }
        assert_eq!(j["header"]["major"], 12);
        assert_eq!(j["header"]["session_id"], 0x0102_0304);
        assert_eq!(j["body_clear_hex"], crate::codec::hex::encode(&bytes));
        assert_eq!(j["key_index"], 0);
        assert_eq!(j["body"]["kind"], value.kind().as_str());
        let fields: &[&str] = match value.kind() {
            BodyKind::AuthenStart => &[
                "action",
                "priv_lvl",
                "authen_type",
                "authen_service",
                "user",
                "port",
                "rem_addr",
                "data",
            ],
            BodyKind::AuthenReply => &["status", "flags", "server_msg", "data"],
            BodyKind::AuthenContinue => &["user_msg", "data", "flags"],
            BodyKind::AuthorRequest => &[
                "authen_method",
                "priv_lvl",
                "authen_type",
                "authen_service",
                "user",
                "port",
                "rem_addr",
                "args",
            ],
            BodyKind::AuthorResponse => &["status", "server_msg", "data", "args"],
            BodyKind::AcctRequest => &[
                "flags",
                "authen_method",
                "priv_lvl",
                "authen_type",
                "authen_service",
                "user",
                "port",
                "rem_addr",
                "args",
            ],
            BodyKind::AcctReply => &["status", "server_msg", "data"],
            BodyKind::Unknown => &[],
        };
        for f in fields {
            assert!(
                j["body"].get(*f).is_some(),
                "{}: missing {f}",
                value.kind().as_str()
            );
        }
    }
}

#[test]
fn json_values_pap_start_with_key() {
    let start = hx(
        "c101010001020304000000208e90cfa4a32e25f8851f90268027ffde2e217552da7c4a9d56cf899e2d61ce84",
    );
    let pdu = complete(decode_pdu(
        &start,
        &DecodeOptions::with_key(Key::from_text("tac_plus_key")),
    ));
    let j = serde_json::to_value(&pdu).unwrap();
    assert_eq!(j["direction"], "client_to_server");
    assert_eq!(j["header"]["type"], "AUTHEN");
    assert_eq!(j["header"]["flags"], serde_json::json!([]));
    assert_eq!(j["body"]["action"], "LOGIN");
    assert_eq!(j["body"]["authen_type"], "PAP");
    assert_eq!(j["body"]["authen_service"], "LOGIN");
    assert_eq!(j["body"]["priv_lvl"], 1);
    assert_eq!(j["body"]["user"], "admin");
    assert_eq!(j["body"]["port"], "tty0");
    assert_eq!(j["body"]["rem_addr"], "10.0.0.1");
    assert_eq!(j["body"]["data"], "pass123");
    assert_eq!(
        j["body"]["spans"]["user"],
        serde_json::json!({"start": 20, "end": 25})
    );
    assert_eq!(j["diagnostics"], serde_json::json!([]));
}

#[test]
fn json_shows_unknowns_as_numbers_and_escapes_text() {
    let mut s = AuthenStart::ascii_login(b"a\0b\n", b"", b"");
    s.authen_service = AuthenService(0x42);
    let p = pkt(0xc0, 1, 1, UNENC | 0x10, &s.to_bytes_for_test());
    let j = serde_json::to_value(complete(decode_pdu(&p, &DecodeOptions::default()))).unwrap();
    assert_eq!(j["body"]["authen_service"], 0x42);
    assert_eq!(j["body"]["user"], "a\\0b\\n");
    assert_eq!(
        j["header"]["flags"],
        serde_json::json!(["UNENCRYPTED", "0x10"])
    );
    assert_eq!(j["body_state"], "clear");
    let d = &j["diagnostics"][0];
    assert!(
        d["code"].is_string()
            && d["severity"].is_string()
            && d["message"].is_string()
            && d["offset"].is_u64()
    );
    let acct = pkt(
        0xc0,
        3,
        1,
        UNENC,
        &acct_req(AcctFlags::STOP, &["stop_time=1600000060", "bytes_in=5"]),
    );
    let j = serde_json::to_value(complete(decode_pdu(&acct, &DecodeOptions::default()))).unwrap();
    assert_eq!(j["body"]["acct"]["stop_time"], "2020-09-13T12:27:40Z");
    assert_eq!(j["body"]["acct"]["bytes_in"], 5);
    assert_eq!(j["body"]["record"], "stop");
    assert_eq!(
        j["body"]["av_pairs"][1],
        serde_json::json!({"name": "bytes_in", "value": "5", "mandatory": true})
    );
}

// ---------------------------------------------------------------------------------------
// Property tests.

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=max)
}

fn args() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(bytes(255), 0..6)
}

fn arb_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        (
            any::<[u8; 4]>(),
            bytes(255),
            bytes(255),
            bytes(255),
            bytes(255)
        )
            .prop_map(|(f, user, port, rem_addr, data)| {
                Body::AuthenStart(AuthenStart {
                    action: AuthenAction(f[0]),
                    priv_lvl: PrivLvl(f[1]),
                    authen_type: AuthenType(f[2]),
                    authen_service: AuthenService(f[3]),
                    user,
                    port,
                    rem_addr,
                    data,
                    ..Default::default()
                })
            }),
        (any::<[u8; 2]>(), bytes(600), bytes(600)).prop_map(|(f, server_msg, data)| {
            Body::AuthenReply(AuthenReply {
                status: AuthenStatus(f[0]),
                flags: ReplyFlags(f[1]),
                server_msg,
                data,
                ..Default::default()
            })
        }),
        (any::<u8>(), bytes(600), bytes(600)).prop_map(|(f, user_msg, data)| {
            Body::AuthenContinue(AuthenContinue {
                user_msg,
                data,
                flags: ContinueFlags(f),
                ..Default::default()
            })
        }),
        (any::<[u8; 4]>(), bytes(255), bytes(255), bytes(255), args()).prop_map(
            |(f, user, port, rem_addr, args)| {
                Body::AuthorRequest(AuthorRequest {
                    authen_method: AuthenMethod(f[0]),
                    priv_lvl: PrivLvl(f[1]),
                    authen_type: AuthenType(f[2]),
                    authen_service: AuthenService(f[3]),
                    user,
                    port,
                    rem_addr,
                    args,
                    ..Default::default()
                })
            }
        ),
        (any::<u8>(), args(), bytes(600), bytes(600)).prop_map(|(s, args, server_msg, data)| {
            Body::AuthorResponse(AuthorResponse {
                status: AuthorStatus(s),
                args,
                server_msg,
                data,
                ..Default::default()
            })
        }),
        (any::<[u8; 5]>(), bytes(255), bytes(255), bytes(255), args()).prop_map(
            |(f, user, port, rem_addr, args)| {
                Body::AcctRequest(AcctRequest {
                    flags: AcctFlags(f[0]),
                    authen_method: AuthenMethod(f[1]),
                    priv_lvl: PrivLvl(f[2]),
                    authen_type: AuthenType(f[3]),
                    authen_service: AuthenService(f[4]),
                    user,
                    port,
                    rem_addr,
                    args,
                    ..Default::default()
                })
            }
        ),
        (any::<u8>(), bytes(600), bytes(600)).prop_map(|(s, server_msg, data)| {
            Body::AcctReply(AcctReply {
                status: AcctStatus(s),
                server_msg,
                data,
                ..Default::default()
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// decode(encode(x)) == x for every body, any key, any session id, with or without
    /// obfuscation; and encode(decode(b)) == b.
    #[test]
    fn decode_of_encode_is_identity(body in arb_body(), key in bytes(80), sid in any::<u32>(), unenc in any::<bool>(), seq_half in 0u8..127) {
        let mut h = header_for(body.kind());
        h.session_id = sid;
        if unenc { h.flags = HeaderFlags::UNENCRYPTED; }
        // Keep the kind: AUTHEN odd seq > 1 is CONTINUE, 1 is START; even is REPLY.
        h.seq_no = match body.kind() {
            BodyKind::AuthenStart | BodyKind::AuthorRequest | BodyKind::AcctRequest => 1,
            BodyKind::AuthenContinue => 3 + 2 * (seq_half % 126),
            _ => 2 + 2 * seq_half,
        };
        let key = Key::new(key);
        let packet = encode_packet(&h, &body, Some(&key)).unwrap();
        let pdu = complete(decode_pdu(&packet, &DecodeOptions::with_key(key.clone())));
        prop_assert_eq!(&pdu.header, &{ let mut x = h; x.length = (packet.len() - 12) as u32; x });
        prop_assert_eq!(&pdu.body, &body);
        prop_assert_eq!(pdu.span.end, packet.len());
        prop_assert!(!pdu.diagnostics.iter().any(|d| matches!(d.code, "length-mismatch" | "trailing-bytes" | "arg-overflow" | "wrong-key")));
        prop_assert_eq!(encode_packet(&pdu.header, &pdu.body, Some(&key)).unwrap(), packet);
    }

    /// Obfuscation applied twice is the identity, for any key, header and body (§4.5).
    #[test]
    fn obfuscation_twice_is_identity(data in bytes(2000), key in bytes(100), sid in any::<u32>(), ver in any::<u8>(), seq in any::<u8>()) {
        let mut d = data.clone();
        apply_pad(&mut d, sid, &key, ver, seq);
        if data.len() >= 16 { prop_assert_ne!(&d, &data); }
        apply_pad(&mut d, sid, &key, ver, seq);
        prop_assert_eq!(d, data);
    }

    /// Arbitrary bytes never panic; every cleanly accepted PDU re-encodes to its bytes; and
    /// decode_all accounts for every input byte.
    #[test]
    fn arbitrary_input_is_total_and_round_trips(input in bytes(400), key in bytes(8), with_key in any::<bool>()) {
        let opts = if with_key { DecodeOptions::with_key(Key::new(key.clone())) } else { DecodeOptions::default() };
        let pdus = decode_all(&input, &opts);
        let mut at = 0;
        for p in &pdus {
            prop_assert_eq!(p.offset, at);
            at = p.span.end;
            let _ = serde_json::to_string(p).unwrap();
            if p.complete && !p.has_errors() && p.body_state != BodyState::Obfuscated {
                let k = Key::new(key.clone());
                let again = encode_packet(&p.header, &p.body, Some(&k)).unwrap();
                prop_assert_eq!(&again[..], &input[p.span.range()]);
            }
        }
        prop_assert!(at == input.len() || pdus.last().is_some_and(|p| p.header.length > opts.max_length));
    }

    /// Mutating one byte of a valid packet never panics, and what is still accepted
    /// re-encodes to the mutated bytes.
    #[test]
    fn mutated_packets_round_trip_when_accepted(body in arb_body(), pos in any::<usize>(), val in any::<u8>()) {
        let key = Key::from_text("k");
        let mut h = header_for(body.kind());
        h.flags = HeaderFlags::UNENCRYPTED;
        let mut packet = encode_packet(&h, &body, None).unwrap();
        let i = pos % packet.len();
        packet[i] = val;
        if let Decoded::Complete(p) = decode_pdu(&packet, &DecodeOptions::with_key(key.clone()))
            && !p.has_errors()
            && p.body_state != BodyState::Obfuscated
        {
            let again = encode_packet(&p.header, &p.body, Some(&key)).unwrap();
            prop_assert_eq!(&again[..], &packet[p.span.range()]);
        }
    }

    /// Text rendering never truncates: the escaped form round-trips to the input bytes.
    #[test]
    fn text_escaping_is_lossless_3_7(data in bytes(200)) {
        let t = Text::from_bytes(&data);
        prop_assert_eq!(unescape(&t.escaped), data.clone());
        prop_assert_eq!(t.non_printable, text::is_non_printable(&data));
    }
}

/// Inverse of the text escaping, for the losslessness property.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            let mut b = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            continue;
        }
        match it.next().unwrap() {
            '\\' => out.push(b'\\'),
            '0' => out.push(0),
            't' => out.push(b'\t'),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            'x' => {
                let h: String = [it.next().unwrap(), it.next().unwrap()].iter().collect();
                out.push(u8::from_str_radix(&h, 16).unwrap());
            }
            'u' => {
                assert_eq!(it.next(), Some('{'));
                let h: String = it.by_ref().take_while(|&c| c != '}').collect();
                let c = char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap();
                let mut b = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
            other => panic!("bad escape {other}"),
        }
    }
    out
}

#[test]
fn debug_output_never_shows_the_password() {
    let start = hx(
        "c101010001020304000000208e90cfa4a32e25f8851f90268027ffde2e217552da7c4a9d56cf899e2d61ce84",
    );
    let pdu = complete(decode_pdu(
        &start,
        &DecodeOptions::with_key(Key::from_text("tac_plus_key")),
    ));
    let d = format!("{pdu:?}");
    assert!(d.contains("admin") && !d.contains("pass123"), "{d}");
    assert!(!d.contains(&crate::codec::hex::encode(b"pass123")));
    let partial = decode_all(
        &start[..40],
        &DecodeOptions::with_key(Key::from_text("tac_plus_key")),
    );
    let d = format!("{partial:?}");
    assert!(!d.contains("112, 97, 115, 115"), "{d}"); // b"pass" as a byte list
}
