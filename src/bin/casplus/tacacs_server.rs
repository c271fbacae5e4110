//! `casplus tacacs-server`: a TACACS+ server (RFC 8907) for development and tests.
//!
//! Debian 12 packages no TACACS+ server, so the project brings this one. It is a thin
//! adapter: a `std::net::TcpListener`, one thread per connection, and every protocol
//! decision in the core (`casplus::tacacs::policy::ServerConnection` over
//! `session::Server`). Configuration: see `casplus::tacacs::policy` (JSON; example in
//! `tests/tacacs/server.json`).
//!
//! TACACS+ over TLS 1.3 (RFC 9887): `--tls-cert`/`--tls-key` (or the config file's `tls`
//! section) open a TLS listener (default port 300, RFC 9887 §7) beside the plain one, or
//! alone without `--listen`; the TLS side is in `tacacs_tls`, and inside TLS the core
//! neither obfuscates nor accepts obfuscated bodies (`ServerConnection::new_tls`).
//!
//! Output: the first stderr line is `casplus tacacs-server: listening on ADDR` (with the
//! real port when `--listen` names port 0); then one line per request,
//! `casplus tacacs-server: PEER #SESSION_ID <what> -> <status> (<note>)` — never a password
//! or key. Accounting records go to `--accounting-log` as JSON Lines, one object per
//! record (schema: `Policy::account`).
//!
//! Hostile clients: reads time out after `--idle-timeout` seconds, writes after 10 s, a
//! body longer than 2^16 bytes closes the connection (§4.1), at most `--max-connections`
//! connections are served at once (more are closed at once), and a client address outside
//! every configured network is refused.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use casplus::tacacs::policy::{Policy, ServerConnection};
use casplus::time::Timestamp;
use rustls::ServerConfig;

use crate::{CliError, Io, tacacs_tls};

/// `casplus tacacs-server --help`.
pub const USAGE: &str = "\
casplus tacacs-server — a TACACS+ (RFC 8907) server for development and tests

Usage: casplus tacacs-server --config FILE [--listen ADDR:PORT] [TLS OPTIONS] [OPTIONS]

Options:
  --config FILE            Users, groups, rules and client keys (JSON; see tests/tacacs/server.json)
  --listen ADDR:PORT       Plain TACACS+ (obfuscated, RFC 8907), e.g. 127.0.0.1:4949 (port 0: any
                           free port); optional when TLS is configured
  --accounting-log FILE    Append accounting records to FILE as JSON Lines
  --idle-timeout SECS      Close a connection idle this long (default 60)
  --max-connections N      Connections served at once (default 64)
  -h, --help               Print this help

