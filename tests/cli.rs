//! The `casplus` binary, run as a user would (issue 2 §3: `casplus decode`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Runs `casplus ARGS` with `stdin` as standard input.
fn casplus(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_casplus"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The process may exit before reading (usage errors): a broken pipe is fine then.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A vector from tests/vectors (independently produced, see tests/vectors/README.md).
fn vector(kind: &str, name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/vectors/{kind}.json"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap()
        .clone()
}

fn unhex(s: &str) -> Vec<u8> {
    casplus::codec::hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s}: {e:?}"))
}

fn temp_file(name: &str, data: &[u8]) -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&p, data).unwrap();
    p
}

fn assert_failed(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one-line reason, got {err:?}");
    assert!(err.starts_with("casplus: "), "{err:?}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err:?}");
}

// ---- acceptance -------------------------------------------------------------------------

#[test]
fn decode_json_of_a_hex_pap_start_prints_its_fields_5_4_2_2() {
    let v = vector("authen_start", "authen_start_pap_k8");
    let hex = v["pdu_hex"].as_str().unwrap();
    let o = casplus(
        &["decode", "--json", "--key", "s3cr3t!!"],
        format!("{hex}\n").as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1);
    let pdu = &lines[0];
    let body = &pdu["body"];
    assert_eq!(body["kind"], "authen_start");
    assert_eq!(body["authen_type"], "PAP");
    assert_eq!(body["user"], "alice");
    assert_eq!(body["port"], "tty1");
    assert_eq!(body["rem_addr"], "203.0.113.5");
    assert_eq!(body["data"], "correct horse");
    assert_eq!(pdu["body_clear_hex"], v["expected"]["body_clear_hex"]);
    assert_eq!(pdu["key_index"], 0);
    assert_eq!(pdu["offset"], 0);
    assert_eq!(pdu["direction"], "client_to_server");
    assert_eq!(pdu["header"]["major"], 12);
    assert_eq!(pdu["header"]["minor"], 1);
    assert_eq!(pdu["header"]["type"], "AUTHEN");
    assert_eq!(pdu["header"]["seq_no"], 1);
    assert_eq!(pdu["header"]["session_id"], 0x5EED_0001);
    assert_eq!(pdu["header"]["length"], v["expected"]["header"]["length"]);
    assert_eq!(pdu["diagnostics"], Value::Array(vec![]));
}

#[test]
fn bad_input_gives_a_clear_one_line_error() {
    assert_failed(
        &casplus(&["decode"], b"c0 01 zz"),
        1,
        "invalid character 'z'",
    );
    assert_failed(
        &casplus(&["decode"], b"c0 01 0"),
        1,
        "odd number of hex digits",
    );
    assert_failed(&casplus(&["decode"], b""), 1, "input is empty");
    assert_failed(
        &casplus(&["decode"], b"# only a comment\n"),
        1,
        "no hex digits",
    );
    assert_failed(
        &casplus(&["decode", "/nonexistent/pdu.hex"], b""),
        1,
        "cannot read",
    );
}

// ---- input formats ----------------------------------------------------------------------

