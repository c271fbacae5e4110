//! `tacacs::Body::decode` for every body kind (RFC 8907 §5–§7), on clear bytes: total,
//! spans inside the body, and encode(decode(b)) == b whenever the lengths add up.
#![no_main]

use casplus::tacacs::{Body, BodyKind, codes};
use libfuzzer_sys::fuzz_target;

const KINDS: [BodyKind; 8] = [
    BodyKind::AuthenStart,
    BodyKind::AuthenReply,
    BodyKind::AuthenContinue,
    BodyKind::AuthorRequest,
    BodyKind::AuthorResponse,
    BodyKind::AcctRequest,
    BodyKind::AcctReply,
    BodyKind::Unknown,
];

fuzz_target!(|data: &[u8]| {
    let Some((&k, clear)) = data.split_first() else { return };
    let kind = KINDS[usize::from(k) % KINDS.len()];
    let base = 12;
    let mut diags = Vec::new();
    let body = Body::decode(kind, clear, base, &mut diags);
    for d in &diags {
        assert!(d.offset >= base && d.offset <= base + clear.len(), "{d:?}");
        assert!(codes::ALL.contains(&d.code), "{d:?}");
    }
    let structural = diags.iter().any(|d| {
        matches!(
            d.code,
            codes::LENGTH_MISMATCH | codes::TRAILING_BYTES | codes::ARG_OVERFLOW | codes::BODY_TOO_SHORT
        )
    });
    if matches!(body, Body::Unknown(_)) {
        assert!(kind == BodyKind::Unknown || structural, "a known kind only falls back with a reason");
    } else {
        assert_eq!(body.kind(), kind);
    }
    if !structural {
        let bytes = body.to_bytes().expect("decoded bodies re-encode");
        assert_eq!(bytes, clear, "encode(decode(b)) == b");
        let mut d2 = Vec::new();
        assert_eq!(Body::decode(kind, &bytes, base, &mut d2), body, "decode(encode(x)) == x");
    }
    // The semantic checks are total as well.
    let header = casplus::tacacs::Header::new(casplus::tacacs::PacketType(1), 0, 1, 1);
    body.check(&header, &mut diags);
});
