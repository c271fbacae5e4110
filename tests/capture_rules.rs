//! One test per rule of capture analysis, on captures built here byte by byte (PDUs obfuscated
//! per RFC 8907 §4.5 by the test's own MD5 chain) or made by real tools (tests/vectors/capture).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod capture_gen;

use capture_gen::*;
use casplus::capture::{self, ConnectionEnd, ConnectionKind, InputFormat, Options, RoleBasis};
use casplus::tacacs::{Direction, Key};

const KEY: &[u8] = b"s3cret";

fn keyed() -> Options {
    Options {
        keys: vec![Key::new(KEY)],
        ..Options::default()
    }
}

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/vectors/capture/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn codes(a: &capture::Analysis) -> Vec<&'static str> {
    a.diagnostics.iter().map(|d| d.code).collect()
}

/// A PAP START / REPLY PASS pair for session `sid`.
fn pap(sid: u32) -> (Vec<u8>, Vec<u8>) {
    (
        pdu_keyed(
            1,
            1,
            0,
            sid,
            KEY,
            &pap_start(b"alice", b"tty1", b"10.9.9.9", b"pw"),
        ),
        pdu_keyed(1, 2, 0, sid, KEY, &authen_reply(1, 0, b"")),
    )
}

// ---- TCP reassembly -------------------------------------------------------------------------

#[test]
fn several_pdus_in_one_segment_are_all_found() {
    let (a1, r1) = pap(1);
    let (a2, r2) = pap(2);
    let both = [a1.clone(), a2.clone()].concat();
    let f = connection(
        40000,
        49,
        (1000, 5000),
        &[(true, both), (false, [r1, r2].concat())],
    );
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(a.pdus.len(), 4);
    assert_eq!(&a.pdus[0].wire[..], &a1[..]);
    assert_eq!(&a.pdus[1].wire[..], &a2[..]);
    assert_eq!(a.pdus[0].frame, a.pdus[1].frame, "both in the same frame");
    assert_eq!(a.sessions.len(), 2);
    assert!(a.sessions.iter().all(|s| s.outcome == Some("PASS")));
}

#[test]
fn one_pdu_across_segments_maps_back_to_each_frame() {
    let (start, reply) = pap(7);
    let mut f = connection(40000, 49, (1, 2), &[]);
    f.truncate(3); // handshake only
    for (i, chunk) in start.chunks(5).enumerate() {
        f.push(ip_tcp(
            C,
            S,
            40000,
            49,
            2 + (i * 5) as u32,
            3,
            PSH | ACK,
            chunk,
        ));
    }
    f.push(ip_tcp(
        S,
        C,
        49,
        40000,
        3,
        2 + start.len() as u32,
        PSH | ACK,
        &reply,
    ));
    let a = capture::analyze(&pcap(&f), &keyed());
    let p = &a.pdus[0];
    assert!(p.complete);
    assert_eq!(&p.wire[..], &start[..]);
    assert_eq!(p.segments.len(), start.len().div_ceil(5));
    for (i, s) in p.segments.iter().enumerate() {
        assert_eq!(s.frame as usize, 4 + i);
        assert_eq!(
            s.frame_offset, 40,
            "raw IP: payload after 20 + 20 header bytes"
        );
        assert_eq!(s.pdu_offset as usize, i * 5);
    }
    assert_eq!(p.frame, 4);
    assert_eq!(p.last_frame as usize, 3 + p.segments.len());
}

#[test]
fn out_of_order_segments_are_put_back_in_order() {
    let (start, reply) = pap(8);
    let mut f = connection(40000, 49, (1, 2), &[]);
    f.truncate(3);
    let (x, y) = start.split_at(20);
    f.push(ip_tcp(C, S, 40000, 49, 2 + 20, 3, PSH | ACK, y));
    f.push(ip_tcp(C, S, 40000, 49, 2, 3, PSH | ACK, x));
    f.push(ip_tcp(
        S,
        C,
        49,
        40000,
        3,
        2 + start.len() as u32,
        PSH | ACK,
        &reply,
    ));
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(&a.pdus[0].wire[..], &start[..]);
    let s = &a.streams[a.connections[0].to_server as usize];
    assert_eq!(s.out_of_order, 1);
    assert!(s.gaps.is_empty());
    assert_eq!(&*a.pdus[0].summary, "AUTHEN START login pap user=alice");
}

