//! Capture ingestion against captures made by independent tools (tests/vectors/capture/generate.py:
//! scapy builds and obfuscates the PDUs, tcpdump/tshark/mergecap/base64 produce the other forms).
//! The expected PDUs come from the generator, never from casplus.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use casplus::capture::{self, Analysis, ConnectionKind, InputFormat, Options, Pdu};
use casplus::tacacs::{BodyState, Direction, Key};
use md5::{Digest, Md5};
use serde_json::Value;

mod support {
    pub mod vectors;
}

fn vector(name: &str) -> Vec<u8> {
    support::vectors::read("capture", name)
}

fn expected(name: &str) -> Value {
    serde_json::from_slice(&vector(&format!("{name}.expected.json"))).unwrap()
}

/// RFC 8907 §4.5 pad, written out here so the test does not depend on the codec under test.
fn clear_body(pdu: &Pdu, key: &str) -> Vec<u8> {
    let body = &pdu.wire[12..];
    if pdu.header.flags & 1 == 1 {
        return body.to_vec();
    }
    let mut out = Vec::with_capacity(body.len());
    let mut last: Vec<u8> = Vec::new();
    let version = (pdu.header.major << 4) | pdu.header.minor;
    for chunk in body.chunks(16) {
        let mut h = Md5::new();
        h.update(pdu.header.session_id.to_be_bytes());
        h.update(key.as_bytes());
        h.update([version, pdu.header.seq_no]);
        h.update(&last);
        last = h.finalize().to_vec();
        out.extend(chunk.iter().zip(&last).map(|(a, b)| a ^ b));
    }
    out
}

fn ep(e: &capture::Endpoint) -> String {
    format!("{}:{}", e.ip, e.port)
}

/// (version, type, seq_no, flags, session_id, length, clear body hex, complete) of a PDU.
type PduKey = (u64, u64, u64, u64, u64, u64, String, bool);

fn key_of(p: &Pdu, key: &str) -> PduKey {
    let h = &p.header;
    let body = if p.complete {
        casplus::codec::hex::encode(&clear_body(p, key))
    } else {
        String::new()
    };
    (
        u64::from((h.major << 4) | h.minor),
        u64::from(h.kind),
        u64::from(h.seq_no),
        u64::from(h.flags),
        u64::from(h.session_id),
        u64::from(h.length),
        body,
        p.complete,
    )
}

fn key_of_json(v: &Value) -> PduKey {
    let n = |k: &str| v[k].as_u64().unwrap();
    let complete = v["complete"].as_bool().unwrap();
    let body = if complete {
        v["body_clear_hex"].as_str().unwrap().to_owned()
    } else {
        String::new()
    };
    (
        n("version"),
        n("type"),
        n("seq_no"),
        n("flags"),
        n("session_id"),
        n("length"),
        body,
        complete,
    )
}

