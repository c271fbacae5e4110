//! TACACS+ (RFC 8907) over `worker::Socket`: drives the core's sans-IO client
//! ([`casplus::tacacs::login`], any [`Machine`]) for the bridge ([`casplus::aaa`]). This
//! module only moves bytes and reads the clock: which server to try, when to fail over,
//! what a reply means, which AV pairs become attributes and which accounting records are
//! due are all decided by the core ([`casplus::aaa::login`], [`auth_result`],
//! [`accounting_request`]).
//!
//! - [`authenticate`]: PASS (and authorization PASS_ADD/PASS_REPL) → the AV pairs become
//!   the CAS attributes; FAIL → "incorrect" (with the server's message when it sent one);
//!   no trustworthy answer → "authentication service unavailable", never a login.
//! - [`account`]: the CAS engine's session lifecycle effects (`SessionStarted`,
//!   `SessionUsed`, `SessionEnded`); the core ([`accounting_request`]) says which record
//!   each calls for, and it is sent — a failure is logged, never shown.
//! - Operator notes are typed by the core ([`NoteKind`]); a key mismatch gets its own
//!   event so that an operator can alert on it.
//! - Timeouts: each `Action::Connect` / `Action::Receive` carries an absolute deadline; the
//!   wait is raced with a JS timer ([`Delay`]).
//! - TLS (RFC 9887): `Action::Connect { tls: true }` opens the socket with
//!   [`SecureTransport::On`]; the runtime verifies the certificate against the host name.
//!
//! Log lines are JSON on the console (`event`: `tacacs_login`, `tacacs_unavailable`,
//! `tacacs_key_mismatch`, `tacacs_acct`, `tacacs_acct_failed`, `tacacs_log`), each with the
//! CAS Worker's `request_id`; they carry the user name and the core's operator notes, never
//! a password or a key.

use std::time::Duration;

use casplus::aaa::{accounting_request, auth_result};
use casplus::cas::auth::{AuthFailure, AuthRequest, AuthResult};
use casplus::cas::web::Effect;
use casplus::tacacs::acct::AcctRequest;
use casplus::tacacs::login::{
    AcctJob, AcctOutcome, Action, LoginConfig, MIN_ENTROPY, Machine, Note, NoteKind, Outcome,
};
use casplus::time::Timestamp;
use futures_util::future::{Either, select};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use worker::{Delay, SecureTransport, Socket};

use crate::now;

/// Largest read per `Action::Receive` (the core reassembles packets itself).
const READ_CHUNK: usize = 4096;
/// Time allowed for closing a socket (the result does not matter).
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// Time left until `deadline` (zero when it has passed).
fn until(deadline: Timestamp) -> Duration {
    let ms = deadline.millis_since(now()).max(0);
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// What became of a bounded wait.
enum Waited<T> {
    Done(T),
    TimedOut,
}

async fn within<F: Future>(deadline: Timestamp, fut: F) -> Waited<F::Output> {
    let fut = std::pin::pin!(fut);
    match select(fut, Delay::from(until(deadline))).await {
        Either::Left((out, _)) => Waited::Done(out),
        Either::Right(((), _)) => Waited::TimedOut,
    }
}

async fn close(mut socket: Socket) {
    let deadline = now().plus_millis(CLOSE_TIMEOUT.as_millis() as i64);
    let _ = within(deadline, socket.close()).await;
}

/// Opens a connection; `Ok(None)` when the deadline passed first.
async fn connect(
    host: &str,
    port: u16,
    tls: bool,
    deadline: Timestamp,
) -> Result<Option<Socket>, String> {
    let transport = if tls {
        SecureTransport::On
    } else {
        SecureTransport::Off
    };
    let socket = Socket::builder()
        .secure_transport(transport)
        .connect(host, port)
        .map_err(|e| e.to_string())?;
    match within(deadline, socket.opened()).await {
        Waited::Done(Ok(_)) => Ok(Some(socket)),
        Waited::Done(Err(e)) => {
            close(socket).await;
            Err(e.to_string())
        }
        Waited::TimedOut => {
            close(socket).await;
            Ok(None)
        }
    }
}

/// Runs a machine to its end, performing its actions.
async fn drive<M: Machine>(machine: &mut M) -> M::Output {
    let mut socket: Option<Socket> = None;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match machine.poll() {
            Action::Connect {
                host,
                port,
                tls,
                deadline,
                ..
            } => {
                if let Some(old) = socket.take() {
                    close(old).await;
                }
                match connect(&host, port, tls, deadline).await {
                    Ok(Some(s)) => {
                        socket = Some(s);
                        machine.handle_connected(now());
                    }
                    Ok(None) => machine.handle_timeout(now()),
                    Err(e) => machine.handle_connect_error(&e, now()),
                }
            }
            Action::Send(bytes) => {
                let sent = match socket.as_mut() {
                    Some(s) => s.write_all(&bytes).await.is_ok() && s.flush().await.is_ok(),
                    None => false,
                };
                if !sent {
                    machine.handle_closed(now());
                }
            }
            Action::Receive { deadline } => {
                let Some(s) = socket.as_mut() else {
                    machine.handle_closed(now());
                    continue;
                };
                let got = within(deadline, s.read(&mut buf)).await;
                let now = now();
                match got {
                    Waited::Done(Ok(n)) if n > 0 => match buf.get(..n) {
                        Some(bytes) => machine.handle_input(bytes, now),
                        None => machine.handle_closed(now),
                    },
                    Waited::Done(_) => machine.handle_closed(now),
                    Waited::TimedOut => machine.handle_timeout(now),
                }
            }
            Action::Close => {
                if let Some(old) = socket.take() {
                    close(old).await;
                }
            }
            Action::Done(out) => {
                if let Some(old) = socket.take() {
                    close(old).await;
                }
                return out;
            }
        }
    }
}

