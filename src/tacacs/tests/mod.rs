//! Cross-module tests of the TACACS+ codec, by topic: one `(value, bytes)` table for both
//! directions and known-answer packets (`table`), every diagnostic code (`diagnostics`), key
//! trials, hostile lengths and strict validation (`edge_cases`), the JSON schema (`schema`)
//! and property-based round trips (`props`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::codec;

mod diagnostics;
mod edge_cases;
mod props;
mod schema;
mod table;

use table::{header_for, table};

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