TLS options (TACACS+ over TLS 1.3, RFC 9887; or the config file's \"tls\" section):
  --tls-cert FILE          Server certificate chain (PEM, leaf first)
  --tls-key FILE           Server private key (PEM)
  --tls-client-ca FILE     Ask for a client certificate chaining to these CAs (mutual TLS)
  --tls-listen ADDR:PORT   Where the TLS listener listens (default 0.0.0.0:300)

The first lines on stderr are `casplus tacacs-server: listening on ADDR:PORT` (plain) and
`casplus tacacs-server: listening on ADDR:PORT (TLS)`; then one line per request (never a
password or key). SSLKEYLOGFILE=FILE writes the TLS secrets there (debugging only).
";

struct Options {
    config: PathBuf,
    listen: Option<String>,
    accounting_log: Option<PathBuf>,
    idle_timeout: Duration,
    max_connections: usize,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    tls_listen: Option<String>,
}

fn parse(parser: &mut lexopt::Parser) -> Result<Option<Options>, CliError> {
    use lexopt::prelude::*;
    let mut config = None;
    let mut listen = None;
    let mut accounting_log = None;
    let mut idle = 60u64;
    let mut max_connections = 64usize;
    let (mut tls_cert, mut tls_key, mut tls_client_ca, mut tls_listen) = (None, None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("config") => config = Some(PathBuf::from(parser.value()?)),
            Long("listen") => listen = Some(parser.value()?.string()?),
            Long("accounting-log") => accounting_log = Some(PathBuf::from(parser.value()?)),
            Long("idle-timeout") => idle = parser.value()?.parse()?,
            Long("max-connections") => max_connections = parser.value()?.parse()?,
            Long("tls-cert") => tls_cert = Some(PathBuf::from(parser.value()?)),
            Long("tls-key") => tls_key = Some(PathBuf::from(parser.value()?)),
            Long("tls-client-ca") => tls_client_ca = Some(PathBuf::from(parser.value()?)),
            Long("tls-listen") => tls_listen = Some(parser.value()?.string()?),
            Short('h') | Long("help") => return Ok(None),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(Some(Options {
        config: config.ok_or_else(|| CliError::Usage("--config FILE is required".into()))?,
        listen,
        accounting_log,
        idle_timeout: Duration::from_secs(idle.max(1)),
        max_connections: max_connections.max(1),
        tls_cert,
        tls_key,
        tls_client_ca,
        tls_listen,
    }))
}

/// The TLS listener's settings: the command line over the config file's `tls` section
/// (whose relative paths count from the config file's directory).
struct TlsPlan {
    cert: PathBuf,
    key: PathBuf,
    client_ca: Option<PathBuf>,
    listen: String,
}

fn tls_plan(opts: &Options, policy: &Policy) -> Result<Option<TlsPlan>, CliError> {
    let base = opts.config.parent().unwrap_or_else(|| Path::new("."));
    let file = policy.tls();
    let from_file = |p: Option<&String>| p.map(|p| base.join(p));
    let cert = opts
        .tls_cert
        .clone()
        .or_else(|| from_file(file.map(|t| &t.cert)));
    let key = opts
        .tls_key
        .clone()
        .or_else(|| from_file(file.map(|t| &t.key)));
    let client_ca = opts
        .tls_client_ca
        .clone()
        .or_else(|| from_file(file.and_then(|t| t.client_ca.as_ref())));
    let listen = opts
        .tls_listen
        .clone()
        .or_else(|| file.and_then(|t| t.listen.clone()));
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsPlan {
            cert,
            key,
            client_ca,
            listen: listen
                .unwrap_or_else(|| format!("0.0.0.0:{}", casplus::capture::TACACS_TLS_PORT)),
        })),
        (None, None) if client_ca.is_none() && listen.is_none() => Ok(None),
        _ => Err(CliError::Usage(
            "TLS needs both --tls-cert FILE and --tls-key FILE".into(),
        )),
    }
}

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn log(line: &str) {
    eprintln!("casplus tacacs-server: {line}");
}

struct Shared {
    policy: Policy,
    accounting: Mutex<Option<BufWriter<File>>>,
    idle_timeout: Duration,
    max_connections: usize,
    active: AtomicUsize,
}

fn bind(addr: &str, what: &str) -> Result<TcpListener, CliError> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| CliError::Failed(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::Failed(format!("cannot read the listening address: {e}")))?;
    log(&format!("listening on {local}{what}"));
    Ok(listener)
}

