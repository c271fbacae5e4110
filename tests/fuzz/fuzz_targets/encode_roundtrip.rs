//! decode(encode(x)) == x for structured packets: every body kind with arbitrary fields,
//! arbitrary keys, header flags, versions and session ids (RFC 8907 §4.1, §4.5, §5–§7).
//! `encode` refuses exactly the fields its length fields cannot hold.
#![no_main]

use casplus::tacacs::{
    AcctFlags, AcctReply, AcctRequest, AcctStatus, AuthenAction, AuthenContinue, AuthenMethod,
    AuthenReply, AuthenService, AuthenStart, AuthenStatus, AuthenType, AuthorRequest,
    AuthorResponse, AuthorStatus, Body, BodyState, ContinueFlags, DecodeOptions, Decoded,
    EncodeError, Header, HeaderFlags, Key, PacketType, PrivLvl, ReplyFlags, decode_pdu,
    encode_packet,
};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

/// Up to `max` bytes; occasionally one more than a length field can hold.
fn field(u: &mut Unstructured<'_>, max: usize) -> Result<Vec<u8>> {
    let len = if u.ratio(1, 64)? { max + 1 } else { u.int_in_range(0..=max.min(300))? };
    let mut v = vec![0u8; len];
    u.fill_buffer(&mut v)?;
    Ok(v)
}

fn args(u: &mut Unstructured<'_>) -> Result<Vec<Vec<u8>>> {
    let n = if u.ratio(1, 128)? { 256 } else { u.int_in_range(0..=12)? };
    (0..n).map(|_| field(u, 255)).collect()
}

fn too_long(b: &Body) -> bool {
    let over = |v: &Vec<u8>, max: usize| v.len() > max;
    let args_over = |a: &Vec<Vec<u8>>| a.len() > 255 || a.iter().any(|x| x.len() > 255);
    match b {
        Body::AuthenStart(s) => {
            over(&s.user, 255) || over(&s.port, 255) || over(&s.rem_addr, 255) || over(&s.data, 255)
        }
        Body::AuthenReply(r) => over(&r.server_msg, 65535) || over(&r.data, 65535),
        Body::AuthenContinue(c) => over(&c.user_msg, 65535) || over(&c.data, 65535),
        Body::AuthorRequest(r) => {
            over(&r.user, 255) || over(&r.port, 255) || over(&r.rem_addr, 255) || args_over(&r.args)
        }
        Body::AuthorResponse(r) => {
            over(&r.server_msg, 65535) || over(&r.data, 65535) || args_over(&r.args)
        }
        Body::AcctRequest(r) => {
            over(&r.user, 255) || over(&r.port, 255) || over(&r.rem_addr, 255) || args_over(&r.args)
        }
        Body::AcctReply(r) => over(&r.server_msg, 65535) || over(&r.data, 65535),
        _ => false,
    }
}

/// A body and a header whose (type, seq_no) means that body kind.
fn packet(u: &mut Unstructured<'_>) -> Result<(Header, Body)> {
    let seq: u8 = u.arbitrary()?;
    let odd = seq | 1;
    let even = seq & !1;
    let (ptype, seq_no, body) = match u.int_in_range(0..=6)? {
        0 => (1, 1, Body::AuthenStart(AuthenStart {
            action: AuthenAction(u.arbitrary()?),
            priv_lvl: PrivLvl(u.arbitrary()?),
            authen_type: AuthenType(u.arbitrary()?),
            authen_service: AuthenService(u.arbitrary()?),
            user: field(u, 255)?,
            port: field(u, 255)?,
            rem_addr: field(u, 255)?,
            data: field(u, 255)?,
            ..Default::default()
        })),
        1 => (1, even, Body::AuthenReply(AuthenReply {
            status: AuthenStatus(u.arbitrary()?),
            flags: ReplyFlags(u.arbitrary()?),
            server_msg: field(u, 65535)?,
            data: field(u, 65535)?,
            ..Default::default()
        })),
        2 => (1, odd.max(3), Body::AuthenContinue(AuthenContinue {
            user_msg: field(u, 65535)?,
            data: field(u, 65535)?,
            flags: ContinueFlags(u.arbitrary()?),
            ..Default::default()
        })),
        3 => (2, odd, Body::AuthorRequest(AuthorRequest {
            authen_method: AuthenMethod(u.arbitrary()?),
            priv_lvl: PrivLvl(u.arbitrary()?),
            authen_type: AuthenType(u.arbitrary()?),
            authen_service: AuthenService(u.arbitrary()?),
            user: field(u, 255)?,
            port: field(u, 255)?,
            rem_addr: field(u, 255)?,
            args: args(u)?,
            ..Default::default()
        })),
        4 => (2, even, Body::AuthorResponse(AuthorResponse {
            status: AuthorStatus(u.arbitrary()?),
            args: args(u)?,
            server_msg: field(u, 65535)?,
            data: field(u, 65535)?,
            ..Default::default()
        })),
        5 => (3, odd, Body::AcctRequest(AcctRequest {
            flags: AcctFlags(u.arbitrary()?),
            authen_method: AuthenMethod(u.arbitrary()?),
            priv_lvl: PrivLvl(u.arbitrary()?),
            authen_type: AuthenType(u.arbitrary()?),
            authen_service: AuthenService(u.arbitrary()?),
            user: field(u, 255)?,
            port: field(u, 255)?,
            rem_addr: field(u, 255)?,
            args: args(u)?,
            ..Default::default()
        })),
        _ => (3, even, Body::AcctReply(AcctReply {
            server_msg: field(u, 65535)?,
            data: field(u, 65535)?,
            status: AcctStatus(u.arbitrary()?),
            ..Default::default()
        })),
    };
    let mut h = Header::new(PacketType(ptype), u.int_in_range(0..=1)?, seq_no, u.arbitrary()?);
    h.flags = HeaderFlags(u.arbitrary()?);
    Ok((h, body))
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let (header, body) = packet(u)?;
    let key = Key::new(field(u, 80)?);
    let wire = match encode_packet(&header, &body, Some(&key)) {
        Ok(w) => {
            assert!(!too_long(&body), "encoded a field its length cannot hold");
            w
        }
        Err(EncodeError::FieldTooLong { .. } | EncodeError::TooManyArgs { .. }) => {
            assert!(too_long(&body), "refused a body that fits");
            return Ok(());
        }
        Err(e) => panic!("unexpected encode error {e:?}"),
    };
    let opts = DecodeOptions { keys: vec![key], max_length: u32::MAX, ..DecodeOptions::default() };
    let Decoded::Complete(pdu) = decode_pdu(&wire, &opts) else { panic!("partial") };
    assert_eq!(pdu.span.end, wire.len());
    let mut want = header;
    want.length = (wire.len() - 12) as u32;
    assert_eq!(pdu.header, want);
    assert_eq!(pdu.body, body, "decode(encode(x)) == x");
    if header.flags.contains(HeaderFlags::UNENCRYPTED) {
        assert_eq!(pdu.body_state, BodyState::Clear);
    } else {
        assert_eq!(pdu.body_state, BodyState::Deobfuscated);
        assert_eq!(pdu.key_index, Some(0));
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