/// Checks every expected connection: endpoints, roles, and the PDUs of each direction in order.
fn check_against_expected(a: &Analysis, name: &str) {
    let exp = expected(name);
    let key = exp["key"].as_str().unwrap();
    let mut seen: Vec<(String, String)> = Vec::new();
    for c in exp["connections"].as_array().unwrap() {
        let client = c["client"].as_str().unwrap();
        let server = c["server"].as_str().unwrap();
        // the same 4-tuple may be reused by later connections: take them in order
        let nth = seen
            .iter()
            .filter(|(x, y)| x == client && y == server)
            .count();
        seen.push((client.to_owned(), server.to_owned()));
        let conn = a
            .connections
            .iter()
            .filter(|k| ep(&k.client) == client && ep(&k.server) == server)
            .nth(nth)
            .unwrap_or_else(|| panic!("{name}: connection {client} -> {server} #{nth} not found"));
        for (field, dir) in [
            ("to_server", Direction::ClientToServer),
            ("to_client", Direction::ServerToClient),
        ] {
            let want: Vec<PduKey> = c[field]
                .as_array()
                .unwrap()
                .iter()
                .map(key_of_json)
                .collect();
            let mut got: Vec<&Pdu> = a
                .pdus
                .iter()
                .filter(|p| p.conn == Some(conn.id) && p.direction == dir)
                .collect();
            got.sort_by_key(|p| p.stream_span.start);
            for p in &got {
                // the codec, given the key, de-obfuscates to the same clear body
                let d = p.decoded.as_ref().unwrap();
                if p.complete {
                    assert_eq!(
                        d.body_state,
                        BodyState::Deobfuscated,
                        "{name}: pdu {}",
                        p.index
                    );
                    assert_eq!(d.body_clear, clear_body(p, key), "{name}: pdu {}", p.index);
                }
            }
            let got: Vec<PduKey> = got.iter().map(|p| key_of(p, key)).collect();
            assert_eq!(got, want, "{name}: {client} -> {server} {field}");
        }
        if c["to_server"].as_array().unwrap().is_empty()
            && c["to_client"].as_array().unwrap().is_empty()
        {
            assert_ne!(
                conn.kind,
                ConnectionKind::Tacacs,
                "{name}: {client} -> {server}"
            );
        } else {
            assert_eq!(
                conn.kind,
                ConnectionKind::Tacacs,
                "{name}: {client} -> {server}"
            );
        }
    }
}

fn keyed() -> Options {
    Options {
        keys: vec![Key::from_text("tac_plus_key")],
        keep_decoded: true,
        ..Options::default()
    }
}

fn analyze(name: &str) -> Analysis {
    capture::analyze(&vector(name), &keyed())
}

fn pdu_list(a: &Analysis, key: &str) -> Vec<PduKey> {
    a.pdus.iter().map(|p| key_of(p, key)).collect()
}

#[test]
fn pcap_little_endian_microseconds_decodes_router_login() {
    let a = analyze("login.pcap");
    assert_eq!(a.format.form, InputFormat::Pcap);
    assert!(a.format.detail.contains("little-endian") && a.format.detail.contains("microsecond"));
    check_against_expected(&a, "login");
    assert_eq!(a.pdus.len(), 16);
    assert!(a.diagnostics.is_empty(), "{:#?}", a.diagnostics);
}

#[test]
fn pcap_big_endian_nanoseconds_reads_the_same() {
    let a = analyze("login-be-ns.pcap");
    assert!(
        a.format.detail.contains("big-endian") && a.format.detail.contains("nanosecond"),
        "{}",
        a.format.detail
    );
    check_against_expected(&a, "login-be-ns");
    let b = analyze("login.pcap");
    assert_eq!(pdu_list(&a, "tac_plus_key"), pdu_list(&b, "tac_plus_key"));
    let times = |x: &Analysis| {
        x.frames
            .iter()
            .map(|f| f.time.unwrap().ns)
            .collect::<Vec<_>>()
    };
    assert_eq!(times(&a), times(&b));
}

#[test]
fn every_form_of_a_capture_yields_identical_pdus() {
    for name in ["login", "single-connect"] {
        let reference = pdu_list(&analyze(&format!("{name}.pcap")), "tac_plus_key");
        assert!(!reference.is_empty());
        for (form, file) in [
            (InputFormat::Tcpdump, "tcpdump-X.txt"),
            (InputFormat::Tcpdump, "tcpdump-x.txt"),
            (InputFormat::Tcpdump, "tcpdump-XX.txt"),
            (InputFormat::Tcpdump, "tcpdump-xx.txt"),
            (InputFormat::HexDump, "tshark-x.txt"),
            (InputFormat::Hex, "payload.hex"),
            (InputFormat::Base64, "payload.b64"),
            (InputFormat::Tcpdump, "tcpdump-payload-X.txt"),
            (InputFormat::Base64, "pcap.b64"),
            (InputFormat::Hex, "pcap.hex"),
        ] {
            if name != "login" && (file.starts_with("pcap") || file.contains("payload-X")) {
                continue;
            }
            let a = analyze(&format!("{name}.{file}"));
            assert_eq!(a.format.form, form, "{name}.{file}: {:?}", a.format);
            assert_eq!(pdu_list(&a, "tac_plus_key"), reference, "{name}.{file}");
            let bad: Vec<_> = a
                .diagnostics
                .iter()
                .filter(|d| d.severity != capture::Severity::Info)
                .collect();
            assert!(bad.is_empty(), "{name}.{file}: {bad:#?}");
        }
    }
}

