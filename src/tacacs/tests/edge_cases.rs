//! Decoder edge cases: partial input, hostile lengths, key trials (§4.5), concatenated
//! PDUs, raw encoding, strict validation (§3.6) and per-kind rules (§5.4–§7.2).

use super::*;

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