#[test]
fn retransmissions_and_overlaps_are_dropped_and_conflicts_counted() {
    let (start, reply) = pap(9);
    let mut f = connection(40000, 49, (1, 2), &[]);
    f.truncate(3);
    f.push(ip_tcp(C, S, 40000, 49, 2, 3, PSH | ACK, &start[..10]));
    f.push(ip_tcp(C, S, 40000, 49, 2, 3, PSH | ACK, &start[..10])); // retransmission
    let mut changed = start[5..20].to_vec();
    changed[0] ^= 0xff; // an overlap whose first byte differs from what was sent
    f.push(ip_tcp(C, S, 40000, 49, 2 + 5, 3, PSH | ACK, &changed));
    f.push(ip_tcp(C, S, 40000, 49, 2 + 20, 3, PSH | ACK, &start[20..]));
    f.push(ip_tcp(
        S,
        C,
        49,
        40000,
        3,
        2 + start.len() as u32,
        PSH | ACK,
        &reply,
    ));
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(&a.pdus[0].wire[..], &start[..], "the first copy is kept");
    let s = &a.streams[a.connections[0].to_server as usize];
    assert_eq!(s.retransmitted_bytes, 10 + 5);
    assert_eq!(s.conflicting_bytes, 1);
    assert!(codes(&a).contains(&"tcp-conflicting-retransmission"));
}

#[test]
fn a_gap_is_reported_and_decoding_resumes_at_the_next_header() {
    let (s1, r1) = pap(10);
    let (s2, r2) = pap(11);
    let mut f = connection(40000, 49, (1, 2), &[]);
    f.truncate(3);
    let stream = [s1.clone(), s2.clone()].concat();
    // bytes 4..30 of the first START never reach the capture; the server ACKs them
    f.push(ip_tcp(C, S, 40000, 49, 2, 3, PSH | ACK, &stream[..4]));
    f.push(ip_tcp(C, S, 40000, 49, 2 + 30, 3, PSH | ACK, &stream[30..]));
    f.push(ip_tcp(
        S,
        C,
        49,
        40000,
        3,
        2 + stream.len() as u32,
        ACK,
        &[],
    ));
    f.push(ip_tcp(
        S,
        C,
        49,
        40000,
        3,
        2 + stream.len() as u32,
        PSH | ACK,
        &[r1, r2].concat(),
    ));
    let a = capture::analyze(&pcap(&f), &keyed());
    let to_server = &a.streams[a.connections[0].to_server as usize];
    assert_eq!(to_server.gaps, vec![capture::Gap { offset: 4, len: 26 }]);
    assert!(codes(&a).contains(&"tcp-gap"));
    // the header of the first START was cut: skipped; the second START is decoded intact
    let starts: Vec<_> = a
        .pdus
        .iter()
        .filter(|p| p.direction == Direction::ClientToServer)
        .collect();
    assert_eq!(starts.len(), 1);
    assert_eq!(&starts[0].wire[..], &s2[..]);
    assert!(codes(&a).contains(&"not-tacacs-skipped"));
    // its reply in a session whose request was lost is flagged
    assert!(codes(&a).contains(&"reply-to-unknown-session"));
}

#[test]
fn fin_and_rst_end_connections_and_a_reused_tuple_is_a_new_connection() {
    let (s1, r1) = pap(12);
    let mut f = connection(
        40000,
        49,
        (1, 2),
        &[(true, s1.clone()), (false, r1.clone())],
    );
    let (s2, _) = pap(13);
    f.extend(connection(40000, 49, (900, 800), &[(true, s2)]));
    f.push(ip_tcp(S, C, 49, 40000, 9999, 0, RST, &[]));
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(a.connections.len(), 2);
    assert_eq!(a.connections[0].end, ConnectionEnd::Fin);
    assert_eq!(a.connections[1].end, ConnectionEnd::Reset);
    assert!(a.connections.iter().all(|c| c.syn_seen));
    assert_eq!(a.pdus.iter().filter(|p| p.conn == Some(1)).count(), 1);
}

