//! The TACACS+ authentication source (RFC 8907): drives the core's sans-IO login backend
//! ([`casplus::tacacs::login`]) over `worker::Socket`. This module only moves bytes and
//! reads the clock: which server to try, when to fail over, what a reply means and
//! which AV pairs become attributes are all decided by [`Login`] and [`AcctJob`].
//!
//! - A login whose authentication source is [`SOURCE`] (per service:
//!   `authenticationSource`, or for every login: `engine.defaultSource`) is checked with
//!   [`authenticate`]: PASS (and authorization PASS_ADD/PASS_REPL) → the AV pairs become
//!   the CAS attributes; FAIL → the login form with "incorrect"; no trustworthy answer →
//!   "authentication service unavailable", never a login.
//! - Accounting: the engine reports session lifecycle effects (`SessionStarted`,
//!   `SessionUsed`, `SessionEnded`); [`account`] asks the core
//!   ([`casplus::tacacs::login::accounting_request`]) which record each calls for and sends
//!   it, under `ctx.wait_until` — a failure is logged, never shown.
//! - Timeouts: each `Action::Connect` / `Action::Receive` carries an absolute deadline; the
//!   wait is raced with a JS timer ([`Delay`]).
//! - TLS (RFC 9887): `Action::Connect { tls: true }` opens the socket with
//!   [`SecureTransport::On`]; the runtime verifies the certificate against the host name.
//!
//! Log lines are JSON on the console (`event`: `tacacs_login`, `tacacs_unavailable`,
//! `tacacs_key_mismatch`, `tacacs_acct_failed`, `tacacs_log`); they carry the user name
//! and the core's operator notes, never a password or a key.

use std::time::Duration;

use casplus::cas::auth::{AuthFailure, AuthRequest, AuthResult};
use casplus::cas::web::Effect;
use casplus::tacacs::acct::AcctRequest;
use casplus::tacacs::login::{
    AcctJob, AcctOutcome, Action, Login, LoginConfig, LoginRequest, MIN_ENTROPY, Outcome, Password,
    accounting_request,
};
use casplus::time::Timestamp;
use futures_util::future::{Either, select};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use worker::{Delay, SecureTransport, Socket};

use crate::platform;

/// The authentication source name served by this module.
pub const SOURCE: &str = "tacacs";

/// Largest read per `Action::Receive` (the core reassembles packets itself).
const READ_CHUNK: usize = 4096;
/// Time allowed for closing a socket (the result does not matter).
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// The adapter inputs common to [`Login`] and [`AcctJob`].
trait Machine {
    type Out;
    fn poll(&mut self) -> Action<Self::Out>;
    fn connected(&mut self, now: Timestamp);
    fn connect_error(&mut self, reason: &str, now: Timestamp);
    fn input(&mut self, bytes: &[u8], now: Timestamp);
    fn timeout(&mut self, now: Timestamp);
    fn closed(&mut self, now: Timestamp);
    fn notes(&self) -> &[String];
}

macro_rules! machine {
    ($t:ty, $out:ty) => {
        impl Machine for $t {
            type Out = $out;
            fn poll(&mut self) -> Action<$out> {
                <$t>::poll(self)
            }
            fn connected(&mut self, now: Timestamp) {
                self.handle_connected(now)
            }
            fn connect_error(&mut self, reason: &str, now: Timestamp) {
                self.handle_connect_error(reason, now)
            }
            fn input(&mut self, bytes: &[u8], now: Timestamp) {
                self.handle_input(bytes, now)
            }
            fn timeout(&mut self, now: Timestamp) {
                self.handle_timeout(now)
            }
            fn closed(&mut self, now: Timestamp) {
                self.handle_closed(now)
            }
            fn notes(&self) -> &[String] {
                self.log()
            }
        }
    };
}

machine!(Login, Outcome);
machine!(AcctJob, AcctOutcome);

