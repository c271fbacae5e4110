//! `casplus tacacs-server` proven against real, independent TACACS+ clients — PyPI
//! `tacacs-plus` (`.venv/bin/tacacs_client`) and Debian `libauthen-tacacsplus-perl` — and
//! the core's own login backend (`casplus::tacacs::login`) driven over a `std::net`
//! socket, the way the Worker drives it over `worker::Socket`.
//!
//! Every test starts its own server on 127.0.0.1 with an ephemeral port (`--listen
//! 127.0.0.1:0`; the port is read from the first stderr line) and kills it when done.
//! The clients are installed by `tests/tools/setup.sh python perl`; when one is missing the
//! tests FAIL (they never skip).
//!
//! Demo users (tests/tacacs/server.json, passwords in tests/tacacs/README.md): alice
//! (netops), bob (readonly), carol (no authorization rule); client key `tac-test-key`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod support {
    pub mod server_process;
}
use support::server_process::ServerProcess;

use casplus::password::Password;
use casplus::tacacs::login::{
    AcctJob, AcctOutcome, AcctRecord, Action, AuthenMode, AuthorConfig, Login, LoginConfig,
    LoginRequest, Machine, NoteKind, Outcome, ServerSpec, acct_stop,
};
use casplus::tacacs::{AuthorStatus, Key};
use casplus::time::Timestamp;

