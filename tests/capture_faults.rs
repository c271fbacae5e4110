//! Four faults a capture at a TACACS+ server shows (issue 18 item 3), each reported where it
//! is and nowhere else. `tests/vectors/capture/diagnostics.pcap` (generate.py, scapy): one NAS per
//! fault, all with the server's key; the fault each connection shows is the generator's
//! (`diagnostics.expected.json`), never casplus's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;

use casplus::capture::{self, Analysis, Options, codes};
use casplus::tacacs::{self, BodyState, Key};
use serde_json::Value;

/// The four codes (codec: §4.5, §5.4.2.6; capture: §4.3, §4.5).
const FAULTS: [&str; 4] = [
    tacacs::codes::CLEAR_WITHOUT_FLAG,
    tacacs::codes::ENABLE_NOT_LOGIN,
    codes::SESSION_BEFORE_SINGLE_CONNECT,
    codes::ERROR_REPLY_KEY_MISMATCH,
];

mod support {
    pub mod vectors;
}

fn analyze(name: &str) -> Analysis {
    capture::analyze(
        &support::vectors::read("capture", name),
        &Options {
            keys: vec![Key::from_text("tac_plus_key")],
            ..Options::default()
        },
    )
}

/// Every code reported on connection `c`: the analysis' and its PDUs' codec findings.
fn codes_on(a: &Analysis, c: u32) -> BTreeSet<&'static str> {
    let mut out: BTreeSet<&'static str> = a
        .diagnostics
        .iter()
        .filter(|d| d.conn == Some(c))
        .map(|d| d.code)
        .collect();
    for p in a.pdus.iter().filter(|p| p.conn == Some(c)) {
        out.extend(p.codec_diagnostics.iter().map(|d| d.code));
    }
    out
}

#[test]
fn each_fault_is_reported_on_its_connection_only() {
    let a = analyze("diagnostics.pcap");
    let want: Value = serde_json::from_slice(&support::vectors::read(
        "capture",
        "diagnostics.expected.json",
    ))
    .unwrap();
    let conns = want["connections"].as_array().unwrap();
    assert_eq!(a.connections.len(), conns.len());
    for (c, conn) in conns.iter().enumerate() {
        let client = conn["client"].as_str().unwrap();
        assert_eq!(a.connections[c].client.to_string(), client);
        let fault = conn["diagnostic"].as_str().unwrap();
        let got = codes_on(&a, c as u32);
        for f in FAULTS {
            assert_eq!(got.contains(f), f == fault, "{client}: {f} in {got:?}");
        }
    }
}

#[test]
fn a_body_in_clear_without_the_flag_is_read_as_it_is_4_5() {
    let a = analyze("diagnostics.pcap");
    let start = a.pdus.iter().find(|p| p.conn == Some(0)).unwrap();
    assert_eq!(start.body_state, BodyState::Clear);
    assert_eq!(start.header.flags & 1, 0, "the header says obfuscated");
    assert!(start.summary.contains("carol"), "{}", start.summary);
    // the server's reply, obfuscated with the key, is read normally
    let reply = a.pdus.iter().filter(|p| p.conn == Some(0)).nth(1).unwrap();
    assert_eq!(reply.body_state, BodyState::Deobfuscated);
}

#[test]
fn the_error_reply_names_the_key_mismatch_at_the_reply_4_5() {
    let a = analyze("diagnostics.pcap");
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == codes::ERROR_REPLY_KEY_MISMATCH)
        .unwrap();
    let reply = a.pdus.iter().filter(|p| p.conn == Some(3)).nth(1).unwrap();
    assert_eq!(d.pdu, Some(reply.index));
    assert_eq!(reply.body_state, BodyState::Deobfuscated);
    let request = a.pdus.iter().find(|p| p.conn == Some(3)).unwrap();
    assert_eq!(request.body_state, BodyState::WrongKey);
}

#[test]
fn no_fault_is_reported_on_the_other_captures() {
    for name in [
        "login.pcap",
        "single-connect.pcap",
        "messy.pcap",
        "peer-keys.pcap",
    ] {
        let a = analyze(name);
        for c in 0..a.connections.len() as u32 {
            let got = codes_on(&a, c);
            for f in FAULTS {
                assert!(!got.contains(f), "{name} connection {c}: {f}");
            }
        }
    }
}
