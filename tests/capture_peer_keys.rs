//! Per-peer keys in captures (issue 18 item 3): RFC 8907 §4.5 makes the shared secret a per-client
//! setting, so a capture at a server holds connections obfuscated with different keys.
//! `tests/vectors/capture/peer-keys.pcap` (generate.py, scapy): three NAS with their own keys to
//! one server, the keys and the clear bodies in `peer-keys.expected.json` (never casplus's).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;

use casplus::capture::{self, Analysis, Options, PeerKey};
use casplus::tacacs::{BodyState, Key};
use serde_json::Value;

const SITE: &str = "tac_plus_key";
const NAS_A: (&str, &str) = ("192.0.2.11", "nas-a-secret");
const NAS_B: (&str, &str) = ("192.0.2.12", "nas-b-secret");

mod support {
    pub mod vectors;
}

fn expected() -> Value {
    serde_json::from_slice(&support::vectors::read(
        "capture",
        "peer-keys.expected.json",
    ))
    .unwrap()
}

/// Options with `keys` as `--key` gives them: `(secret, Some(peer))` for `--key PEER=SECRET`.
fn opts(keys: &[(&str, Option<&str>)]) -> Options {
    Options {
        keys: keys.iter().map(|(k, _)| Key::from_text(k)).collect(),
        peer_keys: keys
            .iter()
            .enumerate()
            .filter_map(|(i, (_, p))| {
                Some(PeerKey {
                    peer: (*p)?.parse().unwrap(),
                    key: i,
                })
            })
            .collect(),
        ..Options::default()
    }
}

fn analyze(o: &Options) -> Analysis {
    capture::analyze(&support::vectors::read("capture", "peer-keys.pcap"), o)
}

/// Connection index of the client at `addr`.
fn conn_of(a: &Analysis, addr: &str) -> u32 {
    let ip: std::net::IpAddr = addr.parse().unwrap();
    a.connections
        .iter()
        .position(|c| c.client.ip == ip)
        .unwrap() as u32
}

fn states(a: &Analysis, addr: &str) -> Vec<(BodyState, Option<u32>)> {
    let c = conn_of(a, addr);
    a.pdus
        .iter()
        .filter(|p| p.conn == Some(c))
        .map(|p| (p.body_state, p.key_index))
        .collect()
}

#[test]
fn each_device_is_read_with_its_own_key_4_5() {
    let o = opts(&[
        (SITE, None),
        (NAS_A.1, Some(NAS_A.0)),
        (NAS_B.1, Some(NAS_B.0)),
    ]);
    let a = analyze(&o);
    assert_eq!(a.connections.len(), 3);
    assert_eq!(a.pdus.len(), 12);
    for conn in expected()["connections"].as_array().unwrap() {
        let client = conn["client"].as_str().unwrap();
        let addr = client.split(':').next().unwrap();
        let index = [SITE, NAS_A.1, NAS_B.1]
            .iter()
            .position(|k| *k == conn["key"].as_str().unwrap())
            .unwrap() as u32;
        let c = conn_of(&a, addr);
        assert_eq!(a.connections[c as usize].keys_ok, [index], "{client}");
        let mut want: Vec<&str> = conn["to_server"]
            .as_array()
            .unwrap()
            .iter()
            .chain(conn["to_client"].as_array().unwrap())
            .map(|p| p["body_clear_hex"].as_str().unwrap())
            .collect();
        let mut got = Vec::new();
        for p in a.pdus.iter().filter(|p| p.conn == Some(c)) {
            assert_eq!(
                (p.body_state, p.key_index),
                (BodyState::Deobfuscated, Some(index))
            );
            // the decode the inspector asks for, one PDU at a time, chooses the same key
            let d = a.decode(p, &o).unwrap();
            assert_eq!(d.key_index, Some(index as usize));
            got.push(
                d.body_clear
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            );
        }
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{client}");
    }
    assert!(
        !a.diagnostics
            .iter()
            .any(|d| d.code == capture::codes::KEY_NONE_FITS)
    );
}

#[test]
fn a_peer_key_is_not_tried_on_another_peers_connections() {
    // NAS A's key, given for NAS B's address: A's connection is not even tried with it
    let a = analyze(&opts(&[(NAS_A.1, Some(NAS_B.0))]));
    assert!(
        states(&a, NAS_A.0)
            .iter()
            .all(|s| *s == (BodyState::Obfuscated, None))
    );
    assert!(
        states(&a, NAS_B.0)
            .iter()
            .all(|s| *s == (BodyState::WrongKey, None))
    );
    // the same key for every connection opens A's
    let a = analyze(&opts(&[(NAS_A.1, None)]));
    assert!(
        states(&a, NAS_A.0)
            .iter()
            .all(|s| *s == (BodyState::Deobfuscated, Some(0)))
    );
}

#[test]
fn a_peers_keys_are_tried_before_the_global_ones() {
    // the same secret twice: globally first, then for NAS A; on A's connection the peer's wins
    let a = analyze(&opts(&[(NAS_A.1, None), (NAS_A.1, Some(NAS_A.0))]));
    assert!(
        states(&a, NAS_A.0)
            .iter()
            .all(|s| *s == (BodyState::Deobfuscated, Some(1)))
    );
    // a connection of no listed peer uses the global keys only
    assert!(
        states(&a, NAS_B.0)
            .iter()
            .all(|s| *s == (BodyState::WrongKey, None))
    );
}

#[test]
fn peer_key_text_is_address_equals_secret() {
    assert_eq!(
        PeerKey::split("10.0.0.5=s3cr=t"),
        Some(("10.0.0.5".parse().unwrap(), "s3cr=t"))
    );
    assert_eq!(
        PeerKey::split("2001:db8::5=k"),
        Some(("2001:db8::5".parse().unwrap(), "k"))
    );
    assert_eq!(PeerKey::split("plain=key"), None);
    assert_eq!(PeerKey::split("no-equals"), None);
}

#[test]
fn cli_key_address_equals_secret_per_peer() {
    let out = Command::new(env!("CARGO_BIN_EXE_casplus"))
        .args(["decode", "--json"])
        .args(["--key", &format!("{}={}", NAS_A.0, NAS_A.1)])
        .args(["--key", SITE])
        .args(["--key", &format!("{}={}", NAS_B.0, NAS_B.1)])
        .arg(support::vectors::path("capture", "peer-keys.pcap"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 12);
    for l in &lines {
        let want = match l["src"].as_str().unwrap().split(':').next().unwrap() {
            "192.0.2.11" => 0,
            "192.0.2.13" => 1,
            "192.0.2.12" => 2,
            // replies: by their destination
            _ => match l["dst"].as_str().unwrap().split(':').next().unwrap() {
                "192.0.2.11" => 0,
                "192.0.2.13" => 1,
                _ => 2,
            },
        };
        assert_eq!(l["key_index"], want, "{l}");
    }
}
