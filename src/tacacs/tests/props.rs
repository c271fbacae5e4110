//! Property tests: round trips through encode/decode and obfuscation, lossless text
//! escaping, and redacting `Debug` output.

use proptest::prelude::*;

use super::*;

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