#[test]
fn capture_cut_by_the_snaplen_makes_a_gap_not_garbage() {
    let (s1, r1) = pap(14);
    let mut f = connection(40000, 49, (1, 2), &[(true, s1.clone()), (false, r1)]);
    // cut the START segment's frame by 10 bytes as a small snaplen would
    let data = &mut f[3];
    data.truncate(data.len() - 10);
    let mut bytes = pcap(&f);
    // orig_len keeps the length on the wire: patch the 4th record's orig_len
    let mut at = 24;
    for i in 0..4 {
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        if i == 3 {
            bytes[at + 12..at + 16].copy_from_slice(&((incl + 10) as u32).to_le_bytes());
        }
        at += 16 + incl;
    }
    let a = capture::analyze(&bytes, &keyed());
    let cut = a.frame(4).unwrap();
    assert_eq!(cut.original_len, cut.captured_len + 10);
    assert!(codes(&a).contains(&"frame-truncated"));
    let p = &a.pdus[0];
    assert!(!p.complete);
    assert_eq!(&p.wire[..], &s1[..s1.len() - 10][..]);
    // the reply still decodes
    assert!(a.pdus[1].complete);
}

// ---- TACACS+ detection and direction ------------------------------------------------------------

#[test]
fn tacacs_found_on_any_port_by_header_plausibility() {
    let (s1, r1) = pap(15);
    let f = connection(40000, 8049, (1, 2), &[(true, s1), (false, r1)]);
    let http = connection(
        40001,
        8080,
        (5, 6),
        &[
            (true, b"GET / HTTP/1.0\r\n\r\n".to_vec()),
            (false, b"HTTP/1.0 200 OK\r\n\r\n".to_vec()),
        ],
    );
    let a = capture::analyze(&pcap(&[f, http].concat()), &keyed());
    assert_eq!(a.connections[0].kind, ConnectionKind::Tacacs);
    assert_eq!(a.connections[0].server.port, 8049);
    assert_eq!(a.connections[0].role_basis, RoleBasis::SeqParity);
    assert_eq!(a.connections[1].kind, ConnectionKind::Other);
    assert_eq!(a.pdus.len(), 2);
    assert!(a.diagnostics.is_empty(), "{:#?}", a.diagnostics);
}

#[test]
fn direction_from_seq_parity_confirmed_by_port_49() {
    // the capture starts mid-connection (no SYN), and the first frame is the server's reply
    let (s1, r1) = pap(16);
    let f = vec![
        ip_tcp(S, C, 49, 40000, 500, 100 + s1.len() as u32, PSH | ACK, &r1),
        ip_tcp(
            C,
            S,
            40000,
            49,
            100 + s1.len() as u32,
            500 + r1.len() as u32,
            ACK,
            &[],
        ),
    ];
    let a = capture::analyze(&pcap(&f), &keyed());
    let c = &a.connections[0];
    assert_eq!(c.server.port, 49, "the first sender is the server");
    assert_eq!(c.role_basis, RoleBasis::SeqParityAndPort);
    assert_eq!(a.pdus[0].direction, Direction::ServerToClient);
    assert!(
        a.frame(1)
            .unwrap()
            .tcp
            .as_ref()
            .is_some_and(|t| !t.to_server)
    );
    assert!(a.frame(2).is_none(), "a pure ACK is counted, not listed");
    let _ = s1;
    // parity and port 49 disagree: the client sends from port 49
    let (s2, r2) = pap(17);
    let g = connection(49, 40000, (1, 2), &[(true, s2), (false, r2)]);
    let a = capture::analyze(&pcap(&g), &keyed());
    assert!(codes(&a).contains(&"direction-mismatch"));
    assert_eq!(a.connections[0].client.port, 49, "parity wins");
}

