//! `casplus tacacs-server` over TLS 1.3 (RFC 9887) against a client that is not casplus:
//! Python's `ssl` module (OpenSSL) wrapping RFC 8907 PDUs built by hand
//! (`tests/tacacs/tls_client.py`). Certificates come from a throwaway CA made with the
//! `openssl` command for each test run. Every test starts its own server on 127.0.0.1 with
//! ephemeral ports and kills it when done; a missing tool FAILS the test (never skips).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

mod support {
    pub mod server_process;
}
use support::server_process::ServerProcess;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "casplus-tls-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the `openssl` command is required (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate,
/// made once per test binary.
fn pki() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = scratch("pki");
        openssl(
            &d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=casplus test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        for (name, cn, ext) in [
            (
                "server",
                "/CN=127.0.0.1",
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
            ),
            (
                "client",
                "/CN=device-1",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=clientAuth\n",
            ),
        ] {
            std::fs::write(
                d.join(format!("{name}.ext")),
                format!("basicConstraints=CA:FALSE\n{ext}"),
            )
            .unwrap();
            openssl(
                &d,
                &[
                    "req",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-subj",
                    cn,
                    "-keyout",
                    &format!("{name}.key"),
                    "-out",
                    &format!("{name}.csr"),
                ],
            );
            openssl(
                &d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-days",
                    "2",
                    "-extfile",
                    &format!("{name}.ext"),
                    "-out",
                    &format!("{name}.pem"),
                ],
            );
        }
        d
    })
}

/// A running `casplus tacacs-server` with a TLS listener (and maybe a plain one), killed
/// on drop.
struct Server {
    process: ServerProcess,
    plain: Option<u16>,
    tls: u16,
}

impl Server {
    /// Starts the server with `args`, waiting for its TLS listener (`plain`: and a plain
    /// one).
    fn start(args: &[&str], plain: bool, env: &[(&str, &Path)]) -> Self {
        let process = ServerProcess::spawn(args, env, |l| {
            l.iter().any(|l| l.tls) && (!plain || l.iter().any(|l| !l.tls))
        });
        Self {
            plain: process.port(false),
            tls: process.port(true).expect("a TLS listener"),
            process,
        }
    }

    /// Waits (up to 5 s) for a log line containing `needle`.
    fn wait_log(&self, needle: &str) -> String {
        self.process.wait_log(needle)
    }

    fn log_text(&self) -> String {
        self.process.log_text()
    }
}

fn pem(name: &str) -> String {
    pki().join(name).to_str().unwrap().to_owned()
}

/// The demo policy with the TLS listener on an ephemeral port.
fn start(client_ca: bool, env: &[(&str, &Path)]) -> Server {
    let (config, cert, key, ca) = (
        root().join("tests/tacacs/server.json"),
        pem("server.pem"),
        pem("server.key"),
        pem("ca.pem"),
    );
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--tls-listen",
        "127.0.0.1:0",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
    ];
    if client_ca {
        args.extend(["--tls-client-ca", &ca]);
    }
    Server::start(&args, false, env)
}

fn python() -> PathBuf {
    let p = root().join(".venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run `tests/tools/setup.sh python`",
        p.display()
    );
    p
}

