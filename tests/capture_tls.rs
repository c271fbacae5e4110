//! TACACS+ over TLS 1.3 (RFC 9887) in captures, against captures made by a real TLS stack
//! (tests/vectors/tls/generate.py: OpenSSL through Python `ssl`, one capture per cipher suite,
//! with the key log OpenSSL wrote; tls13-single-connect from bench/tls_capture.py, OpenSSL as
//! both ends). The expected PDUs are the generator's, never casplus's;
//! `make test-interop` also checks that tshark decrypts the same bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::atomic::{AtomicUsize, Ordering};

use casplus::capture::tls::{CipherSuite, KeyLog, RUST_CRYPTO, RecordProtection};
use casplus::capture::{self, Analysis, ConnectionKind, Options, codes};
use casplus::tacacs::{self, BodyState, Direction, Key};

const SUITES: [(&str, CipherSuite); 3] = [
    ("aes128gcm", CipherSuite::AES_128_GCM_SHA256),
    ("aes256gcm", CipherSuite::AES_256_GCM_SHA384),
    ("chacha20", CipherSuite::CHACHA20_POLY1305_SHA256),
];

mod support {
    pub mod vectors;
}

fn vector(name: &str) -> Vec<u8> {
    support::vectors::read("tls", name)
}

fn analyze(suite: &str, keylog: &[u8]) -> Analysis {
    let (keylog, errors) = KeyLog::parse(keylog);
    assert_eq!(errors, []);
    capture::analyze(
        &vector(&format!("tls13-{suite}.pcap")),
        &Options {
            keylog,
            ..Options::default()
        },
    )
}

fn codes_of(a: &Analysis) -> Vec<&'static str> {
    a.diagnostics.iter().map(|d| d.code).collect()
}

/// The generator's three sessions (RFC 8907 §5, §6, §7), unobfuscated as RFC 9887 requires.
const SUMMARIES: [&str; 6] = [
    "AUTHEN START login pap user=alice",
    "AUTHEN REPLY PASS \"welcome\"",
    "AUTHOR REQUEST service=shell cmd=",
    "AUTHOR RESPONSE PASS_ADD priv-lvl=15",
    "ACCT START",
    "ACCT REPLY SUCCESS",
];

#[test]
fn tls13_captures_decrypt_with_the_key_log_and_decode_like_plain_tacacs_rfc9887() {
    for (name, suite) in SUITES {
        let a = analyze(name, &vector(&format!("tls13-{name}.keys")));
        assert_eq!(a.pdus.len(), 6, "{name}: {:?}", a.diagnostics);
        let mut summaries: Vec<&str> = a.pdus.iter().map(|p| &*p.summary).collect();
        summaries.sort_unstable();
        let mut want = SUMMARIES.to_vec();
        want.sort_unstable();
        for (got, want) in summaries.iter().zip(&want) {
            assert!(got.starts_with(want), "{name}: {got} vs {want}");
        }
        assert_eq!(a.sessions.len(), 3, "{name}");
        for p in &a.pdus {
            assert_eq!(p.body_state, BodyState::Clear, "{name}: {}", p.summary);
            assert!(p.complete);
            assert_eq!(p.header.flags & 1, 1, "RFC 9887: UNENCRYPTED flag set");
            let want = if p.header.seq_no % 2 == 1 {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            };
            assert_eq!(p.direction, want);
        }
        let c = &a.connections[0];
        assert_eq!(c.kind, ConnectionKind::TacacsTls);
        assert_eq!(c.server.port, 300);
        let t = c.tls.as_deref().unwrap();
        assert_eq!(t.version, Some(0x0304));
        assert_eq!(t.cipher_suite, Some(suite));
        assert_eq!(t.sni.as_deref(), Some("tacacs.example"));
        assert_eq!(t.alpn, ["tacacs"]);
        assert_eq!(t.opaque_reason, None);
        // every request and reply, byte for byte: 2250 bytes to the server, 72 back
        assert_eq!(t.decrypted, [2250, 72], "{name}");
        assert!(codes_of(&a).contains(&codes::TLS_DECRYPTED));
        assert!(!codes_of(&a).contains(&codes::TLS_NOT_DECODABLE));
    }
}