#[test]
fn hex_layouts_and_raw_bytes_decode_alike() {
    let v = vector("authen_reply", "authen_reply_getpass_noecho_k8");
    let hex = v["pdu_hex"].as_str().unwrap();
    let bytes = unhex(hex);
    let spaced: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    let colons = spaced.join(":");
    let prefixed: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
    let layouts = [
        hex.to_string(),
        spaced.join(" "),
        colons,
        prefixed.join(", "),
        format!("# GETPASS reply\n{}\n{}  # rest\n", &hex[..24], &hex[24..]),
    ];
    let reference = casplus(&["decode", "--json", "-k", "s3cr3t!!"], hex.as_bytes());
    assert!(reference.status.success());
    assert_eq!(
        json_lines(&reference)[0]["body"]["server_msg"],
        "Password: "
    );
    assert_eq!(
        json_lines(&reference)[0]["body"]["flags"],
        serde_json::json!(["NOECHO"])
    );
    for text in layouts {
        let o = casplus(&["decode", "--json", "-k", "s3cr3t!!"], text.as_bytes());
        assert!(o.status.success(), "{text:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), stdout(&reference), "{text:?}");
    }
    // Raw bytes, from a file and from standard input via `-`.
    let file = temp_file("getpass.bin", &bytes);
    let o = casplus(
        &["decode", "--json", "-k", "s3cr3t!!", file.to_str().unwrap()],
        b"",
    );
    assert_eq!(stdout(&o), stdout(&reference));
    let o = casplus(&["decode", "--json", "-k", "s3cr3t!!", "-"], &bytes);
    assert_eq!(stdout(&o), stdout(&reference));
}

#[test]
fn several_pdus_give_one_json_line_each_with_offsets() {
    let start = vector("authen_start", "authen_start_ascii_login_k8");
    let reply = vector("authen_reply", "authen_reply_getpass_noecho_k8");
    let cont = vector("authen_continue", "authen_continue_password_k8");
    let mut text = String::new();
    let mut offsets: Vec<u64> = Vec::new();
    let mut at = 0u64;
    for v in [&start, &reply, &cont] {
        let h = v["pdu_hex"].as_str().unwrap();
        offsets.push(at);
        at += h.len() as u64 / 2;
        text.push_str(h);
        text.push('\n');
    }
    let o = casplus(&["decode", "--json", "--key", "s3cr3t!!"], text.as_bytes());
    assert!(o.status.success());
    let lines = json_lines(&o);
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l["body"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["authen_start", "authen_reply", "authen_continue"]);
    let got: Vec<u64> = lines
        .iter()
        .map(|l| l["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(got, offsets);
    assert_eq!(lines[2]["body"]["user_msg"], "hunter2");
}

#[test]
fn binary_keys_are_given_in_hex_and_the_matching_one_is_reported_4_5() {
    let v = vector("authen_start", "authen_start_chap_bin");
    let o = casplus(
        &[
            "decode",
            "--json",
            "--key",
            "wrong",
            "--key-hex",
            v["key_hex"].as_str().unwrap(),
        ],
        v["pdu_hex"].as_str().unwrap().as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let pdu = &json_lines(&o)[0];
    assert_eq!(pdu["key_index"], 1);
    assert_eq!(pdu["body"]["authen_type"], "CHAP");
    assert_eq!(pdu["body"]["chap"]["id"], 0x2a);
    assert_eq!(
        pdu["body"]["chap"]["challenge_hex"],
        "30313233343536373839616263646566"
    );
}

#[test]
fn keys_can_come_from_a_file_one_per_line_4_5() {
    let v = vector("authen_start", "authen_start_pap_k70");
    let keys = temp_file(
        "keys.txt",
        b"first-wrong-key\r\n\n"
            .iter()
            .chain(v["key"].as_str().unwrap().as_bytes())
            .chain(b"\n")
            .copied()
            .collect::<Vec<u8>>()
            .as_slice(),
    );
    let o = casplus(
        &["decode", "--json", "--key-file", keys.to_str().unwrap()],
        v["pdu_hex"].as_str().unwrap().as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let pdu = &json_lines(&o)[0];
    assert_eq!(pdu["key_index"], 1);
    assert_eq!(pdu["body"]["data"], "hunter2");
    assert_failed(
        &casplus(&["decode", "--key-file", "/nonexistent/keys"], b""),
        1,
        "cannot read key file",
    );
    let empty = temp_file("empty-keys.txt", b"\n\n");
    assert_failed(
        &casplus(&["decode", "--key-file", empty.to_str().unwrap()], b""),
        2,
        "no key",
    );
}

// ---- diagnostics are output, not failures -----------------------------------------------

#[test]
fn wrong_key_is_a_diagnostic_and_exit_0_4_5() {
    let v = vector("authen_start", "authen_start_pap_k8");
    let hex = v["pdu_hex"].as_str().unwrap();
    let o = casplus(&["decode", "--json", "--key", "nope"], hex.as_bytes());
    assert!(o.status.success());
    let pdu = &json_lines(&o)[0];
    assert_eq!(pdu["body_state"], "wrong_key");
    assert_eq!(pdu["key_index"], Value::Null);
    let d = pdu["diagnostics"].as_array().unwrap();
    assert!(d.iter().any(|d| {
        d["code"] == "wrong-key"
            && d["message"]
                .as_str()
                .unwrap()
                .contains("probably wrong key")
            && d["offset"] == 12
    }));
    let tree = casplus(&["decode", "--key", "nope"], hex.as_bytes());
    assert!(tree.status.success());
    assert!(
        stdout(&tree).contains("probably wrong key"),
        "{}",
        stdout(&tree)
    );
}

#[test]
fn truncated_and_oversized_pdus_are_reported_not_rejected_4_1() {
    let v = vector("authen_start", "authen_start_pap_k8");
    let hex = v["pdu_hex"].as_str().unwrap();
    // Cut 5 bytes off the body: "need 5 more bytes".
    let o = casplus(
        &["decode", "--json", "-k", "s3cr3t!!"],
        &hex.as_bytes()[..hex.len() - 10],
    );
    assert!(o.status.success());
    let pdu = &json_lines(&o)[0];
    assert_eq!(pdu["complete"], false);
    let d = &pdu["diagnostics"].as_array().unwrap();
    assert!(
        d.iter().any(|d| d["code"] == "truncated-body"
            && d["message"].as_str().unwrap().contains("need 5 more"))
    );
    // A length of 0xFFFFFFFF over the maximum: reported, not awaited, and cheap.
    let huge = "c001010100000001ffffffff";
    let o = casplus(&["decode", "--json"], huge.as_bytes());
    assert!(o.status.success());
    let d = json_lines(&o)[0]["diagnostics"].clone();
    assert!(
        d.as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "length-over-max"),
        "{d}"
    );
    // --max-length lowers the bar.
    let o = casplus(
        &["decode", "--json", "-k", "s3cr3t!!", "--max-length", "16"],
        hex.as_bytes(),
    );
    let d = json_lines(&o)[0]["diagnostics"].clone();
    assert!(
        d.as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "length-over-max"),
        "{d}"
    );
}

#[test]
fn raw_garbage_is_decoded_with_diagnostics_4_1() {
    // Raw (non-ASCII) bytes that are no TACACS+: still "read", so exit 0 with findings.
    let o = casplus(
        &["decode", "--json"],
        &[0x17, 0x03, 0x03, 0x00, 0x20, 0xff, 0xfe],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let pdu = &json_lines(&o)[0];
    assert_eq!(pdu["complete"], false);
    assert!(
        pdu["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "truncated-header")
    );
}

// ---- tree output ------------------------------------------------------------------------

#[test]
fn tree_output_names_every_field_with_its_bytes() {
    let v = vector("acct_request", "acct_request_stop_k70");
    let o = casplus(
        &["decode", "--key-hex", v["key_hex"].as_str().unwrap()],
        v["pdu_hex"].as_str().unwrap().as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "TACACS+ PDU #1: acct_request, client → server, offset 0",
        "type: ACCT (3)  [1..2)",
        "session_id: 0x6677889a (1719109786)  [4..8)",
        "Body: de-obfuscated with key #1",
        "flags: [STOP]  [12..13)",
        "user: \"alice\"",
        "[4]: \"bytes_out=654321\"",
        "elapsed_time: 3600",
        "stop_time: 2023-11-14T23:13:20Z",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
}

// ---- command line -----------------------------------------------------------------------

#[test]
fn help_and_version() {
    let o = casplus(&["--help"], b"");
    assert!(o.status.success());
    assert!(stdout(&o).contains("decode"));
    let o = casplus(&["decode", "--help"], b"");
    assert!(o.status.success());
    assert!(stdout(&o).contains("--key"));
    let o = casplus(&["--version"], b"");
    assert_eq!(
        stdout(&o),
        format!("casplus {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_failed(&casplus(&[], b""), 2, "a command is required");
    assert_failed(&casplus(&["frobnicate"], b""), 2, "unknown command");
    assert_failed(&casplus(&["decode", "--bogus"], b""), 2, "--bogus");
    assert_failed(
        &casplus(&["decode", "--max-length", "lots"], b""),
        2,
        "--max-length",
    );
    assert_failed(&casplus(&["decode", "--key"], b""), 2, "--key");
    assert_failed(
        &casplus(&["decode", "--key-hex", "xyz"], b""),
        2,
        "--key-hex",
    );
    assert_failed(&casplus(&["decode", "a", "b"], b""), 2, "one input file");
}

#[test]
fn hash_password_output_verifies_and_salts_differ() {
    use casplus::password::PasswordHash;
    let a = casplus(
        &["hash-password", "--iterations", "1000"],
        b"correct horse\n",
    );
    let b = casplus(
        &["hash-password", "--iterations", "1000"],
        b"correct horse\r\n",
    );
    assert!(a.status.success() && b.status.success(), "{}", stderr(&a));
    let (a, b) = (stdout(&a), stdout(&b));
    assert!(a.starts_with("$pbkdf2-sha256$i=1000$"), "{a}");
    assert_ne!(a, b, "a fresh random salt per hash");
    for phc in [a.trim(), b.trim()] {
        let h = PasswordHash::parse(phc).unwrap();
        assert!(h.verify("correct horse"));
        assert!(!h.verify("correct horse "));
    }
}

#[test]
fn hash_password_refuses_empty_input_and_bad_iterations() {
    assert_failed(&casplus(&["hash-password"], b""), 1, "no password");
    assert_failed(
        &casplus(&["hash-password", "--iterations", "10"], b"x\n"),
        2,
        "--iterations",
    );
}

fn capture_file(name: &str) -> String {
    format!(
        "{}/tests/vectors/capture/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn decode_reads_captures_in_every_form_with_the_same_pdus() {
    let mut seen: Option<Vec<(String, String, u64)>> = None;
    for file in [
        "login.pcap",
        "login.tcpdump-X.txt",
        "login.tshark-x.txt",
        "login.pcap.b64",
    ] {
        let o = casplus(
            &[
                "decode",
                "--json",
                "--key",
                "tac_plus_key",
                &capture_file(file),
            ],
            b"",
        );
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let lines = json_lines(&o);
        assert_eq!(lines.len(), 16, "{file}: 16 PDUs of the login capture");
        let got: Vec<_> = lines
            .iter()
            .map(|l| {
                assert_eq!(l["body_state"], "deobfuscated", "{file}");
                assert!(
                    l["frame"].as_u64().is_some() && l["src"].is_string(),
                    "{file}: {l}"
                );
                (
                    l["summary"].as_str().unwrap().to_owned(),
                    l["body_clear_hex"].as_str().unwrap().to_owned(),
                    l["header"]["session_id"].as_u64().unwrap(),
                )
            })
            .collect();
        assert!(got[0].0.starts_with("AUTHEN START"), "{file}: {:?}", got[0]);
        match &seen {
            None => seen = Some(got),
            Some(first) => assert_eq!(first, &got, "{file} decodes like login.pcap"),
        }
    }
}

#[test]
fn decode_tree_of_a_capture_lists_session_flows() {
    let o = casplus(
        &[
            "decode",
            "--key",
            "tac_plus_key",
            &capture_file("login.pcap"),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Capture: pcap"), "{out}");
    assert!(
        out.contains("AUTHOR RESPONSE PASS_ADD priv-lvl=15"),
        "{out}"
    );
    assert!(out.contains("→"), "addresses shown: {out}");
}

#[test]
fn decode_input_format_is_checked() {
    assert_failed(
        &casplus(&["decode", "--input-format", "nonsense"], b""),
        2,
        "--input-format",
    );
}

// ---- the JSON schema doc (docs/decode-json.md) -----------------------------------------------------

/// The first cell of every table row in `text` (without its backticks).
fn first_cells(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn owned(keys: &[&str]) -> Vec<String> {
    sorted(keys.iter().map(|k| (*k).to_owned()).collect())
}

/// The `--json` tables of docs/decode-json.md list exactly the keys of the schema the code defines
/// (`casplus::tacacs::json`), so the documentation cannot drift from the output.
#[test]
fn readme_json_schema_is_the_one_the_code_defines() {
    use casplus::tacacs::json;
    let section =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/decode-json.md"))
            .unwrap();
    let part = |from: &str, to: &str| {
        let a = section
            .find(from)
            .unwrap_or_else(|| panic!("docs/decode-json.md lacks {from:?}"));
        let rest = &section[a..];
        &rest[..rest
            .find(to)
            .unwrap_or_else(|| panic!("docs/decode-json.md lacks {to:?}"))]
    };
    assert_eq!(
        sorted(first_cells(part(
            "| key | type | meaning |",
            "**`header`**"
        ))),
        owned(json::PDU),
        "top-level keys"
    );
    assert_eq!(
        sorted(first_cells(part("**`header`**", "**`body`**"))),
        owned(json::HEADER),
        "header keys"
    );
    assert_eq!(
        sorted(first_cells(part("**`diagnostics`**", "Codes:"))),
        owned(json::DIAGNOSTIC),
        "diagnostic keys"
    );
    let kinds = part("| kind | RFC 8907 | fields |", "\n\n");
    let mut seen = Vec::new();
    for row in kinds.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let kind = cells[1].trim_matches('`');
        let fields: Vec<String> = cells[3]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        let want =
            json::body_fields(kind).unwrap_or_else(|| panic!("docs/decode-json.md kind {kind}"));
        assert_eq!(sorted(fields), owned(want), "fields of {kind}");
        seen.push(kind.to_owned());
    }
    let all: Vec<&str> = json::BODY.iter().map(|(k, _)| *k).collect();
    assert_eq!(sorted(seen), owned(&all), "body kinds");
}

// ---- --summary ---------------------------------------------------------------------------

#[test]
fn summary_is_one_line_per_pdu_in_frame_order_with_ends_session_and_seq() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/vectors/tls");
    let o = casplus(
        &[
            "decode",
            "--summary",
            "--keylog",
            dir.join("tls13-aes128gcm.keys").to_str().unwrap(),
            dir.join("tls13-aes128gcm.pcap").to_str().unwrap(),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    let frames: Vec<u32> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    let mut sorted = frames.clone();
    sorted.sort_unstable();
    assert_eq!(frames, sorted, "frame order: {out}");
    let first: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        &first[2..7],
        ["127.0.0.1:40300", "→", "127.0.0.1:300", "0x00001001", "1"],
        "{out}"
    );
    assert!(
        lines[0].contains("AUTHEN START login pap user=alice"),
        "{out}"
    );
    assert!(lines[0].ends_with("[TLS]"), "decrypted from TLS: {out}");
    assert!(
        lines[1].contains("127.0.0.1:300 → 127.0.0.1:40300  0x00001001   2  AUTHEN REPLY PASS"),
        "{out}"
    );
    assert!(!out.contains("Capture:"), "no tree, no session list: {out}");
}

#[test]
fn summary_of_raw_pdus_hides_continue_user_msg_and_excludes_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hex = root.join("docs/examples/tacacs-login.hex");
    let o = casplus(
        &[
            "decode",
            "--summary",
            "--key",
            "tac-test-key",
            hex.to_str().unwrap(),
        ],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("     1  -  -  0x6360d956   1  AUTHEN START login pap user=alice\n"),
        "{out}"
    );
    assert!(
        out.lines().count() >= 4 && !out.contains("alice-pw"),
        "{out}"
    );
    let o = casplus(&["decode", "--summary", "--json", "-"], b"");
    assert_failed(&o, 2, "--json and --summary");
}
