//! `casplus tacacs-server`: a TACACS+ server (RFC 8907) for development and tests.
//!
//! Debian 12 packages no TACACS+ server, so the project brings this one. It is a thin
//! adapter: a `std::net::TcpListener`, one thread per connection, and every protocol
//! decision in the core (`casplus::tacacs::policy::ServerConnection` over
//! `session::Server`). Configuration: see `casplus::tacacs::policy` (JSON; example in
//! `tests/tacacs/server.json`).
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
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use casplus::tacacs::policy::{Policy, ServerConnection};
use casplus::time::Timestamp;

use crate::{CliError, Io};

/// `casplus tacacs-server --help`.
pub const USAGE: &str = "\
casplus tacacs-server — a TACACS+ (RFC 8907) server for development and tests

Usage: casplus tacacs-server --config FILE --listen ADDR:PORT [OPTIONS]

Options:
  --config FILE            Users, groups, rules and client keys (JSON; see tests/tacacs/server.json)
  --listen ADDR:PORT       Where to listen, e.g. 127.0.0.1:4949 (port 0: any free port)
  --accounting-log FILE    Append accounting records to FILE as JSON Lines
  --idle-timeout SECS      Close a connection idle this long (default 60)
  --max-connections N      Connections served at once (default 64)
  -h, --help               Print this help

The first line on stderr is `casplus tacacs-server: listening on ADDR:PORT`; then one line
per request (never a password or key).
";

struct Options {
    config: PathBuf,
    listen: String,
    accounting_log: Option<PathBuf>,
    idle_timeout: Duration,
    max_connections: usize,
}

fn parse(parser: &mut lexopt::Parser) -> Result<Option<Options>, CliError> {
    use lexopt::prelude::*;
    let mut config = None;
    let mut listen = None;
    let mut accounting_log = None;
    let mut idle = 60u64;
    let mut max_connections = 64usize;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("config") => config = Some(PathBuf::from(parser.value()?)),
            Long("listen") => listen = Some(parser.value()?.string()?),
            Long("accounting-log") => accounting_log = Some(PathBuf::from(parser.value()?)),
            Long("idle-timeout") => idle = parser.value()?.parse()?,
            Long("max-connections") => max_connections = parser.value()?.parse()?,
            Short('h') | Long("help") => return Ok(None),
            _ => return Err(arg.unexpected().into()),
        }
    }
    Ok(Some(Options {
        config: config.ok_or_else(|| CliError::Usage("--config FILE is required".into()))?,
        listen: listen.ok_or_else(|| CliError::Usage("--listen ADDR:PORT is required".into()))?,
        accounting_log,
        idle_timeout: Duration::from_secs(idle.max(1)),
        max_connections: max_connections.max(1),
    }))
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
    active: AtomicUsize,
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
    let listener = TcpListener::bind(&opts.listen)
        .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", opts.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Failed(format!("cannot read the listening address: {e}")))?;
    log(&format!("listening on {addr}"));
    let shared = Arc::new(Shared {
        policy,
        accounting: Mutex::new(accounting),
        idle_timeout: opts.idle_timeout,
        active: AtomicUsize::new(0),
    });
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
        if shared.active.load(Ordering::SeqCst) >= opts.max_connections {
            log(&format!(
                "{peer} refused: {} connections open",
                opts.max_connections
            ));
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        shared.active.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("tacacs {peer}"))
            .spawn(move || {
                serve(stream, peer, &shared);
                shared.active.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            log(&format!("{peer}: cannot start a thread: {e}"));
        }
    }
    Ok(())
}

/// One connection: bytes in, the core decides, bytes out.
fn serve(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let Some(mut conn) = ServerConnection::new(&shared.policy, peer.ip()) else {
        log(&format!(
            "{peer} refused: no key is configured for its network"
        ));
        let _ = stream.shutdown(Shutdown::Both);
        return;
    };
    let _ = stream.set_read_timeout(Some(shared.idle_timeout));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
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
            && let Err(e) = stream.write_all(&out.send)
        {
            log(&format!("{peer} write error: {e}"));
            break;
        }
        if out.close {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

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