#[test]
fn pcapng_with_several_interfaces_and_every_link_type() {
    let a = analyze("links.pcapng");
    assert_eq!(a.format.form, InputFormat::Pcapng);
    check_against_expected(&a, "links");
    let links: std::collections::BTreeSet<_> =
        a.frames.iter().map(|f| format!("{:?}", f.link)).collect();
    assert_eq!(links.len(), 5, "{links:?}");
    let ifaces: std::collections::BTreeSet<_> =
        a.frames.iter().map(|f| f.interface.unwrap()).collect();
    assert_eq!(ifaces.len(), 7);
    assert!(a.diagnostics.is_empty(), "{:#?}", a.diagnostics);
}

#[test]
fn pcapng_simple_packet_blocks_unknown_blocks_two_sections() {
    let a = analyze("handmade.pcapng");
    check_against_expected(&a, "handmade");
    assert!(a.format.detail.contains("2 section"), "{}", a.format.detail);
    // SPBs have no timestamp; EPBs on the ns interface have the same times as the µs one would.
    assert!(a.frames.iter().any(|f| f.time.is_none()));
    assert!(
        a.frames
            .iter()
            .filter_map(|f| f.time)
            .all(|t| t.ns % 250_000 == 0)
    );
    let unknown: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.code == "pcapng-unknown-block")
        .collect();
    assert_eq!(unknown.len(), 1, "{:#?}", a.diagnostics);
}

#[test]
fn linux_sll_sll2_raw_ip_and_bsd_null_pcaps() {
    for name in ["link-sll", "link-sll2", "link-raw-ip", "link-null"] {
        let a = analyze(&format!("{name}.pcap"));
        check_against_expected(&a, name);
        assert!(a.diagnostics.is_empty(), "{name}: {:#?}", a.diagnostics);
    }
}

#[test]
fn messy_tcp_is_reassembled() {
    let a = analyze("messy.pcap");
    check_against_expected(&a, "messy");
    for d in &a.diagnostics {
        eprintln!("{:?} {} {}", d.severity, d.code, d.message);
    }
}

#[test]
fn frames_keep_timestamps_addresses_and_ports_from_tcpdump_text() {
    let every = Options {
        all_frames: true,
        ..keyed()
    };
    let pcap = capture::analyze(&vector("login.pcap"), &every);
    assert_eq!(pcap.frames.len(), 68);
    // by default only frames with TACACS+ bytes are listed
    assert_eq!(analyze("login.pcap").frames.len(), 16);
    for file in ["login.tcpdump-XX.txt", "login.tcpdump-xx.txt"] {
        let a = capture::analyze(&vector(file), &every);
        assert_eq!(a.frames.len(), pcap.frames.len(), "{file}");
        // -tttt / -tt: absolute times equal to the pcap's (the generator ran tcpdump with TZ=UTC)
        for (x, y) in a.frames.iter().zip(&pcap.frames) {
            assert_eq!(x.time, y.time, "{file} frame {}", x.number);
            assert_eq!(x.captured_len, y.captured_len);
        }
        assert_eq!(a.connections, pcap.connections, "{file}");
    }
    // default tcpdump: the time of day only
    let a = capture::analyze(&vector("login.tcpdump-X.txt"), &every);
    let t = a.frames[0].time.unwrap();
    assert!(t.time_of_day);
    assert_eq!(
        t.ns,
        pcap.frames[0]
            .time
            .unwrap()
            .ns
            .rem_euclid(86_400_000_000_000)
    );
    assert_eq!(t.to_string(), "22:13:20.000250000");
}

