//! `casplus decode` output, byte for byte, against files in tests/golden/decode made by the
//! tree writer before it was rewritten for speed (issue 18): the tree of every known-answer
//! vector (RFC 8907 §5–§7 bodies, tests/vectors) and of the captures in tests/vectors, the
//! `--summary` lines, and TLS 1.3 captures decrypted with their key logs (RFC 9887).
//!
//! `GOLDEN_UPDATE=1 cargo test --test cli_golden` rewrites the files (review the diff).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `casplus ARGS` with `stdin`; its standard output (it must succeed).
fn casplus(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casplus"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "casplus {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn check(name: &str, got: &[u8]) {
    let path: PathBuf = root().join("tests/golden/decode").join(name);
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if want != got {
        let (w, g) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
        let line = w
            .lines()
            .zip(g.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| w.lines().count().min(g.lines().count()));
        panic!(
            "{name} differs from the golden file at line {}:\n want: {:?}\n  got: {:?}",
            line + 1,
            w.lines().nth(line),
            g.lines().nth(line)
        );
    }
}

/// Every vector of tests/vectors/*.json decoded on its own with its key, as a tree.
#[test]
fn tree_of_every_known_answer_vector_is_unchanged_rfc8907_5_to_7() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut n = 0;
    for f in files {
        let doc: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        for v in doc["vectors"].as_array().unwrap() {
            let hex = v["pdu_hex"].as_str().unwrap();
            writeln!(out, "== {} ==", v["name"].as_str().unwrap()).unwrap();
            out.extend(casplus(
                &["decode", "--key-hex", v["key_hex"].as_str().unwrap()],
                hex.as_bytes(),
            ));
            // the same bytes without a key: obfuscated bodies shown as such
            writeln!(out, "-- no key --").unwrap();
            out.extend(casplus(&["decode"], hex.as_bytes()));
            n += 1;
        }
    }
    assert!(n >= 40, "only {n} vectors");
    check("vectors.txt", &out);
}

const CAPTURES: &[(&str, &[&str])] = &[
    (
        "login",
        &["--key", "tac_plus_key", "tests/vectors/capture/login.pcap"],
    ),
    (
        "messy",
        &["--key", "tac_plus_key", "tests/vectors/capture/messy.pcap"],
    ),
    (
        "diagnostics",
        &[
            "--key",
            "tac_plus_key",
            "tests/vectors/capture/diagnostics.pcap",
        ],
    ),
    (
        "handmade",
        &[
            "--key",
            "tac_plus_key",
            "tests/vectors/capture/handmade.pcapng",
        ],
    ),
    (
        "single-connect",
        &[
            "--key",
            "tac_plus_key",
            "tests/vectors/capture/single-connect.pcap",
        ],
    ),
    (
        "peer-keys",
        &[
            "--key",
            "tac_plus_key",
            "tests/vectors/capture/peer-keys.pcap",
        ],
    ),
    ("login-nokey", &["tests/vectors/capture/login.pcap"]),
    (
        "tls13-keyupdate",
        &[
            "--keylog",
            "tests/vectors/tls/tls13-keyupdate.keys",
            "tests/vectors/tls/tls13-keyupdate.pcap",
        ],
    ),
    (
        "tls13-obfuscated",
        &[
            "--key",
            "tls-key",
            "--keylog",
            "tests/vectors/tls/tls13-obfuscated.keys",
            "tests/vectors/tls/tls13-obfuscated.pcap",
        ],
    ),
    (
        "tls13-single-connect",
        &[
            "--keylog",
            "tests/vectors/tls/tls13-single-connect.keys",
            "tests/vectors/tls/tls13-single-connect.pcap",
        ],
    ),
    ("tls13-nokeylog", &["tests/vectors/tls/tls13-chacha20.pcap"]),
];

/// Captures (TCP reassembly, sessions, diagnostics; TLS 1.3 decrypted with the key log, RFC
/// 9887) as a tree and as `--summary` lines.
#[test]
fn tree_and_summary_of_captures_are_unchanged() {
    for (name, args) in CAPTURES {
        let mut a = vec!["decode"];
        a.extend_from_slice(args);
        check(&format!("{name}.tree.txt"), &casplus(&a, b""));
        a.insert(1, "--summary");
        check(&format!("{name}.summary.txt"), &casplus(&a, b""));
    }
}