/// One PAP authentication START over TLS by `tests/tacacs/tls_client.py`; its JSON verdict.
fn client(port: u16, user: &str, password: &str, extra: &[&str]) -> Value {
    let out = Command::new(python())
        .arg(root().join("tests/tacacs/tls_client.py"))
        .args(["--port", &port.to_string(), "--ca", &pem("ca.pem")])
        .args(["--user", user, "--password", password])
        .args(extra)
        .env_remove("SSLKEYLOGFILE")
        .output()
        .expect("run tests/tacacs/tls_client.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

fn with_cert() -> Vec<String> {
    vec![
        "--cert".into(),
        pem("client.pem"),
        "--key".into(),
        pem("client.key"),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

const UNENCRYPTED: u64 = 0x01;

#[test]
fn mutual_tls_pap_pass_and_fail_replies_carry_the_unencrypted_flag_rfc9887_4() {
    let s = start(true, &[]);
    let cert = with_cert();
    let pass = client(s.tls, "alice", "alice-pw", &strs(&cert));
    assert_eq!(pass["tls"], "TLSv1.3", "{pass}");
    assert_eq!(pass["status"], "PASS", "{pass}");
    assert_eq!(pass["seq"], 2);
    assert_eq!(pass["same_session"], true);
    assert_eq!(
        pass["flags"].as_u64().unwrap() & UNENCRYPTED,
        UNENCRYPTED,
        "{pass}"
    );
    let fail = client(s.tls, "alice", "not-her-password", &strs(&cert));
    assert_eq!(fail["status"], "FAIL", "{fail}");
    assert_eq!(fail["flags"].as_u64().unwrap() & UNENCRYPTED, UNENCRYPTED);
    s.wait_log("client certificate verified");
    s.wait_log("user=\"alice\" -> FAIL (bad password)");
    assert!(!s.log_text().contains("alice-pw"), "{}", s.log_text());
}

#[test]
fn mutual_tls_refuses_a_client_without_a_certificate_rfc9887_3_3() {
    let s = start(true, &[]);
    let r = client(s.tls, "alice", "alice-pw", &[]);
    assert!(
        r.get("status").is_none(),
        "no TACACS+ answer without a certificate: {r}"
    );
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("CERTIFICATE_REQUIRED"),
        "{r}"
    );
    s.wait_log("TLS handshake failed: peer sent no certificates");
    assert!(!s.log_text().contains("authen"), "{}", s.log_text());
}

#[test]
fn without_a_client_ca_no_certificate_is_asked_for() {
    let s = start(false, &[]);
    let pass = client(s.tls, "bob", "bob-pap", &[]);
    assert_eq!(pass["status"], "PASS", "{pass}");
    let fail = client(s.tls, "bob", "bob-pw-wrong", &[]);
    assert_eq!(fail["status"], "FAIL", "{fail}");
    s.wait_log("no client certificate");
}

#[test]
fn a_tls_1_2_client_is_refused_rfc9887_3_2() {
    let s = start(true, &[]);
    let cert = with_cert();
    let mut args = strs(&cert);
    args.push("--tls12");
    let r = client(s.tls, "alice", "alice-pw", &args);
    assert!(r.get("tls").is_none(), "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("PROTOCOL_VERSION"),
        "{r}"
    );
    s.wait_log("TLS handshake failed");
}

#[test]
fn an_obfuscated_body_over_tls_gets_error_with_the_flag_set_rfc9887_4() {
    let s = start(true, &[]);
    let cert = with_cert();
    let mut args = strs(&cert);
    args.extend(["--obfuscate", "tac-test-key"]);
    let r = client(s.tls, "alice", "alice-pw", &args);
    assert_eq!(r["status"], "ERROR", "{r}");
    assert_eq!(r["seq"], 2);
    assert_eq!(
        r["flags"].as_u64().unwrap() & UNENCRYPTED,
        UNENCRYPTED,
        "{r}"
    );
    s.wait_log("rejected: obfuscated-over-tls");
    assert!(!s.log_text().contains("-> PASS"), "{}", s.log_text());
}

#[test]
fn sslkeylogfile_secrets_decrypt_a_capture_in_casplus_decode_and_tshark() {
    let keylog = scratch("keylog").join("keys.log");
    let s = start(true, &[("SSLKEYLOGFILE", &keylog)]);
    s.wait_log("SSLKEYLOGFILE is set");
    let pcap = keylog.with_file_name("wire.pcap");
    let cert = with_cert();
    let mut args = strs(&cert);
    args.extend(["--record", pcap.to_str().unwrap()]);
    assert_eq!(client(s.tls, "alice", "alice-pw", &args)["status"], "PASS");
    let text = std::fs::read_to_string(&keylog).unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
        "CLIENT_TRAFFIC_SECRET_0 ",
        "SERVER_TRAFFIC_SECRET_0 ",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(label)),
            "{label}in\n{text}"
        );
    }
    // The server's key log opens a capture of the connection: casplus decode …
    let out = Command::new(env!("CARGO_BIN_EXE_casplus"))
        .args(["decode", "--summary", "--keylog"])
        .args([&keylog, &pcap])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 2, "{summary}");
    assert!(
        lines[0].contains("AUTHEN START login pap user=alice  [TLS]"),
        "{summary}"
    );
    assert!(lines[1].contains("AUTHEN REPLY PASS  [TLS]"), "{summary}");
    // … and so does tshark (Wireshark's TLS dissector).
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keylog.display()))
        .args(["-d", "tcp.port==300,tls", "-q", "-z", "follow,tls,raw,0"])
        .output()
        .expect("tshark is required: tests/tools/setup.sh tshark");
    let follow = String::from_utf8_lossy(&out.stdout);
    // The START (user "alice" = 616c696365) and the PASS reply (seq 2, flags 0x05, status 1).
    assert!(follow.contains("616c696365"), "{follow}");
    assert!(
        follow
            .lines()
            .any(|l| l.trim().starts_with("c1010205") && l.trim().ends_with("000006010000000000")),
        "{follow}"
    );
}

#[test]
fn the_config_file_tls_section_and_a_tls_only_client_network() {
    let dir = scratch("conf");
    for f in ["server.pem", "server.key", "ca.pem"] {
        std::fs::copy(pki().join(f), dir.join(f)).unwrap();
    }
    let demo: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/tacacs/server.json")).unwrap(),
    )
    .unwrap();
    let mut conf = demo.clone();
    // 127.0.0.1 may connect over TLS only: its entry has no key.
    conf["clients"] = serde_json::json!([{ "network": "127.0.0.1/32" }]);
    conf["tls"] = serde_json::json!({
        "cert": "server.pem", "key": "server.key", "client_ca": "ca.pem", "listen": "127.0.0.1:0"
    });
    let path = dir.join("server.json");
    std::fs::write(&path, conf.to_string()).unwrap();
    let s = Server::start(
        &[
            "--config",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        true,
        &[],
    );
    let cert = with_cert();
    assert_eq!(
        client(s.tls, "alice", "alice-pw", &strs(&cert))["status"],
        "PASS"
    );
    // The plain listener refuses the key-less network.
    let plain = std::net::TcpStream::connect(("127.0.0.1", s.plain.unwrap())).unwrap();
    s.wait_log("refused: no key is configured for its network");
    drop(plain);
    // Without the tls section a key-less client entry is an error.
    conf.as_object_mut().unwrap().remove("tls");
    std::fs::write(&path, conf.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_casplus"))
        .args([
            "tacacs-server",
            "--config",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("none only with a tls section"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
