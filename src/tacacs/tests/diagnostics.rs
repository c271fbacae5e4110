//! Diagnostics: every code, from a minimal input that triggers it, at the offending byte.

use super::*;

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
    let mut enable_chpass = AuthenStart::ascii_login(b"u", b"", b"");
    enable_chpass.authen_service = AuthenService::ENABLE;
    enable_chpass.action = AuthenAction::CHPASS;
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
        (
            codes::OBFUSCATED_OVER_TLS,
            pkt(0xc1, 1, 1, 0, &pap_body()),
            DecodeOptions {
                over_tls: true,
                ..none()
            },
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
            // a clear PAP START without the UNENCRYPTED flag, read with a key (§4.5)
            codes::CLEAR_WITHOUT_FLAG,
            pkt(0xc1, 1, 1, 0, &pap_body()),
            DecodeOptions {
                keys: vec![key.clone()],
                ..none()
            },
        ),
        (
            codes::ENABLE_NOT_LOGIN,
            pkt(0xc0, 1, 1, UNENC, &enable_chpass.to_bytes_for_test()),
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

/// A body sent in clear without the UNENCRYPTED flag is a key mismatch for a strict peer (§4.5):
/// rejected like a wrong key, never read as a request.
#[test]
fn clear_without_flag_is_rejected_in_strict_mode_as_a_key_mismatch_4_5() {
    let opts = DecodeOptions {
        keys: vec![Key::from_text("k1")],
        ..DecodeOptions::default()
    };
    let Decoded::Complete(p) = decode_pdu(&pkt(0xc1, 1, 1, 0, &pap_body()), &opts) else {
        panic!("complete PDU expected");
    };
    let bad = p.validate_with(true).unwrap_err();
    assert!(bad.iter().any(|d| d.code == codes::CLEAR_WITHOUT_FLAG));
    assert!(bad.iter().any(|d| codes::key_mismatch(d.code)));
}