/// Runs the server until the process is stopped.
pub fn run(parser: &mut lexopt::Parser, io: &mut Io<'_>) -> Result<(), CliError> {
    let Some(opts) = parse(parser)? else {
        return io
            .stdout
            .write_all(USAGE.as_bytes())
            .map_err(|e| CliError::Failed(format!("cannot write output: {e}")));
    };
    let text = std::fs::read_to_string(&opts.config)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", opts.config.display())))?;
    let policy = Policy::from_json(&text)
        .map_err(|e| CliError::Failed(format!("{}: {e}", opts.config.display())))?;
    let tls = tls_plan(&opts, &policy)?;
    if opts.listen.is_none() && tls.is_none() {
        return Err(CliError::Usage(
            "--listen ADDR:PORT is required (or TLS: --tls-cert and --tls-key)".into(),
        ));
    }
    let tls_config = match &tls {
        Some(t) => Some(tacacs_tls::server_config(&tacacs_tls::TlsFiles {
            cert: &t.cert,
            key: &t.key,
            client_ca: t.client_ca.as_deref(),
        })?),
        None => None,
    };
    let accounting = match &opts.accounting_log {
        Some(p) => Some(BufWriter::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| CliError::Failed(format!("cannot open {}: {e}", p.display())))?,
        )),
        None => None,
    };
    let plain = opts.listen.as_deref().map(|a| bind(a, "")).transpose()?;
    let secure = match (&tls, tls_config) {
        (Some(t), Some(c)) => Some((bind(&t.listen, " (TLS)")?, c)),
        _ => None,
    };
    if secure.is_some() && std::env::var_os("SSLKEYLOGFILE").is_some() {
        log("SSLKEYLOGFILE is set: TLS secrets are written there (debugging only)");
    }
    let shared = Arc::new(Shared {
        policy,
        accounting: Mutex::new(accounting),
        idle_timeout: opts.idle_timeout,
        max_connections: opts.max_connections,
        active: AtomicUsize::new(0),
    });
    let tls_thread = secure.map(|(listener, config)| {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || accept_loop(&listener, &shared, Some(&config)))
    });
    if let Some(listener) = plain {
        accept_loop(&listener, &shared, None);
    }
    if let Some(t) = tls_thread {
        let _ = t.join();
    }
    Ok(())
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, tls: Option<&Arc<ServerConfig>>) {
    for conn in listener.incoming() {
        let stream = match conn {
            Ok(s) => s,
            Err(e) => {
                log(&format!("accept failed: {e}"));
                continue;
            }
        };
        let peer = match stream.peer_addr() {
            Ok(p) => p,
            Err(_) => continue,
        };
        if shared.active.load(Ordering::SeqCst) >= shared.max_connections {
            log(&format!(
                "{peer} refused: {} connections open",
                shared.max_connections
            ));
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(shared);
        let tls = tls.map(Arc::clone);
        let spawned = std::thread::Builder::new()
            .name(format!("tacacs {peer}"))
            .spawn(move || {
                connection(stream, peer, &shared, tls.as_ref());
                shared.active.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            log(&format!("{peer}: cannot start a thread: {e}"));
        }
    }
}

/// One accepted connection: the policy's verdict on the peer, the TLS handshake if any,
/// then [`serve`].
fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    tls: Option<&Arc<ServerConfig>>,
) {
    let _ = stream.set_read_timeout(Some(shared.idle_timeout));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else {
        let Some(conn) = ServerConnection::new(&shared.policy, peer.ip()) else {
            log(&format!(
                "{peer} refused: no key is configured for its network"
            ));
            let _ = stream.shutdown(Shutdown::Both);
            return;
        };
        let mut stream = stream;
        serve(&mut stream, conn, peer, shared);
        let _ = stream.shutdown(Shutdown::Both);
        return;
    };
    let Some(conn) = ServerConnection::new_tls(&shared.policy, peer.ip()) else {
        log(&format!(
            "{peer} refused: its address is in no client network"
        ));
        let _ = stream.shutdown(Shutdown::Both);
        return;
    };
    match tacacs_tls::accept(tls, stream) {
        Ok(mut s) => {
            log(&format!("{peer} {}", tacacs_tls::describe(&s)));
            serve(&mut s, conn, peer, shared);
            s.conn.send_close_notify();
            let _ = s.flush();
            let _ = s.sock.shutdown(Shutdown::Both);
        }
        Err(e) => log(&format!("{peer} TLS handshake failed: {e}")),
    }
}

/// One connection: bytes in, the core decides, bytes out.
fn serve(
    stream: &mut impl ReadWrite,
    mut conn: ServerConnection,
    peer: SocketAddr,
    shared: &Shared,
) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                log(&format!("{peer} idle timeout, closing"));
                break;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // TLS: the peer closed the TCP connection without close_notify.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(e) => {
                log(&format!("{peer} read error: {e}"));
                break;
            }
        };
        let out = conn.handle_input(&shared.policy, buf.get(..n).unwrap_or_default(), now());
        for line in &out.log {
            log(&format!("{peer} {line}"));
        }
        if !out.records.is_empty() {
            write_records(shared, &out.records);
        }
        if !out.send.is_empty()
            && let Err(e) = stream.write_all(&out.send).and_then(|()| stream.flush())
        {
            log(&format!("{peer} write error: {e}"));
            break;
        }
        if out.close {
            break;
        }
    }
}

/// A byte stream: a TCP stream, or TLS over one.
trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn write_records(shared: &Shared, records: &[serde_json::Value]) {
    let Ok(mut guard) = shared.accounting.lock() else {
        return;
    };
    let Some(file) = guard.as_mut() else {
        return;
    };
    let result = records
        .iter()
        .try_for_each(|r| writeln!(file, "{r}"))
        .and_then(|()| file.flush());
    if let Err(e) = result {
        log(&format!("cannot write the accounting log: {e}"));
    }
}