#[test]
fn a_pdu_against_its_streams_direction_is_flagged_by_the_codec() {
    // the client sends an even seq_no: a reply coming from the client side
    let odd = pdu_keyed(1, 1, 0, 20, KEY, &pap_start(b"a", b"", b"", b"p"));
    let bad = pdu_keyed(1, 2, 0, 21, KEY, &authen_reply(1, 0, b""));
    let reply = pdu_keyed(1, 2, 0, 20, KEY, &authen_reply(1, 0, b""));
    let f = connection(
        40000,
        49,
        (1, 2),
        &[(true, odd), (true, bad), (false, reply)],
    );
    let a = capture::analyze(&pcap(&f), &keyed());
    let p = &a.pdus[1];
    assert_eq!(p.direction, Direction::ClientToServer);
    assert!(p.codec_diagnostics.iter().any(|d| d.code == "seq-parity"));
    assert!(p.decoded.is_none(), "full decodes are not kept by default");
}

#[test]
fn port_300_is_tacacs_over_tls_9887() {
    let hello = [&[0x16u8, 0x03, 0x01, 0x00, 0x05][..], &[1, 0, 0, 1, 0]].concat();
    let f = connection(40000, 300, (1, 2), &[(true, hello.clone())]);
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(a.connections[0].kind, ConnectionKind::TacacsTls);
    assert!(a.pdus.is_empty());
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == "tls-not-decodable")
        .unwrap();
    assert!(
        d.message.contains("RFC 9887") && d.message.contains("TLS"),
        "{}",
        d.message
    );
    // TLS on port 49 is recognised by its record header too
    let f = connection(40000, 49, (1, 2), &[(true, hello)]);
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(a.connections[0].kind, ConnectionKind::TacacsTls);
}

// ---- sessions, flows, keys ----------------------------------------------------------------------

#[test]
fn sessions_are_grouped_by_connection_and_session_id_with_a_flow_summary() {
    // the AAA exchange of a router login, as the generator built it with scapy
    let a = capture::analyze(
        &vector("login.pcap"),
        &Options {
            keys: vec![Key::from_text("tac_plus_key")],
            ..Options::default()
        },
    );
    let flows: Vec<Vec<&str>> = a
        .sessions
        .iter()
        .map(|s| {
            s.steps
                .iter()
                .map(|x| &*a.pdus[x.pdu as usize].summary)
                .collect()
        })
        .collect();
    assert_eq!(
        flows,
        vec![
            vec![
                "AUTHEN START login ascii",
                "AUTHEN REPLY GETUSER \"Username: \"",
                "AUTHEN CONTINUE user_msg=alice",
                "AUTHEN REPLY GETPASS noecho \"Password: \"",
                "AUTHEN CONTINUE user_msg=(7 bytes, hidden)",
                "AUTHEN REPLY PASS",
            ],
            vec![
                "AUTHOR REQUEST service=shell cmd=",
                "AUTHOR RESPONSE PASS_ADD priv-lvl=15"
            ],
            vec![
                "ACCT START task_id=1 start_time=1700000001 service=shell",
                "ACCT REPLY SUCCESS"
            ],
            vec![
                "AUTHOR REQUEST service=shell cmd=show cmd-arg=version cmd-arg=<cr>",
                "AUTHOR RESPONSE PASS_ADD"
            ],
            vec![
                "ACCT STOP task_id=2 service=shell cmd=show version <cr>",
                "ACCT REPLY SUCCESS"
            ],
            vec![
                "ACCT STOP task_id=1 stop_time=1700000042 elapsed_time=41 service=shell",
                "ACCT REPLY SUCCESS"
            ],
        ]
    );
    let outcomes: Vec<_> = a.sessions.iter().map(|s| s.outcome.unwrap()).collect();
    assert_eq!(
        outcomes,
        [
            "PASS", "PASS_ADD", "SUCCESS", "PASS_ADD", "SUCCESS", "SUCCESS"
        ]
    );
    for (i, s) in a.sessions.iter().enumerate() {
        assert_eq!(s.conn, Some(i as u32));
        assert!(s.finished && !s.concurrent);
        for st in &s.steps {
            assert_eq!(a.pdus[st.pdu as usize].session, Some(s.id));
        }
    }
}