const KEY: &str = "tac-test-key";
/// Every password of the demo config: none may ever show in the server's log.
const PASSWORDS: &[&str] = &[
    "alice-pw",
    "alice-chap",
    "alice-enable",
    "bob-pw",
    "bob-pap",
    "carol-pw",
    "tac-test-key",
    "loopback-other",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn demo_config() -> PathBuf {
    root().join("tests/tacacs/server.json")
}

fn unique(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::env::temp_dir().join(format!(
        "casplus-tacsrv-{}-{}-{nanos}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ))
}

/// A running `casplus tacacs-server` on an ephemeral plain port, with its accounting log;
/// killed on drop, and then its log is checked for every demo password.
struct TestServer {
    process: ServerProcess,
    port: u16,
    acct: PathBuf,
}

impl TestServer {
    fn start(config: &Path) -> Self {
        Self::start_with(config, &[])
    }

    fn start_with(config: &Path, extra: &[&str]) -> Self {
        let acct = unique("acct.jsonl");
        let (config, acct_arg) = (config.to_str().unwrap(), acct.to_str().unwrap());
        let mut args = vec![
            "--config",
            config,
            "--listen",
            "127.0.0.1:0",
            "--accounting-log",
            acct_arg,
        ];
        args.extend_from_slice(extra);
        let process = ServerProcess::spawn(&args, &[], |l| !l.is_empty());
        let port = process.port(false).expect("a plain listener");
        Self {
            process,
            port,
            acct,
        }
    }

    /// Waits (up to 5 s) for a log line containing `needle`.
    fn wait_log(&self, needle: &str) -> String {
        self.process.wait_log(needle)
    }

    /// The accounting records written so far (waits up to 5 s for `at_least`).
    fn records(&self, at_least: usize) -> Vec<serde_json::Value> {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let text = std::fs::read_to_string(&self.acct).unwrap_or_default();
            let recs: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("a JSON line"))
                .collect();
            if recs.len() >= at_least || Instant::now() > until {
                return recs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.process.stop();
        let log = self.process.log_text();
        let _ = std::fs::remove_file(&self.acct);
        if !std::thread::panicking() {
            for pw in PASSWORDS {
                assert!(!log.contains(pw), "secret {pw:?} in the server log:\n{log}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// PyPI tacacs-plus

fn tacacs_client() -> PathBuf {
    let p = root().join(".venv/bin/tacacs_client");
    assert!(
        p.exists(),
        "{} is missing: run `tests/tools/setup.sh python` (PyPI tacacs-plus)",
        p.display()
    );
    p
}

/// Runs `tacacs_client`; returns (exit status success, stdout).
fn py(port: u16, key: &str, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(tacacs_client())
        .args([
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-k",
            key,
            "--timeout",
            "5",
        ])
        .args(args)
        .env_remove("TACACS_PLUS_KEY")
        .env_remove("TACACS_PLUS_PWD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tacacs_client");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn python_client_authenticates_with_pap_ascii_and_chap_5_4_2() {
    let s = TestServer::start(&demo_config());
    let auth = |user: &str, t: &str, pw: &str, stdin: &str| {
        py(
            s.port,
            KEY,
            &["-u", user, "-t", t, "-v", "authenticate", "-p", pw],
            stdin,
        )
    };
    assert_eq!(
        auth("alice", "pap", "alice-pw", ""),
        (true, "status: PASS\n".into())
    );
    assert_eq!(
        auth("alice", "ascii", "alice-pw", ""),
        (true, "status: PASS\n".into())
    );
    assert!(
        auth("bob", "pap", "bob-pap", "").0,
        "bob's separate PAP secret"
    );
    let (ok, out) = auth("bob", "pap", "bob-pw", "");
    assert!(!ok && out.contains("status: FAIL"), "{out}");
    let (ok, out) = auth("alice", "ascii", "wrong", "");
    assert!(!ok && out.contains("status: FAIL"), "{out}");
    assert!(out.contains("Authentication failed"), "{out}");
    let (ok, _) = auth("mallory", "pap", "x", "");
    assert!(!ok);
    // CHAP: the client computes MD5(id ‖ secret ‖ challenge) from stdin's id and challenge.
    let (ok, out) = auth("alice", "chap", "alice-chap", "A\nchallenge-0123\n");
    assert!(ok, "{out}");
    let (ok, _) = auth("alice", "chap", "alice-pw", "A\nchallenge-0123\n");
    assert!(!ok, "the login password is not the CHAP secret");
    s.wait_log("authen LOGIN CHAP LOGIN user=\"alice\" -> PASS");
    s.wait_log("authen LOGIN ASCII LOGIN user=\"alice\" -> GETPASS");
}

#[test]
fn python_client_authorizes_services_and_commands_6_8_2() {
    let s = TestServer::start(&demo_config());
    let author = |user: &str, cmds: &[&str]| {
        let mut a = vec!["-u", user, "-v", "authorize", "-c"];
        a.extend_from_slice(cmds);
        py(s.port, KEY, &a, "")
    };
    let (ok, out) = author("alice", &["service=casplus"]);
    assert!(ok, "{out}");
    assert_eq!(
        out,
        "status: PASS\nav-pairs:\n  mail=alice@example.net\n  groups=netops\n  priv-lvl=15\n"
    );
    let (ok, out) = author("bob", &["service=casplus"]);
    assert!(
        ok && out.contains("groups=readonly") && out.contains("priv-lvl=1"),
        "{out}"
    );
    let (ok, _) = author("carol", &["service=casplus"]);
    assert!(!ok, "carol has no authorization rule");
    // Shell commands: netops may show and configure, but alice's own rule forbids one.
    assert!(author("alice", &["service=shell", "cmd=show", "cmd-arg=version"]).0);
    assert!(
        author(
            "alice",
            &["service=shell", "cmd=configure", "cmd-arg=terminal"]
        )
        .0
    );
    assert!(
        !author(
            "alice",
            &["service=shell", "cmd=show", "cmd-arg=running-config"]
        )
        .0
    );
    assert!(!author("alice", &["service=shell", "cmd=reload"]).0);
    assert!(author("bob", &["service=shell", "cmd=show", "cmd-arg=version"]).0);
    let (ok, out) = author(
        "bob",
        &["service=shell", "cmd=configure", "cmd-arg=terminal"],
    );
    assert!(!ok && out.contains("Command not permitted"), "{out}");
    s.wait_log("command \"configure terminal\" matches no rule");
}

#[test]
fn python_client_accounting_start_and_stop_reach_the_jsonl_log_7() {
    let s = TestServer::start(&demo_config());
    let acct = |flag: &str, cmds: &[&str]| {
        let mut a = vec!["-u", "alice", "-v", "account", "-f", flag, "-c"];
        a.extend_from_slice(cmds);
        py(s.port, KEY, &a, "")
    };
    let (ok, out) = acct(
        "start",
        &["task_id=42", "start_time=1700000000", "service=shell"],
    );
    assert!(ok && out.contains("status: SUCCESS"), "{out}");
    let (ok, _) = acct(
        "stop",
        &["task_id=42", "stop_time=1700000060", "elapsed_time=60"],
    );
    assert!(ok);
    let (ok, _) = acct("update", &["task_id=42", "elapsed_time=30"]);
    assert!(ok, "WATCHDOG");
    let recs = s.records(3);
    assert_eq!(recs.len(), 3, "{recs:?}");
    assert_eq!(recs[0]["record"], "start");
    assert_eq!(recs[0]["user"], "alice");
    assert_eq!(recs[0]["port"], "python_tty0");
    assert_eq!(recs[0]["rem_addr"], "python_device");
    assert_eq!(recs[0]["client"], "127.0.0.1");
    assert_eq!(recs[0]["acct"]["task_id"], "42");
    assert_eq!(recs[0]["acct"]["start_time"], "2023-11-14T22:13:20Z");
    assert_eq!(recs[1]["record"], "stop");
    assert_eq!(recs[1]["acct"]["elapsed_time"], 60);
    assert_eq!(recs[2]["record"], "watchdog");
    assert!(recs.iter().all(|r| r["status"] == "SUCCESS"));
    s.wait_log("acct stop user=\"alice\" task_id=\"42\" -> SUCCESS");
}

#[test]
fn python_client_with_a_wrong_key_fails_and_the_server_says_wrong_key_4_5() {
    let s = TestServer::start(&demo_config());
    let (ok, _) = py(
        s.port,
        "not-the-key",
        &["-u", "alice", "-t", "pap", "authenticate", "-p", "alice-pw"],
        "",
    );
    assert!(!ok);
    // The 127/8 key is not the one for 127.0.0.1/32: the longest prefix wins.
    let (ok, _) = py(
        s.port,
        "loopback-other",
        &["-u", "alice", "-t", "pap", "authenticate", "-p", "alice-pw"],
        "",
    );
    assert!(!ok);
    s.wait_log("rejected: wrong-key");
}

// ---------------------------------------------------------------------------------------
// Debian libauthen-tacacsplus-perl

/// `Authen::TacacsPlus->authen`: "granted" or "denied: <errmsg>".
fn perl_authen(port: u16, key: &str, user: &str, pw: &str, pap: bool) -> String {
    let have = Command::new("perl")
        .args(["-MAuthen::TacacsPlus", "-e1"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        have,
        "Perl Authen::TacacsPlus is missing: run `tests/tools/setup.sh perl` \
         (Debian libauthen-tacacsplus-perl)"
    );
    let script = r#"
        my ($port, $key, $user, $pw, $pap) = @ARGV;
        my $tac = Authen::TacacsPlus->new(Host => '127.0.0.1', Port => $port, Key => $key,
                                          Timeout => 5)
            or do { print "no session: ", Authen::TacacsPlus::errmsg(), "\n"; exit 0 };
        my $type = $pap ? Authen::TacacsPlus::TAC_PLUS_AUTHEN_TYPE_PAP()
                        : Authen::TacacsPlus::TAC_PLUS_AUTHEN_TYPE_ASCII();
        print $tac->authen($user, $pw, $type) ? "granted\n"
                                              : "denied: " . Authen::TacacsPlus::errmsg() . "\n";
        $tac->close();
    "#;
    let out = Command::new("perl")
        .args(["-MAuthen::TacacsPlus", "-e", script])
        .args([
            port.to_string().as_str(),
            key,
            user,
            pw,
            if pap { "1" } else { "0" },
        ])
        .output()
        .expect("run perl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn perl_client_authenticates_with_ascii_and_pap_5_4_2() {
    let s = TestServer::start(&demo_config());
    assert_eq!(
        perl_authen(s.port, KEY, "alice", "alice-pw", false),
        "granted"
    );
    assert_eq!(
        perl_authen(s.port, KEY, "alice", "nope", false),
        "denied: Authentication failed"
    );
    assert_eq!(perl_authen(s.port, KEY, "bob", "bob-pap", true), "granted");
    assert_eq!(
        perl_authen(s.port, KEY, "bob", "bob-pw", true),
        "denied: Authentication failed"
    );
    let wrong = perl_authen(s.port, "wrong", "alice", "alice-pw", true);
    assert!(wrong.starts_with("denied"), "a wrong key: {wrong:?}");
    // Authen::TacacsPlus starts ASCII logins without a user: the full GETUSER/GETPASS dialogue.
    s.wait_log("authen LOGIN ASCII LOGIN user=\"\" -> GETUSER");
    s.wait_log("authen continue user=\"alice\" -> GETPASS");
    s.wait_log("rejected: wrong-key");
}

// ---------------------------------------------------------------------------------------
// The login backend over a real socket

fn now() -> Timestamp {
    Timestamp(
        i64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap(),
    )
}

fn remaining(deadline: Timestamp) -> Duration {
    Duration::from_millis(deadline.millis_since(now()).max(1) as u64)
}

/// What the Worker does with `worker::Socket`, with `std::net` here.
fn drive<M: Machine>(m: &mut M) -> M::Output {
    let mut sock: Option<TcpStream> = None;
    let mut buf = [0u8; 4096];
    loop {
        match m.poll() {
            Action::Connect {
                host,
                port,
                tls,
                deadline,
                ..
            } => {
                assert!(!tls, "no TLS in these tests");
                let addr = (host.as_str(), port)
                    .to_socket_addrs()
                    .unwrap()
                    .next()
                    .unwrap();
                match TcpStream::connect_timeout(&addr, remaining(deadline)) {
                    Ok(s) => {
                        s.set_nodelay(true).unwrap();
                        sock = Some(s);
                        m.handle_connected(now());
                    }
                    Err(e) => m.handle_connect_error(&e.to_string(), now()),
                }
            }
            Action::Send(bytes) => {
                if sock.as_mut().unwrap().write_all(&bytes).is_err() {
                    m.handle_closed(now());
                }
            }
            Action::Receive { deadline } => {
                let s = sock.as_mut().unwrap();
                s.set_read_timeout(Some(remaining(deadline))).unwrap();
                match s.read(&mut buf) {
                    Ok(0) => m.handle_closed(now()),
                    Ok(n) => m.handle_input(&buf[..n], now()),
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        m.handle_timeout(now())
                    }
                    Err(_) => m.handle_closed(now()),
                }
            }
            Action::Close => sock = None,
            Action::Done(o) => return o,
        }
    }
}

fn config(ports: &[u16], key: &str) -> LoginConfig {
    let mut c = LoginConfig::new(
        ports
            .iter()
            .map(|p| ServerSpec {
                timeout_ms: 3000,
                ..ServerSpec::new("127.0.0.1", *p, Key::from_text(key))
            })
            .collect(),
    );
    c.authorization = Some(AuthorConfig {
        cas_service_arg: Some("cas-service".into()),
        ..AuthorConfig::default()
    });
    c.accounting = true;
    c
}

fn request(user: &str, pw: &str, task: &str) -> LoginRequest {
    LoginRequest {
        username: user.into(),
        password: Password::new(pw),
        rem_addr: "203.0.113.9".into(),
        cas_service: Some("https://app.example/".into()),
        task_id: task.into(),
    }
}

fn entropy() -> Vec<u8> {
    // Seeded per test run; the tests assert behaviour, not session ids.
    let t = now().0.to_be_bytes();
    [t.as_slice(), b"casplus-tests-entropy"].concat()
}

fn run_login(cfg: &LoginConfig, user: &str, pw: &str, task: &str) -> (Outcome, Login) {
    let mut l = Login::new(cfg, request(user, pw, task), &entropy(), now()).unwrap();
    let o = drive(&mut l);
    (o, l)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn login_pap_authorizes_and_accounts_over_one_connection() {
    let s = TestServer::start(&demo_config());
    let (o, l) = run_login(&config(&[s.port], KEY), "alice", "alice-pw", "task-a1");
    let Outcome::Authenticated(a) = o else {
        panic!("{o:?} {:?}", l.notes())
    };
    assert_eq!(a.authorization, Some(AuthorStatus::PASS_ADD));
    assert_eq!(a.granted["groups"], ["netops"]);
    assert_eq!(a.granted["priv-lvl"], ["15"]);
    assert_eq!(a.granted["mail"], ["alice@example.net"]);
    assert_eq!(a.accounting, AcctOutcome::Recorded { server: 0 });
    assert_eq!(
        l.connections(),
        1,
        "single-connect granted: one connection (§4.3)"
    );
    let recs = s.records(1);
    assert_eq!(recs[0]["record"], "start");
    assert_eq!(recs[0]["user"], "alice");
    assert_eq!(recs[0]["port"], "casplus");
    assert_eq!(recs[0]["rem_addr"], "203.0.113.9");
    assert_eq!(recs[0]["acct"]["task_id"], "task-a1");
    assert!(
        recs[0]["args"]
            .as_array()
            .unwrap()
            .contains(&"service=casplus".into())
    );
    // The author request carried the CAS service as an optional argument.
    s.wait_log("author user=\"alice\" -> PASS_ADD");

    let (o, _) = run_login(&config(&[s.port], KEY), "alice", "wrong", "task-a2");
    assert_eq!(
        o,
        Outcome::Rejected {
            message: "Authentication failed".into(),
            server_msg: Some("Authentication failed".into()),
        }
    );
    assert_eq!(s.records(2).len(), 1, "no START for a failed login");
}

#[test]
fn login_ascii_dialogue_and_authorization_fail() {
    let s = TestServer::start(&demo_config());
    let mut cfg = config(&[s.port], KEY);
    cfg.authen_mode = AuthenMode::Ascii;
    let (o, _) = run_login(&cfg, "bob", "bob-pw", "task-b");
    let Outcome::Authenticated(a) = o else {
        panic!("{o:?}")
    };
    assert_eq!(a.granted["groups"], ["readonly"]);
    s.wait_log("authen LOGIN ASCII LOGIN user=\"bob\" -> GETPASS");
    // carol authenticates but has no rule for service=casplus.
    let (o, _) = run_login(&cfg, "carol", "carol-pw", "task-c");
    assert_eq!(
        o,
        Outcome::Rejected {
            message: "Not authorized".into(),
            server_msg: Some("Not authorized".into()),
        }
    );
    s.wait_log("author user=\"carol\" -> FAIL");
}

#[test]
fn login_fails_over_when_the_first_port_is_closed() {
    let s = TestServer::start(&demo_config());
    let dead = closed_port();
    let (o, l) = run_login(&config(&[dead, s.port], KEY), "alice", "alice-pw", "task-f");
    let Outcome::Authenticated(a) = o else {
        panic!("{o:?}")
    };
    assert_eq!(a.server, 1);
    let log = l
        .notes()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        log.contains(&format!("127.0.0.1:{dead}: connect failed")),
        "{log}"
    );
    // Nothing listening anywhere: a clean failure, never a login.
    let (o, _) = run_login(
        &config(&[dead, closed_port()], KEY),
        "alice",
        "alice-pw",
        "t",
    );
    let Outcome::Unavailable { reason } = o else {
        panic!("{o:?}")
    };
    assert!(reason.contains("connect failed"), "{reason}");
}

#[test]
fn login_with_a_wrong_key_is_unavailable_with_key_mismatch_4_5() {
    let s = TestServer::start(&demo_config());
    let (o, l) = run_login(&config(&[s.port], "not-the-key"), "alice", "alice-pw", "t");
    let Outcome::Unavailable { reason } = o else {
        panic!("{o:?}")
    };
    assert!(reason.contains("key mismatch"), "{reason}");
    assert!(l.notes().iter().any(|x| x.kind == NoteKind::KeyMismatch));
    s.wait_log("rejected: wrong-key");
}

#[test]
fn acct_job_sends_the_stop_record_at_logout_7_8_3() {
    let s = TestServer::start(&demo_config());
    let cfg = config(&[closed_port(), s.port], KEY);
    let started = now().plus_secs(-90);
    let rec = AcctRecord {
        username: "alice".into(),
        rem_addr: "203.0.113.9".into(),
        task_id: "task-stop".into(),
        started,
        services: vec![
            "https://app.example/".into(),
            "https://mail.example/".into(),
        ],
        reason: Some("logout".into()),
    };
    let mut job = AcctJob::new(&cfg, acct_stop(&cfg, &rec, now()), &entropy(), now()).unwrap();
    assert_eq!(drive(&mut job), AcctOutcome::Recorded { server: 1 });
    let recs = s.records(1);
    let r = &recs[0];
    assert_eq!(r["record"], "stop");
    assert_eq!(r["acct"]["task_id"], "task-stop");
    let elapsed = r["acct"]["elapsed_time"].as_u64().unwrap();
    assert!((90..=95).contains(&elapsed), "{elapsed}");
    let args: Vec<&str> = r["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args.contains(&"reason=logout"));
    assert!(args.contains(&"cas-service=https://app.example/"));
    assert!(args.contains(&"cas-service=https://mail.example/"));
}

// ---------------------------------------------------------------------------------------
// Hostile peers

#[test]
fn server_survives_hostile_clients_and_keeps_serving() {
    let s = TestServer::start_with(&demo_config(), &["--idle-timeout", "1"]);
    // An absurd length: the server closes at once instead of waiting for 4 GiB.
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(&[0xc1, 1, 1, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff])
        .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)), "closed");
    s.wait_log("rejected: length-over-max");
    // Not TACACS+ at all: rejected and closed.
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(b"GET / HTTP/1.0\r\n").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)), "closed");
    s.wait_log("rejected: bad-major-version");
    // Half a header, then silence: the idle timeout closes it.
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(&[0xc1, 1, 1]).unwrap();
    let started = Instant::now();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = c.read(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "idle timeout applies"
    );
    s.wait_log("idle timeout");
    // Still serving.
    let (ok, _) = py(
        s.port,
        KEY,
        &["-u", "alice", "-t", "pap", "authenticate", "-p", "alice-pw"],
        "",
    );
    assert!(ok);
}

#[test]
fn server_refuses_clients_outside_every_configured_network_4_5() {
    let cfg = unique("only-10.json");
    std::fs::write(
        &cfg,
        r#"{"clients": [{"network": "10.0.0.0/8", "key": "k"}], "users": {}}"#,
    )
    .unwrap();
    let s = TestServer::start(&cfg);
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)));
    s.wait_log("refused: no key is configured for its network");
    std::fs::remove_file(cfg).unwrap();
}

#[test]
fn login_aborts_on_a_hostile_server_without_failing_over() {
    let good = TestServer::start(&demo_config());
    // A fake server that answers every request with a header of absurd length.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut c, _)) = l.accept() {
            let mut req = [0u8; 512];
            let n = c.read(&mut req).unwrap_or(0);
            if n >= 12 {
                let mut reply = [0xc1, 1, 2, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
                reply[4..8].copy_from_slice(&req[4..8]);
                let _ = c.write_all(&reply);
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let (o, l) = run_login(&config(&[port, good.port], KEY), "alice", "alice-pw", "t");
    let Outcome::Unavailable { reason } = o else {
        panic!("{o:?}")
    };
    assert!(
        reason.contains("protocol violation") && reason.contains("length-over-max"),
        "{reason}"
    );
    assert_eq!(l.connections(), 1, "the second server is not asked");
}

#[test]
fn example_config_documents_every_demo_password() {
    // tests/tacacs/README.md lists the demo credentials; check they are the ones in server.json.
    let readme = std::fs::read_to_string(root().join("tests/tacacs/README.md")).unwrap();
    for pw in &PASSWORDS[..6] {
        assert!(readme.contains(pw), "{pw} not documented");
    }
}