#[test]
fn spans_point_into_the_decrypted_stream_and_segments_at_the_records_in_the_capture() {
    let a = analyze("aes128gcm", &vector("tls13-aes128gcm.keys"));
    let to_server: Vec<_> = a
        .pdus
        .iter()
        .filter(|p| p.direction == Direction::ClientToServer)
        .collect();
    // the requests follow each other in the decrypted stream, from offset 0
    let mut at = 0;
    for p in &to_server {
        assert_eq!(p.stream_span.start, at);
        at = p.stream_span.end;
        assert_eq!(p.stream_span.end - p.stream_span.start, p.wire.len());
    }
    assert_eq!(at, 2250);
    // the accounting request was written as two TLS records (100 bytes, then the rest)
    let acct = to_server.iter().find(|p| p.header.kind == 3).unwrap();
    assert!(acct.segments.len() >= 2, "{:?}", acct.segments);
    assert_eq!(acct.segments[0].pdu_offset, 0);
    assert_eq!(acct.segments[1].pdu_offset, 100);
    let pcap = vector("tls13-aes128gcm.pcap");
    for s in acct.segments.iter() {
        // each segment starts at a TLS application_data record header in the capture
        let rec = &pcap[s.input.start..s.input.start + 3];
        assert_eq!(rec, [0x17, 0x03, 0x03], "{s:?}");
        assert!(s.frame >= acct.frame && s.frame <= acct.last_frame);
    }
}

#[test]
fn without_a_key_log_the_handshake_is_shown_and_the_reason_given() {
    let a = analyze("chacha20", b"");
    assert!(a.pdus.is_empty());
    let c = &a.connections[0];
    assert_eq!(c.kind, ConnectionKind::TacacsTls);
    let t = c.tls.as_deref().unwrap();
    assert_eq!(t.cipher_suite, Some(CipherSuite::CHACHA20_POLY1305_SHA256));
    assert_eq!(t.sni.as_deref(), Some("tacacs.example"));
    assert_eq!(t.decrypted, [0, 0]);
    let why = t.opaque_reason.as_deref().unwrap();
    assert!(why.contains("key log"), "{why}");
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == codes::TLS_NOT_DECODABLE)
        .unwrap();
    assert!(d.message.contains("SSLKEYLOGFILE"), "{}", d.message);
}

#[test]
fn a_key_log_of_another_connection_says_so() {
    // the AES-128 capture's secrets do not name the ChaCha20 capture's ClientHello
    let a = analyze("chacha20", &vector("tls13-aes128gcm.keys"));
    assert!(a.pdus.is_empty());
    let t = a.connections[0].tls.as_deref().unwrap();
    assert!(
        t.opaque_reason
            .as_deref()
            .unwrap()
            .contains("no line for this connection")
    );
}

