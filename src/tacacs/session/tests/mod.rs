//! Tests of the session machines: each flow end to end through a [`Client`] and a
//! [`Server`], and the shared connection rules (§4.1 header, §4.3 single connection mode,
//! §4.4 session completion, §4.5 obfuscation) applied the same way by both ends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::connection::{SessionState, SessionTable, Sessions, Turn};
use super::*;
use crate::tacacs::{
    AcctFlags, AcctReply, AcctRequest, AcctStatus, AuthenContinue, AuthenReply, AuthenStart,
    AuthenStatus, AuthorRequest, AuthorResponse, AuthorStatus, Body, DecodeOptions, Decoded,
    Diagnostic, Header, HeaderFlags, Key, PacketType, Pdu, ReplyFlags, codes, decode_pdu,
    encode_packet,
};

fn state(last_seq: u8) -> SessionState {
    SessionState {
        packet_type: PacketType::AUTHEN,
        minor: 0,
        last_seq,
        turn: Turn::Client,
        single_exchange: false,
    }
}

/// The client's session table answers like the map it replaced (§4.3 multiplexing keeps
/// several sessions per connection apart by `session_id`).
#[test]
fn session_table_is_a_map_by_session_id_4_3() {
    let mut t = SessionTable::default();
    assert!(t.is_empty());
    t.insert(7, state(1));
    t.insert(3, state(1));
    t.insert(7, state(3)); // replaces
    assert_eq!(t.len(), 2);
    assert!(t.contains_key(&3) && !t.contains_key(&5));
    assert_eq!(t.get(&7).map(|s| s.last_seq), Some(3));
    if let Some(s) = t.get_mut(&3) {
        s.last_seq = 5;
    }
    let shown = format!("{t:?}"); // ordered by session_id, like the map
    assert!(shown.find("3: ").is_some() && shown.find("3: ") < shown.find("7: "));
    assert_eq!(t.remove(&3).map(|s| s.last_seq), Some(5));
    assert!(t.remove(&3).is_none());
    assert_eq!(t.get(&7).map(|s| s.last_seq), Some(3));
    assert_eq!(t.remove(&7).map(|s| s.last_seq), Some(3));
    assert!(t.is_empty());
}

fn cfg(single: bool) -> SessionConfig {
    SessionConfig {
        single_connect: single,
        ..SessionConfig::new(Key::from_text("s3cret"))
    }
}

fn decode(bytes: &[u8], key: &str) -> Pdu {
    match decode_pdu(bytes, &DecodeOptions::with_key(Key::from_text(key))) {
        Decoded::Complete(p) => p,
        Decoded::Partial { .. } => panic!("partial"),
    }
}

fn one<T: core::fmt::Debug>(mut v: Vec<T>) -> T {
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

const E1: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];
const E2: [u8; 4] = [0x01, 0x02, 0x03, 0x04];

mod both_ends;
mod connection;
mod flows;