#[test]
fn single_connect_negotiation_is_tracked_4_3() {
    let opts = Options {
        keys: vec![Key::from_text("tac_plus_key")],
        ..Options::default()
    };
    let a = capture::analyze(&vector("single-connect.pcap"), &opts);
    let sc = a.connections[0].single_connect.unwrap();
    assert!(sc.requested && sc.accepted == Some(true));
    assert_eq!(sc.sessions, 6);
    assert!(!codes(&a).contains(&"single-connect-not-negotiated"));
    // concurrent sessions on one connection: the generator interleaved sessions 3 and 4
    let concurrent: Vec<_> = a
        .sessions
        .iter()
        .filter(|s| s.concurrent)
        .map(|s| s.id)
        .collect();
    assert_eq!(concurrent, [2, 3]);
    // several sessions without the flag
    let (s1, r1) = pap(30);
    let (s2, r2) = pap(31);
    let f = connection(
        40000,
        49,
        (1, 2),
        &[(true, s1), (false, r1), (true, s2), (false, r2)],
    );
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(a.connections[0].single_connect.unwrap().sessions, 2);
    assert!(codes(&a).contains(&"single-connect-not-negotiated"));
}

#[test]
fn seq_gaps_duplicates_and_replies_to_unknown_sessions_are_flagged() {
    let ask = |seq, sid| pdu_keyed(1, seq, 0, sid, KEY, &authen_reply(4, 0, b"Username: "));
    let cont = |seq, sid| pdu_keyed(1, seq, 0, sid, KEY, &authen_continue(b"alice", 0));
    let start = |sid| pdu_keyed(1, 1, 0, sid, KEY, &[1, 1, 1, 1, 0, 0, 0, 0]);
    let stream = [
        start(1),
        ask(2, 1),
        cont(5, 1), // gap: 3 and 4 missing
        cont(5, 1), // duplicate
        ask(2, 99), // a reply in a session never started
    ];
    let text: String = stream
        .iter()
        .map(|p| casplus::codec::hex::encode(p) + "\n")
        .collect();
    let a = capture::analyze(text.as_bytes(), &keyed());
    assert_eq!(a.format.form, InputFormat::Hex);
    let c = codes(&a);
    assert!(c.contains(&"session-seq-gap"), "{c:?}");
    assert!(c.contains(&"session-seq-duplicate"), "{c:?}");
    assert!(c.contains(&"reply-to-unknown-session"), "{c:?}");
    assert_eq!(a.sessions.len(), 2);
    assert_eq!(a.sessions[0].steps.len(), 4);
}

#[test]
fn the_key_that_decodes_each_connection_consistently_is_reported() {
    let (s1, r1) = pap(40);
    let f = connection(40000, 49, (1, 2), &[(true, s1), (false, r1)]);
    let cap = pcap(&f);
    let keys = vec![
        Key::from_text("nope"),
        Key::new(KEY),
        Key::from_text("other"),
    ];
    let a = capture::analyze(
        &cap,
        &Options {
            keys,
            ..Options::default()
        },
    );
    assert_eq!(a.connections[0].keys_ok, [1]);
    assert_eq!(a.keys_ok, [1]);
    assert!(a.pdus.iter().all(|p| p.key_index == Some(1)));
    // decoding one PDU later with the same keys gives the same verdict
    let again = Options {
        keys: vec![Key::from_text("nope"), Key::new(KEY)],
        ..Options::default()
    };
    assert_eq!(
        capture::decode(&a.pdus[0], &again).unwrap().key_index,
        Some(1)
    );
    // only wrong keys
    let a = capture::analyze(
        &cap,
        &Options {
            keys: vec![Key::from_text("nope")],
            ..Options::default()
        },
    );
    assert!(a.connections[0].keys_ok.is_empty());
    assert!(codes(&a).contains(&"key-none-fits"));
    assert!(
        a.pdus[0].summary.ends_with("(wrong key?)"),
        "{}",
        a.pdus[0].summary
    );
    // no key at all
    let a = capture::analyze(&cap, &Options::default());
    assert!(codes(&a).contains(&"key-missing"));
    assert_eq!(&*a.pdus[0].summary, "AUTHEN START (obfuscated: no key)");
}