/// Time left until `deadline` (zero when it has passed).
fn until(deadline: Timestamp) -> Duration {
    let ms = deadline.millis_since(platform::now()).max(0);
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
    let deadline = platform::now().plus_millis(CLOSE_TIMEOUT.as_millis() as i64);
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
async fn drive<M: Machine>(machine: &mut M) -> M::Out {
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
                        machine.connected(platform::now());
                    }
                    Ok(None) => machine.timeout(platform::now()),
                    Err(e) => machine.connect_error(&e, platform::now()),
                }
            }
            Action::Send(bytes) => {
                let sent = match socket.as_mut() {
                    Some(s) => s.write_all(&bytes).await.is_ok() && s.flush().await.is_ok(),
                    None => false,
                };
                if !sent {
                    machine.closed(platform::now());
                }
            }
            Action::Receive { deadline } => {
                let Some(s) = socket.as_mut() else {
                    machine.closed(platform::now());
                    continue;
                };
                let got = within(deadline, s.read(&mut buf)).await;
                let now = platform::now();
                match got {
                    Waited::Done(Ok(n)) if n > 0 => match buf.get(..n) {
                        Some(bytes) => machine.input(bytes, now),
                        None => machine.closed(now),
                    },
                    Waited::Done(_) => machine.closed(now),
                    Waited::TimedOut => machine.timeout(now),
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

fn log(level: Level, value: &serde_json::Value) {
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
fn log_notes(user: &str, notes: &[String]) {
    for note in notes {
        let event = if note.contains("key mismatch") {
            "tacacs_key_mismatch"
        } else {
            "tacacs_log"
        };
        let level = if event == "tacacs_log" {
            Level::Info
        } else {
            Level::Error
        };
        log(
            level,
            &serde_json::json!({ "event": event, "user": user, "note": note }),
        );
    }
}

/// Checks `request` against the configured TACACS+ servers. `rem_addr`: the browser's
/// address (sent as `rem_addr`, §5.1).
pub async fn authenticate(
    config: &LoginConfig,
    request: &AuthRequest,
    rem_addr: Option<&str>,
) -> AuthResult {
    // Accounting START is sent once the TGT exists (see `acct_start`), not by the login.
    let mut config = config.clone();
    config.accounting = false;
    let now = platform::now();
    let entropy = match entropy() {
        Ok(e) => e,
        Err(e) => {
            log(
                Level::Error,
                &serde_json::json!({ "event": "tacacs_unavailable", "user": request.username, "reason": format!("entropy: {e}") }),
            );
            return AuthResult::Rejected(AuthFailure::Unavailable);
        }
    };
    let login_request = LoginRequest {
        username: request.username.clone(),
        password: Password::new(request.password.expose().as_bytes()),
        rem_addr: rem_addr.unwrap_or_default().to_owned(),
        cas_service: request.service.clone(),
        task_id: String::new(),
    };
    let mut login = match Login::new(&config, login_request, &entropy, now) {
        Ok(l) => l,
        Err(e) => {
            log(
                Level::Error,
                &serde_json::json!({ "event": "tacacs_unavailable", "user": request.username, "reason": e.to_string() }),
            );
            return AuthResult::Rejected(AuthFailure::Unavailable);
        }
    };
    let outcome = drive(&mut login).await;
    let user = request.username.as_str();
    log_notes(user, login.notes());
    let elapsed_ms = platform::now().millis_since(now);
    match outcome {
        Outcome::Authenticated(a) => {
            log(
                Level::Info,
                &serde_json::json!({ "event": "tacacs_login", "user": user, "result": "pass",
                    "server": a.server, "connections": login.connections(), "ms": elapsed_ms }),
            );
            AuthResult::Authenticated {
                principal: a.username,
                attributes: a.attributes,
            }
        }
        Outcome::Rejected {
            message,
            server_msg,
        } => {
            log(
                Level::Info,
                &serde_json::json!({ "event": "tacacs_login", "user": user, "result": "fail",
                    "server_msg": message, "ms": elapsed_ms }),
            );
            match server_msg {
                Some(message) => AuthResult::Refused {
                    failure: AuthFailure::InvalidCredentials,
                    message,
                },
                None => AuthResult::Rejected(AuthFailure::InvalidCredentials),
            }
        }
        Outcome::Unavailable { reason } => {
            log(
                Level::Error,
                &serde_json::json!({ "event": "tacacs_unavailable", "user": user,
                    "reason": reason, "ms": elapsed_ms }),
            );
            AuthResult::Rejected(AuthFailure::Unavailable)
        }
    }
}

/// Sends one accounting record (the core decided it); failures are logged.
async fn send_acct(config: &LoginConfig, request: AcctRequest) {
    let now = platform::now();
    let kind = request.flags.names().join("|").to_lowercase();
    let user = String::from_utf8_lossy(&request.user).into_owned();
    let task_id = request.acct_args().task_id.unwrap_or_default();
    let outcome = match entropy()
        .map_err(|e| format!("entropy: {e}"))
        .and_then(|e| AcctJob::new(config, request, &e, now).map_err(|e| e.to_string()))
    {
        Ok(mut job) => {
            let out = drive(&mut job).await;
            log_notes(&user, job.notes());
            out
        }
        Err(reason) => AcctOutcome::Failed { reason },
    };
    match outcome {
        AcctOutcome::Recorded { server } => log(
            Level::Info,
            &serde_json::json!({ "event": "tacacs_acct", "record": kind, "user": user,
                "task_id": task_id, "server": server }),
        ),
        AcctOutcome::Failed { reason } => log(
            Level::Warn,
            &serde_json::json!({ "event": "tacacs_acct_failed", "record": kind,
                "user": user, "task_id": task_id, "reason": reason }),
        ),
        AcctOutcome::NotSent => {}
    }
}

/// Sends the accounting records the engine's session effects call for (START, WATCHDOG,
/// STOP — the core decides, [`accounting_request`]), one after the other; run it under
/// `wait_until`. Other effects are ignored here.
pub async fn account(config: &LoginConfig, effects: &[Effect]) {
    for effect in effects {
        if let Some(request) = accounting_request(config, effect) {
            send_acct(config, request).await;
        }
    }
}