#[test]
fn every_pdu_maps_back_to_frames_and_input_bytes() {
    let input = vector("messy.pcap");
    let a = capture::analyze(&input, &keyed());
    let mut pieces = 0;
    for p in &a.pdus {
        let mut covered = 0;
        for s in &p.segments {
            let (off, len) = (s.pdu_offset as usize, s.len as usize);
            // the input bytes of the piece are the PDU's bytes
            assert_eq!(
                &input[s.input.range()],
                &p.wire[off..off + len],
                "pdu {}",
                p.index
            );
            // and the piece lies in its frame
            let f = a.frame(s.frame).unwrap();
            assert!(s.frame_offset as usize + len <= f.captured_len as usize);
            assert_eq!(f.input.start + 16 + s.frame_offset as usize, s.input.start);
            covered += len;
            pieces += 1;
        }
        assert_eq!(covered, p.wire.len(), "pdu {}", p.index);
    }
    assert!(pieces > a.pdus.len(), "some PDU spans several segments");
    // text input: the spans point at the hex digits of the first and last byte
    let text = vector("messy.tcpdump-XX.txt");
    let t = capture::analyze(&text, &keyed());
    assert_eq!(t.pdus.len(), a.pdus.len());
    for p in &t.pdus {
        for s in &p.segments {
            let first = casplus::codec::hex::encode(&p.wire[s.pdu_offset as usize..][..1]);
            let last =
                casplus::codec::hex::encode(&p.wire[(s.pdu_offset + s.len - 1) as usize..][..1]);
            let span = &text[s.input.range()];
            assert_eq!(std::str::from_utf8(&span[..2]).unwrap(), first);
            assert_eq!(std::str::from_utf8(&span[span.len() - 2..]).unwrap(), last);
        }
    }
}

#[test]
fn a_hex_or_base64_dump_of_a_pcap_file_is_read_as_the_file() {
    for file in ["login.pcap.b64", "login.pcap.hex"] {
        let a = analyze(file);
        assert_eq!(a.format.inner, Some(InputFormat::Pcap), "{file}");
        check_against_expected(&a, "login");
        // frames point into the text
        let text = vector(file);
        assert!(a.frames.iter().all(|f| f.input.end <= text.len()));
    }
}

#[test]
fn wireshark_gui_copy_as_hex_dump() {
    // Wireshark's "Copy ▸ …as Hex Dump" of frame 4 of login.pcap: three spaces after the offset,
    // ASCII column after three spaces (layout as Wireshark 4 writes it).
    let pcap = analyze("login.pcap");
    let f = pcap.frame(4).unwrap();
    let raw = vector("login.pcap");
    let bytes = &raw[f.input.start + 16..f.input.end];
    let mut text = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = line
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        text.push_str(&format!(
            "{:04x}   {:<48}  {ascii}\n",
            i * 16,
            hex.join(" ")
        ));
    }
    let a = capture::analyze(text.as_bytes(), &Options::default());
    assert_eq!(a.format.form, InputFormat::HexDump);
    assert_eq!(a.pdus.len(), 1);
    assert_eq!(a.pdus[0].wire, pcap.pdus[0].wire);
    assert_eq!(a.connections[0].server.port, 49);
}

#[test]
fn forced_format_overrides_detection() {
    let hex = b"c0010100000000010000000000";
    let a = capture::analyze(
        hex,
        &Options {
            format: Some(InputFormat::Raw),
            ..Options::default()
        },
    );
    assert_eq!(a.format.form, InputFormat::Raw);
    assert!(a.format.forced);
    assert!(a.pdus.is_empty());
    let a = capture::analyze(hex, &Options::default());
    assert_eq!(a.format.form, InputFormat::Hex);
    assert!(!a.format.forced);
    assert_eq!(a.pdus.len(), 1);
    assert_eq!(
        capture::detect(&vector("login.pcap")),
        Some(InputFormat::Pcap)
    );
    assert_eq!(
        capture::detect(&vector("links.pcapng")),
        Some(InputFormat::Pcapng)
    );
    assert_eq!(capture::detect(b"just some words\n"), None);
}