fn entropy() -> Result<[u8; 32], String> {
    let mut e = [0u8; 32];
    getrandom::fill(&mut e).map_err(|e| e.to_string())?;
    debug_assert!(e.len() >= MIN_ENTROPY);
    Ok(e)
}

/// Logs `value` with the CAS Worker's request id.
fn log(level: Level, request_id: &str, mut value: serde_json::Value) {
    if let Some(map) = value.as_object_mut() {
        map.insert("request_id".into(), request_id.into());
    }
    match level {
        Level::Info => worker::console_log!("{value}"),
        Level::Warn => worker::console_warn!("{value}"),
        Level::Error => worker::console_error!("{value}"),
    }
}

#[derive(Clone, Copy)]
enum Level {
    Info,
    Warn,
    Error,
}

/// The core's operator notes, one JSON line each; a key mismatch gets its own event so an
/// operator can alert on it.
fn log_notes(request_id: &str, user: &str, notes: &[Note]) {
    for note in notes {
        let (event, level) = match note.kind {
            NoteKind::KeyMismatch => ("tacacs_key_mismatch", Level::Error),
            _ => ("tacacs_log", Level::Info),
        };
        log(
            level,
            request_id,
            serde_json::json!({ "event": event, "user": user, "note": note.text }),
        );
    }
}

/// Checks `request` (what the CAS Worker sent, [`casplus::aaa::gateway::GatewayRequest`])
/// against the configured TACACS+ servers; `rid` is the CAS Worker's request id (log
/// lines), `rem_addr` the browser's address (§5.1).
pub async fn authenticate(
    config: &LoginConfig,
    request: &AuthRequest,
    rem_addr: Option<&str>,
    rid: &str,
) -> AuthResult {
    let user = request.username.as_str();
    let started = now();
    let unavailable = |reason: String| {
        log(
            Level::Error,
            rid,
            serde_json::json!({ "event": "tacacs_unavailable", "user": user, "reason": reason }),
        );
        AuthResult::Rejected(AuthFailure::Unavailable)
    };
    let entropy = match entropy() {
        Ok(e) => e,
        Err(e) => return unavailable(format!("entropy: {e}")),
    };
    let mut machine = match casplus::aaa::login(config, request, rem_addr, &entropy, started) {
        Ok(l) => l,
        Err(e) => return unavailable(e.to_string()),
    };
    let outcome = drive(&mut machine).await;
    log_notes(rid, user, machine.notes());
    let ms = now().millis_since(started);
    match &outcome {
        Outcome::Authenticated(a) => log(
            Level::Info,
            rid,
            serde_json::json!({ "event": "tacacs_login", "user": user, "result": "pass",
                "server": a.server, "connections": machine.connections(), "ms": ms }),
        ),
        Outcome::Rejected { message, .. } => log(
            Level::Info,
            rid,
            serde_json::json!({ "event": "tacacs_login", "user": user, "result": "fail",
                "server_msg": message, "ms": ms }),
        ),
        Outcome::Unavailable { reason } => log(
            Level::Error,
            rid,
            serde_json::json!({ "event": "tacacs_unavailable", "user": user,
                "reason": reason, "ms": ms }),
        ),
    }
    auth_result(outcome)
}

/// Sends one accounting record (the core decided it); failures are logged.
async fn send_acct(config: &LoginConfig, request_id: &str, request: AcctRequest) {
    let now = now();
    let kind = request.flags.names().join("|").to_lowercase();
    let user = String::from_utf8_lossy(&request.user).into_owned();
    let task_id = request.acct_args().task_id.unwrap_or_default();
    let outcome = match entropy()
        .map_err(|e| format!("entropy: {e}"))
        .and_then(|e| AcctJob::new(config, request, &e, now).map_err(|e| e.to_string()))
    {
        Ok(mut job) => {
            let out = drive(&mut job).await;
            log_notes(request_id, &user, job.notes());
            out
        }
        Err(reason) => AcctOutcome::Failed { reason },
    };
    match outcome {
        AcctOutcome::Recorded { server } => log(
            Level::Info,
            request_id,
            serde_json::json!({ "event": "tacacs_acct", "record": kind, "user": user,
                "task_id": task_id, "server": server }),
        ),
        AcctOutcome::Failed { reason } => log(
            Level::Warn,
            request_id,
            serde_json::json!({ "event": "tacacs_acct_failed", "record": kind,
                "user": user, "task_id": task_id, "reason": reason }),
        ),
        AcctOutcome::NotSent => {}
    }
}

/// Sends the accounting records the engine's session effects call for (START, WATCHDOG,
/// STOP — the core decides, [`accounting_request`]), one after the other. Other effects
/// are ignored here.
pub async fn account(config: &LoginConfig, request_id: &str, effects: &[Effect]) {
    for effect in effects {
        if let Some(request) = accounting_request(config, effect) {
            send_acct(config, request_id, request).await;
        }
    }
}
