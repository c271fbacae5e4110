//! Helpers shared by the fuzz targets: carving keys out of the input and the round-trip
//! assertions every complete PDU must satisfy.
#![allow(dead_code)]

use casplus::tacacs::{
    Body, BodyState, DecodeOptions, Decoded, Key, Pdu, codes, decode_pdu, encode_packet,
    encode_packet_raw,
};

/// Splits `data` into up to 3 candidate keys (0..=255 bytes each) and the rest:
/// `[count % 4] ([len] [key bytes])* [input]`.
pub fn split_keys(data: &[u8]) -> (Vec<Key>, &[u8]) {
    let Some((&n, mut rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    let mut keys = Vec::new();
    for _ in 0..(n % 4) {
        let Some((&len, r)) = rest.split_first() else { break };
        let len = usize::from(len).min(r.len());
        let (k, r) = r.split_at(len);
        keys.push(Key::new(k));
        rest = r;
    }
    (keys, rest)
}

/// True when the field lengths of the body added up (§4.5): nothing structural was found.
pub fn lengths_consistent(pdu: &Pdu) -> bool {
    !pdu.diagnostics.iter().any(|d| {
        matches!(
            d.code,
            codes::LENGTH_MISMATCH | codes::TRAILING_BYTES | codes::ARG_OVERFLOW | codes::BODY_TOO_SHORT
        )
    })
}

/// The key a PDU's body went through, if any.
pub fn key_used<'k>(pdu: &Pdu, opts: &'k DecodeOptions) -> Option<&'k Key> {
    match pdu.body_state {
        BodyState::Deobfuscated => pdu.key_index.and_then(|i| opts.keys.get(i)),
        // The wrong-key attempt is the first key's pad.
        BodyState::WrongKey => opts.keys.first(),
        BodyState::Clear | BodyState::Obfuscated => None,
    }
}

/// Round trips for a complete PDU decoded from `input[pdu.span]`:
/// - obfuscation: header + body_clear re-obfuscated with the key used == the wire bytes;
/// - encode(decode(b)) == b when the body's lengths added up;
/// - decode(encode(x)) == x for the re-encoded packet.
pub fn check_complete(input: &[u8], pdu: &Pdu, opts: &DecodeOptions) {
    assert!(pdu.complete);
    let wire = &input[pdu.span.start..pdu.span.end];
    // A PDU whose length is over the maximum and not all there is reported without its body.
    if pdu.header.length > opts.max_length && wire.len() == 12 {
        assert!(pdu.diagnostics.iter().any(|d| d.code == codes::LENGTH_OVER_MAX));
        return;
    }
    assert_eq!(wire.len(), 12 + pdu.header.length as usize, "span covers header + length");
    let key = key_used(pdu, opts);
    assert_eq!(encode_packet_raw(&pdu.header, &pdu.body_clear, key), wire, "obfuscation round trip");

    if pdu.body_state == BodyState::WrongKey || pdu.body_state == BodyState::Obfuscated {
        return;
    }
    if !lengths_consistent(pdu) {
        return;
    }
    let clear = pdu.body.to_bytes().expect("a decoded body re-encodes");
    assert_eq!(clear, pdu.body_clear, "encode(decode(body)) == body");
    // A body read in clear although the header lacks the UNENCRYPTED flag
    // (`clear-without-flag`, §4.5): `encode_packet` never writes such a packet (without the
    // flag it needs a key); the raw round trip above is its whole check.
    if pdu.body_state == BodyState::Clear && !pdu.header.is_unencrypted() {
        assert!(pdu.diagnostics.iter().any(|d| d.code == codes::CLEAR_WITHOUT_FLAG));
        return;
    }
    let again = encode_packet(&pdu.header, &pdu.body, key).expect("a decoded packet re-encodes");
    assert_eq!(again, wire, "encode(decode(b)) == b");

    // decode(encode(x)) == x: the re-encoded packet decodes to the same header and body.
    let only = DecodeOptions {
        keys: key.cloned().into_iter().collect(),
        max_length: opts.max_length,
        expected_direction: opts.expected_direction,
        over_tls: opts.over_tls,
    };
    match decode_pdu(&again, &only) {
        Decoded::Complete(p2) => {
            assert_eq!(p2.header, pdu.header);
            assert_eq!(p2.body, pdu.body);
            assert_eq!(p2.body_clear, pdu.body_clear);
        }
        Decoded::Partial { .. } => panic!("a re-encoded complete packet is partial"),
    }
    if !matches!(pdu.body, Body::Unknown(_)) {
        assert_eq!(pdu.kind(), pdu.body.kind(), "body kind follows (type, seq_no)");
    }
}