#[test]
fn a_wrong_traffic_secret_is_a_diagnostic_per_direction_not_a_crash() {
    let keys = String::from_utf8(vector("tls13-aes256gcm.keys")).unwrap();
    // flip the first hex digit of the client's application secret
    let bad: String = keys
        .lines()
        .map(|l| {
            if l.starts_with("CLIENT_TRAFFIC_SECRET_0 ") {
                let (head, secret) = l.rsplit_once(' ').unwrap();
                let flipped = if secret.starts_with('0') { "1" } else { "0" };
                format!("{head} {flipped}{}\n", &secret[1..])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let a = analyze("aes256gcm", bad.as_bytes());
    // the server's replies still decrypt; the client's requests do not
    assert_eq!(a.pdus.len(), 3, "{:?}", a.diagnostics);
    assert!(
        a.pdus
            .iter()
            .all(|p| p.direction == Direction::ServerToClient)
    );
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == codes::TLS_DECRYPT_FAILED)
        .unwrap();
    assert!(
        d.message.contains("CLIENT_TRAFFIC_SECRET_0"),
        "{}",
        d.message
    );
    assert_eq!(a.connections[0].tls.as_deref().unwrap().decrypted, [0, 72]);
}

#[test]
fn a_truncated_tls_capture_never_panics_and_reports_the_cut_record() {
    let pcap = vector("tls13-aes128gcm.pcap");
    let keys = vector("tls13-aes128gcm.keys");
    let (keylog, _) = KeyLog::parse(&keys);
    let opts = Options {
        keylog,
        ..Options::default()
    };
    for cut in (0..pcap.len()).step_by(37) {
        let a = capture::analyze(&pcap[..cut], &opts);
        assert!(a.pdus.len() <= 6);
    }
    // cut inside the big accounting request's second record
    let a = capture::analyze(&pcap[..pcap.len() - 500], &opts);
    assert!(
        codes_of(&a).contains(&codes::TLS_RECORD_INCOMPLETE),
        "{:?}",
        codes_of(&a)
    );
}

#[test]
fn inside_tls_the_unencrypted_flag_is_the_rule_and_obfuscation_is_flagged_rfc9887() {
    // the clear PDUs of a well-behaved connection carry no `unencrypted` finding
    let a = analyze("aes128gcm", &vector("tls13-aes128gcm.keys"));
    for p in &a.pdus {
        assert!(p.tls);
        let d = capture::decode(p, &Options::default()).unwrap();
        assert!(
            d.diagnostics
                .iter()
                .all(|d| d.code != tacacs::codes::UNENCRYPTED),
            "{:?}",
            d.diagnostics
        );
    }
    // a client that obfuscates its AUTHEN START inside TLS (the generator's "obfuscated" run)
    let (keylog, _) = KeyLog::parse(&vector("tls13-obfuscated.keys"));
    let opts = Options {
        keylog,
        keys: vec![Key::from_text("tls-key")],
        ..Options::default()
    };
    let a = capture::analyze(&vector("tls13-obfuscated.pcap"), &opts);
    assert_eq!(a.pdus.len(), 6);
    let start = a.pdus.iter().find(|p| p.header.flags & 1 == 0).unwrap();
    assert_eq!(start.body_state, BodyState::Deobfuscated);
    assert!(
        start
            .summary
            .starts_with("AUTHEN START login pap user=alice")
    );
    let codes: Vec<&str> = start.codec_diagnostics.iter().map(|d| d.code).collect();
    assert!(
        codes.contains(&tacacs::codes::OBFUSCATED_OVER_TLS),
        "{codes:?}"
    );
    let d = capture::decode(start, &opts).unwrap();
    assert!(d.validate().is_err(), "a strict peer refuses it");
}

#[test]
fn corrupted_tls_records_are_diagnostics_never_panics() {
    let pcap = vector("tls13-chacha20.pcap");
    let (keylog, _) = KeyLog::parse(&vector("tls13-chacha20.keys"));
    let opts = Options {
        keylog,
        ..Options::default()
    };
    // flip one byte at a time across the whole capture (headers, records, tags)
    for i in (0..pcap.len()).step_by(11) {
        let mut bad = pcap.clone();
        bad[i] ^= 0x5a;
        let a = capture::analyze(&bad, &opts);
        assert!(a.pdus.len() <= 6, "byte {i}");
    }
    // a flipped ciphertext byte in the client's first application record: that record fails
    // authentication (RFC 8446 §5.2) and the direction stops there, with a diagnostic
    let a0 = capture::analyze(&pcap, &opts);
    let first = a0
        .pdus
        .iter()
        .find(|p| p.direction == Direction::ClientToServer)
        .unwrap();
    let mut bad = pcap.clone();
    bad[first.segments[0].input.start + 10] ^= 1;
    let a = capture::analyze(&bad, &opts);
    assert!(
        a.diagnostics
            .iter()
            .any(|d| d.code == codes::TLS_DECRYPT_FAILED && d.frame == Some(first.frame)),
        "{:?}",
        a.diagnostics
    );
}

#[test]
fn key_updates_are_followed_rfc8446_4_6_3() {
    // OpenSSL s_client asked for a KeyUpdate both ways after the first session, then updated
    // its own key again after the second: three new secrets (RFC 8446 §7.2)
    let a = analyze("keyupdate", &vector("tls13-keyupdate.keys"));
    assert_eq!(a.pdus.len(), 6, "{:?}", a.diagnostics);
    let t = a.connections[0].tls.as_deref().unwrap();
    assert_eq!(t.key_updates, 3);
    assert_eq!(t.decrypted, [2250, 72]);
    assert_eq!(t.cipher_suite, Some(CipherSuite::AES_256_GCM_SHA384));
    // the client's close_notify (RFC 8446 §6.1) is encrypted: seen only decrypted
    assert!(
        t.alerts
            .iter()
            .any(|x| x.from_client && x.decrypted && x.name() == Some("close_notify"))
    );
}

/// The analysis holds no crypto of its own: without a [`RecordProtection`] a connection the key
/// log could decrypt says so (the inspector then loads its TLS module and analyses again), and
/// only then — a capture the key log cannot open, or no key log, does not ask for it.
#[test]
fn without_record_protection_a_decryptable_connection_asks_for_it() {
    let opts = |keys: &str| Options {
        keylog: KeyLog::parse(&vector(keys)).0,
        tls: None,
        ..Options::default()
    };
    let a = capture::analyze(
        &vector("tls13-aes256gcm.pcap"),
        &opts("tls13-aes256gcm.keys"),
    );
    assert!(a.pdus.is_empty());
    assert!(
        codes_of(&a).contains(&codes::TLS_NO_DECRYPTION),
        "{:?}",
        codes_of(&a)
    );
    assert!(!codes_of(&a).contains(&codes::TLS_DECRYPTED));
    let t = a.connections[0].tls.as_deref().unwrap();
    assert_eq!(t.cipher_suite, Some(CipherSuite::AES_256_GCM_SHA384));
    assert!(
        t.opaque_reason
            .as_deref()
            .unwrap()
            .contains("without TLS decryption")
    );
    // another connection's key log, or none: nothing to load a TLS module for
    let other = capture::analyze(
        &vector("tls13-aes256gcm.pcap"),
        &opts("tls13-aes128gcm.keys"),
    );
    let none = capture::analyze(
        &vector("tls13-aes256gcm.pcap"),
        &Options {
            tls: None,
            ..Options::default()
        },
    );
    for a in [other, none] {
        assert!(
            !codes_of(&a).contains(&codes::TLS_NO_DECRYPTION),
            "{:?}",
            codes_of(&a)
        );
    }
}

static OPENED: AtomicUsize = AtomicUsize::new(0);

/// The records are opened by the [`RecordProtection`] given in the options (RFC 8446 §5.2:
/// one AEAD-Decrypt per protected record), as the inspector's TLS module does through JS.
#[test]
fn records_are_opened_by_the_given_record_protection_rfc8446_5_2() {
    let counting = RecordProtection {
        name: "counting",
        expand_label: RUST_CRYPTO.expand_label,
        open: |suite, key, nonce, aad, body| {
            OPENED.fetch_add(1, Ordering::Relaxed);
            (RUST_CRYPTO.open)(suite, key, nonce, aad, body)
        },
    };
    let a = capture::analyze(
        &vector("tls13-chacha20.pcap"),
        &Options {
            keylog: KeyLog::parse(&vector("tls13-chacha20.keys")).0,
            tls: Some(counting),
            ..Options::default()
        },
    );
    assert_eq!(a.pdus.len(), 6, "{:?}", a.diagnostics);
    assert!(codes_of(&a).contains(&codes::TLS_DECRYPTED));
    // handshake records, the requests and replies (the accounting request in two records), alerts
    assert!(
        OPENED.load(Ordering::Relaxed) >= 8,
        "{}",
        OPENED.load(Ordering::Relaxed)
    );
}

/// A TLS connection in Single Connection Mode (RFC 8907 §4.3: the client asks in its first
/// packet, the server agrees in its first reply, then the client opens more sessions), made by
/// OpenSSL through Python `ssl` (bench/tls_capture.py, 1 connection of 5 sessions): the PDUs
/// decrypted from both directions are listed in capture order, as a plain connection's are, so
/// the reply that agrees comes before the second session and nothing is flagged.
#[test]
fn tls_pdus_are_in_capture_order_so_single_connect_is_agreed_before_the_next_session_4_3() {
    let (keylog, errors) = KeyLog::parse(&vector("tls13-single-connect.keys"));
    assert_eq!(errors, []);
    let a = capture::analyze(
        &vector("tls13-single-connect.pcap"),
        &Options {
            keylog,
            ..Options::default()
        },
    );
    assert_eq!(a.pdus.len(), 10, "{:?}", codes_of(&a));
    assert_eq!(a.sessions.len(), 5);
    let frames: Vec<u32> = a.pdus.iter().map(|p| p.last_frame).collect();
    assert!(frames.is_sorted(), "capture order: {frames:?}");
    let seq: Vec<u8> = a.pdus.iter().map(|p| p.header.seq_no).collect();
    assert_eq!(seq, [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    assert!(a.pdus.iter().all(|p| p.tls && p.header.flags & 0x04 != 0));
    assert!(
        !codes_of(&a).contains(&codes::SESSION_BEFORE_SINGLE_CONNECT),
        "{:?}",
        a.diagnostics
    );
}