#[test]
fn json_keeps_the_codec_schema_inside_and_capture_fields_around() {
    let (s1, r1) = pap(50);
    let f = connection(40000, 49, (1, 2), &[(true, s1), (false, r1)]);
    let a = capture::analyze(
        &pcap(&f),
        &Options {
            keep_decoded: true,
            ..keyed()
        },
    );
    let v = serde_json::to_value(&a).unwrap();
    let p = &v["pdus"][0];
    assert_eq!(p["decoded"]["body"]["kind"], "authen_start");
    assert_eq!(p["decoded"]["body"]["user"], "alice");
    assert_eq!(p["decoded"]["key_index"], 0);
    assert_eq!(p["summary"], "AUTHEN START login pap user=alice");
    assert_eq!(p["frame"], 4);
    assert_eq!(p["direction"], "to_server");
    assert_eq!(v["connections"][0]["client"]["ip"], "10.0.0.1");
    assert_eq!(v["format"]["form"], "pcap");
    assert_eq!(v["sessions"][0]["type"], "AUTHEN");
    // the key never appears
    assert!(!v.to_string().contains("s3cret"));
}

#[test]
fn pdu_lines_are_the_codec_json_plus_frame_time_endpoints_and_connection() {
    let (s1, r1) = pap(60);
    let f = connection(40000, 49, (1, 2), &[(true, s1), (false, r1)]);
    let input = pcap(&f);
    let a = capture::analyze(&input, &keyed());
    let lines: Vec<serde_json::Value> = a
        .pdu_lines(&keyed())
        .map(|l| serde_json::to_value(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let l = &lines[1];
    // the codec's schema (issue 2)
    for k in [
        "offset",
        "direction",
        "header",
        "key_index",
        "body_clear_hex",
        "body",
        "diagnostics",
    ] {
        assert!(l.get(k).is_some(), "{k} missing: {l}");
    }
    assert_eq!(l["body"]["kind"], "authen_reply");
    assert_eq!(l["body"]["status"], "PASS");
    // and the capture's
    assert_eq!(l["frame"], 6);
    assert_eq!(l["src"], "10.0.0.2:49");
    assert_eq!(l["dst"], "10.0.0.1:40000");
    assert_eq!(l["conn"], 0);
    assert_eq!(l["time"], "2023-11-14T22:13:20.005000000Z");
    let at = l["input_offset"].as_u64().unwrap() as usize;
    assert_eq!(
        input[at], 0xc1,
        "input_offset points at the header's first byte"
    );
}

#[test]
fn extra_tacacs_ports_are_trusted_like_49() {
    // a first PDU that a probe rejects (type 9, an unknown packet type) on port 8049
    let odd = pdu_raw(9, 1, 1, 5, &[0; 8]);
    let f = connection(40000, 8049, (1, 2), &[(true, odd)]);
    let a = capture::analyze(&pcap(&f), &keyed());
    assert_eq!(a.connections[0].kind, ConnectionKind::Other);
    let opts = Options {
        ports: vec![49, 8049],
        ..keyed()
    };
    let a = capture::analyze(&pcap(&f), &opts);
    assert_eq!(a.connections[0].kind, ConnectionKind::Tacacs);
    assert_eq!(a.connections[0].role_basis, RoleBasis::SeqParityAndPort);
    assert!(
        a.pdus[0]
            .codec_diagnostics
            .iter()
            .any(|d| d.code == "unknown-type")
    );
}
