//! The TACACS+ login backend, sans-IO: a CAS login checked against TACACS+ servers
//! (RFC 8907), the way a router logs an operator in — authentication (PAP by default, or
//! the ASCII dialogue), then authorization of a service whose AV pairs become the CAS
//! attributes, then an accounting START record. [`AcctJob`] sends the later STOP or
//! WATCHDOG record of the same task.
//!
//! # Driving it
//!
//! The machine never touches a socket or a clock. The adapter (the Worker with
//! `worker::Socket`, a test with `std::net::TcpStream`) loops:
//!
//! ```text
//! loop {
//!     match login.poll() {
//!         Action::Connect { host, port, tls, deadline, .. } => match connect(host, port, tls, deadline) {
//!             Ok(s) => { sock = s; login.handle_connected(now()) }
//!             Err(e) => login.handle_connect_error(&e.to_string(), now()),
//!         },
//!         Action::Send(bytes) => if write_all(&bytes).is_err() { login.handle_closed(now()) },
//!         Action::Receive { deadline } => match read_until(deadline) {
//!             Data(b) => login.handle_input(&b, now()),
//!             Eof | Error => login.handle_closed(now()),
//!             TimedOut => login.handle_timeout(now()),
//!         },
//!         Action::Close => drop(sock),
//!         Action::Done(outcome) => break outcome,
//!     }
//! }
//! ```
//!
//! After a `Connect` the adapter reports the result before polling again. Deadlines are
//! absolute: each server gets `timeout_ms` from the connect, and again from each packet
//! sent, however the reply trickles in.
//!
//! # Decisions
//!
//! - Servers are tried in order. A connect error, a timeout, the connection closing before
//!   a reply, an ERROR status (the server could not complete, see
//!   [`super::session::AuthenNext::Error`]) or a reply that does not de-obfuscate with the
//!   configured key (§4.5, logged as **key mismatch**) moves on to the next server; when
//!   none is left the outcome is [`Outcome::Unavailable`] with a reason for the operator
//!   log — never a login.
//! - FAIL (and the deprecated FOLLOW, §5.4.3) is [`Outcome::Rejected`] with the server's
//!   `server_msg` (meant for the user, §5.2) or a generic message.
//! - A hostile reply — unknown `session_id`, wrong `seq_no`, a length over the maximum, a
//!   flow violation (e.g. GETPASS in a PAP session), GETDATA or more than
//!   [`MAX_PROMPTS`] prompts — aborts the session and denies the login
//!   ([`Outcome::Unavailable`]) without trying further servers (§4.1, §5.4.3).
//! - Authorization (§6) follows a PASS; PASS_ADD / PASS_REPL give the attributes (the
//!   response's AV pairs, less those equal to a pair of the request), FAIL denies, ERROR
//!   fails over.
//! - Accounting (§7) failures are logged and reported in [`Authenticated::accounting`];
//!   they never block the user.
//! - Single Connection Mode (§4.3) is requested when configured; when the server agrees,
//!   authentication, authorization and accounting share one connection, else each opens
//!   its own.
//! - TLS (RFC 9887, "TACACS+ over TLS 1.3", well-known port 300): with
//!   [`ServerSpec::tls`] set the machine asks the adapter for a TLS connection, sets
//!   `TAC_PLUS_UNENCRYPTED_FLAG` on every packet and does not obfuscate — TLS replaces
//!   obfuscation there. The TLS handshake and certificate checks are the adapter's job.
//! - `session_id`s (§4.1) come from a SHA-256 stream keyed by the caller's entropy (≥ 16
//!   bytes from a CSPRNG), one per session.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;
use std::collections::{BTreeMap, VecDeque};

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::DEFAULT_MAX_LENGTH;
use super::acct::AcctRequest;
use super::authen::{AuthenReply, AuthenStart};
use super::author::{AuthorRequest, AvPair};
use super::diag::codes;
use super::enums::{
    AcctFlags, AcctStatus, AuthenMethod, AuthenService, AuthenStatus, AuthenType, AuthorStatus,
    PrivLvl,
};
use super::obfuscate::Key;
use super::session::{AuthenNext, Client, ClientEvent, SessionConfig, SessionError, SingleConnect};
use super::text::escape;
use crate::cas::config::TACACS_SOURCE;
use crate::cas::web::{Effect, EndReason, SessionRecord};
use crate::time::Timestamp;

/// The TACACS+ port (IANA, "tacacs", 49/tcp).
pub const DEFAULT_PORT: u16 = 49;
/// The TACACS+ over TLS port (RFC 9887, "tacacss", 300/tcp).
pub const TLS_PORT: u16 = 300;
/// Default per-server timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;
/// Most GETUSER/GETPASS prompts answered in one ASCII login before it is aborted.
pub const MAX_PROMPTS: u8 = 4;
/// Most CAS services listed in a STOP record.
pub const MAX_ACCT_SERVICES: usize = 200;
/// Fewest bytes of entropy accepted.
pub const MIN_ENTROPY: usize = 16;

const FIELD_MAX: usize = 255;
const DEFAULT_SERVICE: &str = "casplus";
const DEFAULT_CAS_SERVICE_ARG: &str = "cas-service";
const REJECTED_MSG: &str = "Invalid username or password";
const NOT_AUTHORIZED_MSG: &str = "You are not authorized to use this service";

// ---------------------------------------------------------------------------------------
// Configuration

/// One TACACS+ server. `Debug` redacts the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host name or address.
    pub host: String,
    /// TCP port (49, or 300 for TLS).
    pub port: u16,
    /// The shared secret (§4.5); unused with TLS.
    pub key: Key,
    /// How long to wait for a connection, and for each reply.
    pub timeout_ms: u32,
    /// RFC 9887: connect with TLS, send unobfuscated bodies with the UNENCRYPTED flag.
    pub tls: bool,
}

impl ServerSpec {
    /// A plain-TCP server with the default timeout.
    pub fn new(host: impl Into<String>, port: u16, key: Key) -> Self {
        Self {
            host: host.into(),
            port,
            key,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            tls: false,
        }
    }

    fn label(&self) -> String {
        let tls = if self.tls { " (TLS)" } else { "" };
        if self.host.contains(':') {
            format!("[{}]:{}{tls}", self.host, self.port)
        } else {
            format!("{}:{}{tls}", self.host, self.port)
        }
    }

    fn session_config(&self, single_connect: bool, max_length: u32) -> SessionConfig {
        SessionConfig {
            key: if self.tls {
                Key::default()
            } else {
                self.key.clone()
            },
            single_connect,
            max_length,
            unencrypted: self.tls,
        }
    }
}

/// How the password is presented (§5.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthenMode {
    /// PAP: one START carrying user and password (§5.4.2.2).
    #[default]
    Pap,
    /// ASCII login: START with the user, then GETPASS / CONTINUE (§5.4.2.1).
    Ascii,
}

impl AuthenMode {
    fn authen_type(self) -> AuthenType {
        match self {
            Self::Pap => AuthenType::PAP,
            Self::Ascii => AuthenType::ASCII,
        }
    }
}

/// The authorization request sent after a PASS (§6.1).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorConfig {
    /// The `service` value (§8.2), e.g. `casplus`.
    #[serde(default = "default_service")]
    pub service: String,
    /// More arguments, as on the wire (`name=value` mandatory, `name*value` optional).
    #[serde(default)]
    pub args: Vec<String>,
    /// When set, the CAS service URL is sent as the optional argument `NAME*URL`.
    #[serde(default)]
    pub cas_service_arg: Option<String>,
}

fn default_service() -> String {
    DEFAULT_SERVICE.into()
}

impl Default for AuthorConfig {
    fn default() -> Self {
        Self {
            service: default_service(),
            args: Vec::new(),
            cas_service_arg: None,
        }
    }
}

/// Everything the login backend needs to know about the TACACS+ side.
///
/// JSON form ([`LoginConfig::from_json`]):
///
/// ```text
/// {"servers": [{"host": "10.0.0.5", "port": 49, "key": "secret" | "key_hex": "…",
///               "timeout_ms": 5000, "tls": false}, …],
///  "authen": "pap" | "ascii",
///  "authorization": {"service": "casplus", "args": ["…"], "cas_service_arg": "cas-service"},
///  "accounting": true, "watchdog_seconds": 600, "single_connect": true, "port": "casplus"}
/// ```
///
/// `authorization` absent or `null`: no authorization request (no attributes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginConfig {
    /// Servers, in the order they are tried.
    pub servers: Vec<ServerSpec>,
    /// PAP or ASCII.
    pub authen_mode: AuthenMode,
    /// The authorization request, or `None` to skip authorization.
    pub authorization: Option<AuthorConfig>,
    /// Send accounting records (START at login; STOP / WATCHDOG through [`AcctJob`]).
    pub accounting: bool,
    /// Interim updates (§7.2 WATCHDOG): at most one per this many seconds of a session,
    /// sent when the session is used after an interval boundary ([`watchdog_due`]);
    /// `None`: no WATCHDOG records.
    pub watchdog_seconds: Option<u32>,
    /// Ask for Single Connection Mode (§4.3).
    pub single_connect: bool,
    /// The `port` field of every request (the "NAS port"; §5.1), e.g. `casplus`.
    pub port: String,
    /// Largest reply body accepted (§4.1; default 2^16).
    pub max_length: u32,
}

impl LoginConfig {
    /// PAP, no authorization, no accounting, single-connect requested, port `casplus`.
    pub fn new(servers: Vec<ServerSpec>) -> Self {
        Self {
            servers,
            authen_mode: AuthenMode::Pap,
            authorization: None,
            accounting: false,
            watchdog_seconds: None,
            single_connect: true,
            port: DEFAULT_SERVICE.into(),
            max_length: DEFAULT_MAX_LENGTH,
        }
    }

    /// Reads the JSON form (see the type docs).
    pub fn from_json(text: &str) -> Result<Self, LoginError> {
        let raw: RawLoginConfig =
            serde_json::from_str(text).map_err(|e| LoginError::Config(e.to_string()))?;
        let mut servers = Vec::with_capacity(raw.servers.len());
        for (i, s) in raw.servers.into_iter().enumerate() {
            let key = match (s.key, s.key_hex) {
                (Some(k), None) => Key::from_text(&k),
                (None, Some(h)) => Key::from_hex(&h)
                    .map_err(|e| LoginError::Config(format!("servers[{i}].key_hex: {e}")))?,
                (None, None) if s.tls => Key::default(),
                _ => {
                    return Err(LoginError::Config(format!(
                        "servers[{i}]: give exactly one of key / key_hex"
                    )));
                }
            };
            servers.push(ServerSpec {
                port: s
                    .port
                    .unwrap_or(if s.tls { TLS_PORT } else { DEFAULT_PORT }),
                host: s.host,
                key,
                timeout_ms: s.timeout_ms,
                tls: s.tls,
            });
        }
        if servers.is_empty() {
            return Err(LoginError::NoServers);
        }
        Ok(Self {
            servers,
            authen_mode: raw.authen,
            authorization: raw.authorization,
            accounting: raw.accounting,
            watchdog_seconds: raw.watchdog_seconds,
            single_connect: raw.single_connect,
            port: raw.port,
            max_length: DEFAULT_MAX_LENGTH,
        })
    }

    fn service(&self) -> &str {
        self.authorization
            .as_ref()
            .map_or(DEFAULT_SERVICE, |a| a.service.as_str())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    host: String,
    port: Option<u16>,
    key: Option<String>,
    key_hex: Option<String>,
    #[serde(default = "default_timeout")]
    timeout_ms: u32,
    #[serde(default)]
    tls: bool,
}

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MS
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoginConfig {
    servers: Vec<RawServer>,
    #[serde(default)]
    authen: AuthenMode,
    #[serde(default)]
    authorization: Option<AuthorConfig>,
    #[serde(default)]
    accounting: bool,
    #[serde(default)]
    watchdog_seconds: Option<u32>,
    #[serde(default = "default_true")]
    single_connect: bool,
    #[serde(default = "default_service")]
    port: String,
}

/// A misuse of the login backend by its caller (not a login failure).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The configuration lists no server.
    #[error("no TACACS+ server configured")]
    NoServers,
    /// Fewer than [`MIN_ENTROPY`] bytes of entropy.
    #[error("need {MIN_ENTROPY} bytes of entropy, got {0}")]
    NotEnoughEntropy(usize),
    /// The JSON configuration is wrong.
    #[error("TACACS+ login configuration: {0}")]
    Config(String),
}

// ---------------------------------------------------------------------------------------
// Requests and outcomes

/// A password on its way to the server. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Vec<u8>);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<Vec<u8>>) -> Self {
        Self(password.into())
    }

    /// The bytes; never log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// One login attempt.
#[derive(Clone, Debug)]
pub struct LoginRequest {
    /// The user name as typed (1–255 bytes).
    pub username: String,
    /// The password (1–255 bytes).
    pub password: Password,
    /// The browser's address, sent as `rem_addr` (§5.1).
    pub rem_addr: String,
    /// The CAS service the login is for, sent when [`AuthorConfig::cas_service_arg`] is set.
    pub cas_service: Option<String>,
    /// The accounting `task_id` (§8.3) of the SSO session this login starts; the same id
    /// goes into the STOP record. Not a secret: never the TGT id itself.
    pub task_id: String,
}

/// A successful login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The user name.
    pub username: String,
    /// Index of the server that authenticated the user.
    pub server: usize,
    /// The authorization status, `None` when authorization is not configured.
    pub authorization: Option<AuthorStatus>,
    /// The authorized AV pairs (e.g. `priv-lvl`, `groups`), name → values in order.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// What became of the accounting START record.
    pub accounting: AcctOutcome,
}

/// The result of a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Authenticated (and authorized, when configured).
    Authenticated(Authenticated),
    /// FAIL from the server: show `message` on the login form.
    Rejected {
        /// For the user (escaped text): the server's message, or a generic one.
        message: String,
        /// The server's own `server_msg` (§5.2: "a message to be displayed to the user";
        /// §6.2), escaped and clipped to 200 bytes; `None` when it sent none (or the login
        /// was refused before asking).
        server_msg: Option<String>,
    },
    /// No server gave a trustworthy answer: show "authentication service unavailable";
    /// `reason` is for the operator log only (it may say "key mismatch").
    Unavailable {
        /// For the operator.
        reason: String,
    },
}

/// What became of an accounting record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcctOutcome {
    /// No record was sent (accounting off, or the login failed first).
    NotSent,
    /// The server at this index answered SUCCESS.
    Recorded {
        /// Server index.
        server: usize,
    },
    /// No server recorded it (logged; never blocks the user).
    Failed {
        /// For the operator.
        reason: String,
    },
}

/// What the adapter does next.
#[derive(Clone, PartialEq, Eq)]
pub enum Action<O> {
    /// Open a connection (TLS when `tls`); report with `handle_connected` or
    /// `handle_connect_error`. Any previous connection is already closed.
    Connect {
        /// Index in [`LoginConfig::servers`].
        server: usize,
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// RFC 9887 TLS.
        tls: bool,
        /// Give up (and call `handle_timeout`) at this time.
        deadline: Timestamp,
    },
    /// Write these bytes on the connection.
    Send(Vec<u8>),
    /// Read; report with `handle_input`, `handle_closed`, or `handle_timeout` at `deadline`.
    Receive {
        /// Absolute deadline for the reply.
        deadline: Timestamp,
    },
    /// Close the connection.
    Close,
    /// Finished (returned again on every later poll).
    Done(O),
}

impl<O: fmt::Debug> fmt::Debug for Action<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect {
                server,
                host,
                port,
                tls,
                deadline,
            } => f
                .debug_struct("Connect")
                .field("server", server)
                .field("host", host)
                .field("port", port)
                .field("tls", tls)
                .field("deadline", deadline)
                .finish(),
            Self::Send(b) => write!(f, "Send(<{} bytes>)", b.len()),
            Self::Receive { deadline } => f
                .debug_struct("Receive")
                .field("deadline", deadline)
                .finish(),
            Self::Close => f.write_str("Close"),
            Self::Done(o) => f.debug_tuple("Done").field(o).finish(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Accounting records (§7.1, §8.3)

/// The SSO session an accounting record is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcctRecord {
    /// The user.
    pub username: String,
    /// The browser's address at login.
    pub rem_addr: String,
    /// `task_id` shared by START, WATCHDOG and STOP.
    pub task_id: String,
    /// When the SSO session (TGT) started.
    pub started: Timestamp,
    /// CAS services used during the session (listed in STOP).
    pub services: Vec<String>,
    /// Why it ended (STOP `reason`, e.g. `logout`, `expired`).
    pub reason: Option<String>,
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

fn arg(name: &str, sep: char, value: &str) -> Vec<u8> {
    clip(&format!("{name}{sep}{value}"), FIELD_MAX)
        .as_bytes()
        .to_vec()
}

fn acct_base(cfg: &LoginConfig, rec: &AcctRecord, flags: AcctFlags) -> AcctRequest {
    AcctRequest {
        flags,
        authen_method: AuthenMethod::TACACSPLUS,
        priv_lvl: PrivLvl::USER,
        authen_type: cfg.authen_mode.authen_type(),
        authen_service: AuthenService::LOGIN,
        user: clip(&rec.username, FIELD_MAX).as_bytes().to_vec(),
        port: clip(&cfg.port, FIELD_MAX).as_bytes().to_vec(),
        rem_addr: clip(&rec.rem_addr, FIELD_MAX).as_bytes().to_vec(),
        args: vec![
            arg("task_id", '=', &rec.task_id),
            arg("start_time", '=', &rec.started.as_secs().to_string()),
            arg("timezone", '=', "UTC"),
            arg("service", '=', cfg.service()),
        ],
        ..Default::default()
    }
}

/// The START record for a new SSO session (§7.1 START; §8.3 `task_id`, `start_time`,
/// `timezone`, `service`).
pub fn acct_start(cfg: &LoginConfig, rec: &AcctRecord) -> AcctRequest {
    acct_base(cfg, rec, AcctFlags::START)
}

fn elapsed(rec: &AcctRecord, now: Timestamp) -> String {
    (now.millis_since(rec.started).max(0) / 1000).to_string()
}

/// The STOP record at logout or TGT expiry, the task having stopped at `now`: `stop_time`,
/// `elapsed_time`, `reason`, and one `cas-service` argument per service used (at most
/// [`MAX_ACCT_SERVICES`], each clipped to the 255-byte argument limit).
pub fn acct_stop(cfg: &LoginConfig, rec: &AcctRecord, now: Timestamp) -> AcctRequest {
    let mut r = acct_base(cfg, rec, AcctFlags::STOP);
    r.args
        .push(arg("stop_time", '=', &now.as_secs().to_string()));
    r.args.push(arg("elapsed_time", '=', &elapsed(rec, now)));
    if let Some(reason) = &rec.reason {
        r.args.push(arg("reason", '=', reason));
    }
    push_services(cfg, rec, &mut r);
    r
}

/// A WATCHDOG record (§7.2: "an interim update ... of a task that is still running";
/// the START flag is not set, so it carries no update of the START arguments) with
/// `elapsed_time` (§8.3) and the CAS services used so far.
pub fn acct_watchdog(cfg: &LoginConfig, rec: &AcctRecord, now: Timestamp) -> AcctRequest {
    let mut r = acct_base(cfg, rec, AcctFlags::WATCHDOG);
    r.args.push(arg("elapsed_time", '=', &elapsed(rec, now)));
    push_services(cfg, rec, &mut r);
    r
}

fn push_services(cfg: &LoginConfig, rec: &AcctRecord, r: &mut AcctRequest) {
    let name = cas_service_arg(cfg);
    for s in rec.services.iter().take(MAX_ACCT_SERVICES) {
        r.args.push(arg(name, '=', s));
    }
}

fn cas_service_arg(cfg: &LoginConfig) -> &str {
    cfg.authorization
        .as_ref()
        .and_then(|a| a.cas_service_arg.as_deref())
        .unwrap_or(DEFAULT_CAS_SERVICE_ARG)
}

/// Whether a WATCHDOG is due for a session started at `started`, used before at
/// `previous_use` and again at `now`, with one update per `interval_seconds`: when an
/// interval boundary (`started + k·interval`) lies in `(previous_use, now]`. Stateless:
/// at most one update per interval, and none for a session not used in between (its
/// STOP says the rest).
pub fn watchdog_due(
    started: Timestamp,
    previous_use: Timestamp,
    now: Timestamp,
    interval_seconds: u32,
) -> bool {
    let interval = i64::from(interval_seconds).saturating_mul(1000);
    if interval <= 0 {
        return false;
    }
    let period = |t: Timestamp| t.millis_since(started).max(0) / interval;
    period(now) > period(previous_use)
}

/// The accounting record (§7.1) a session lifecycle effect of the CAS engine calls for, if
/// any — the core's decision, so the adapter only sends it ([`AcctJob`]):
///
/// - only with `accounting` on, and only for sessions authenticated by TACACS+
///   ([`crate::cas::config::TACACS_SOURCE`]);
/// - [`Effect::SessionStarted`] → START (`task_id`, `start_time`, `timezone`, `service`);
/// - [`Effect::SessionUsed`] → WATCHDOG when [`LoginConfig::watchdog_seconds`] is set and
///   [`watchdog_due`];
/// - [`Effect::SessionEnded`] → STOP with `stop_time` = the session's end (for an expired
///   session the policy's expiry instant), `elapsed_time`, `reason` and the CAS services
///   (§8.3);
/// - anything else (single logout) → `None`.
///
/// `rem_addr` is the client address of the request behind the effect (empty for an alarm).
pub fn accounting_request(cfg: &LoginConfig, effect: &Effect) -> Option<AcctRequest> {
    if !cfg.accounting {
        return None;
    }
    let record = |s: &SessionRecord, reason: Option<EndReason>| AcctRecord {
        username: s.principal.clone(),
        rem_addr: s.client_address.clone().unwrap_or_default(),
        task_id: s.task_id.clone(),
        started: s.started_at,
        services: s.services.clone(),
        reason: reason.map(|r| r.as_str().to_owned()),
    };
    let ours = |s: &SessionRecord| s.source == TACACS_SOURCE;
    match effect {
        Effect::SessionStarted(s) if ours(s) => Some(acct_start(cfg, &record(s, None))),
        Effect::SessionUsed {
            session,
            previous_use,
            now,
        } if ours(session) => {
            let interval = cfg.watchdog_seconds?;
            watchdog_due(session.started_at, *previous_use, *now, interval)
                .then(|| acct_watchdog(cfg, &record(session, None), *now))
        }
        Effect::SessionEnded {
            session,
            reason,
            ended_at,
        } if ours(session) => Some(acct_stop(cfg, &record(session, Some(*reason)), *ended_at)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The engine shared by Login and AcctJob

#[derive(Clone, Debug)]
enum Step {
    Authen { mode: AuthenMode, restarted: bool },
    Author(AuthorRequest),
    Acct(AcctRequest),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StepKind {
    Authen,
    Author,
    Acct,
}

impl Step {
    fn kind(&self) -> StepKind {
        match self {
            Self::Authen { .. } => StepKind::Authen,
            Self::Author(_) => StepKind::Author,
            Self::Acct(_) => StepKind::Acct,
        }
    }
}

#[derive(Clone, Debug)]
enum StepResult {
    AuthenPass {
        server: usize,
    },
    AuthenFail {
        message: String,
        server_msg: Option<String>,
    },
    AuthorPass {
        status: AuthorStatus,
        request: Vec<Vec<u8>>,
        response: Vec<Vec<u8>>,
    },
    AuthorFail {
        message: String,
        server_msg: Option<String>,
    },
    AcctOk {
        server: usize,
    },
    /// No server could answer (or an early refusal).
    Unavailable {
        kind: StepKind,
        reason: String,
    },
    /// A hostile reply.
    Violation {
        kind: StepKind,
        reason: String,
    },
}

enum Conn {
    Closed,
    Connecting,
    Open(Box<Client>),
}

#[derive(Clone, Copy, Debug)]
enum Wait {
    Idle,
    Reply { session_id: u32, prompts: u8 },
}

enum Out {
    Connect(usize),
    Send(Vec<u8>),
    Close,
}

enum Polled {
    Act(Action<()>),
    Finished,
}

struct Creds {
    username: Vec<u8>,
    password: Password,
    port: Vec<u8>,
    rem_addr: Vec<u8>,
}

struct Engine {
    servers: Vec<ServerSpec>,
    single_connect: bool,
    max_length: u32,
    seed: [u8; 32],
    draws: u64,
    now: Timestamp,
    deadline: Timestamp,
    conn: Conn,
    server: usize,
    tried: usize,
    failures: Vec<String>,
    wait: Wait,
    steps: VecDeque<Step>,
    results: Vec<StepResult>,
    out: VecDeque<Out>,
    log: Vec<String>,
    connections: usize,
    finished: bool,
    creds: Creds,
}

fn user_message(server_msg: &[u8], default: &str) -> String {
    if server_msg.is_empty() {
        default.into()
    } else {
        clip(&escape(server_msg), 200).to_string()
    }
}

/// The server's `server_msg` for the user (§5.2, §6.2), escaped and clipped; `None` when
/// it sent none.
fn server_text(server_msg: &[u8]) -> Option<String> {
    (!server_msg.is_empty()).then(|| clip(&escape(server_msg), 200).to_string())
}

fn server_msg_suffix(msg: &[u8]) -> String {
    if msg.is_empty() {
        String::new()
    } else {
        format!(" ({})", clip(&escape(msg), 200))
    }
}

impl Engine {
    fn new(
        cfg: &LoginConfig,
        steps: Vec<Step>,
        creds: Creds,
        entropy: &[u8],
        now: Timestamp,
    ) -> Result<Self, LoginError> {
        if cfg.servers.is_empty() {
            return Err(LoginError::NoServers);
        }
        if entropy.len() < MIN_ENTROPY {
            return Err(LoginError::NotEnoughEntropy(entropy.len()));
        }
        let seed: [u8; 32] = Sha256::new()
            .chain_update(b"casplus tacacs login seed")
            .chain_update(entropy)
            .finalize()
            .into();
        Ok(Self {
            servers: cfg.servers.clone(),
            single_connect: cfg.single_connect,
            max_length: cfg.max_length,
            seed,
            draws: 0,
            now,
            deadline: now,
            conn: Conn::Closed,
            server: 0,
            tried: 0,
            failures: Vec::new(),
            wait: Wait::Idle,
            steps: steps.into(),
            results: Vec::new(),
            out: VecDeque::new(),
            log: Vec::new(),
            connections: 0,
            finished: false,
            creds,
        })
    }

    /// Four fresh bytes for a `session_id` (§4.1): SHA-256(seed ‖ counter).
    fn session_entropy(&mut self) -> [u8; 4] {
        let d = Sha256::new()
            .chain_update(self.seed)
            .chain_update(self.draws.to_be_bytes())
            .finalize();
        self.draws = self.draws.wrapping_add(1);
        let mut out = [0u8; 4];
        for (o, b) in out.iter_mut().zip(d.iter()) {
            *o = *b;
        }
        out
    }

    fn spec(&self) -> Option<&ServerSpec> {
        self.servers.get(self.server)
    }

    fn label(&self) -> String {
        self.spec().map_or_else(|| "?".into(), ServerSpec::label)
    }

    fn timeout_deadline(&self) -> Timestamp {
        self.now
            .plus_millis(self.spec().map_or(0, |s| i64::from(s.timeout_ms)))
    }

    fn close_conn(&mut self) {
        if !matches!(self.conn, Conn::Closed) {
            self.out.push_back(Out::Close);
            self.conn = Conn::Closed;
        }
    }

    fn finish(&mut self) {
        self.close_conn();
        self.steps.clear();
        self.finished = true;
    }

    fn current_kind(&self) -> StepKind {
        self.steps.front().map_or(StepKind::Authen, Step::kind)
    }

    /// Emits what the current state needs next (connect, start a session, finish).
    fn advance(&mut self) {
        loop {
            if self.finished {
                return;
            }
            if self.steps.is_empty() {
                self.finish();
                return;
            }
            match &self.conn {
                Conn::Closed => {
                    self.conn = Conn::Connecting;
                    self.connections = self.connections.saturating_add(1);
                    self.deadline = self.timeout_deadline();
                    self.out.push_back(Out::Connect(self.server));
                    return;
                }
                Conn::Connecting => return,
                Conn::Open(_) => match self.wait {
                    Wait::Reply { .. } => return,
                    Wait::Idle => {
                        if self.start_step() {
                            return;
                        }
                    }
                },
            }
        }
    }

    /// Starts the current step's session; false when the state changed otherwise
    /// (connection closed, or the step completed) and `advance` must look again.
    fn start_step(&mut self) -> bool {
        let Some(step) = self.steps.front().cloned() else {
            return false;
        };
        let kind = step.kind();
        let entropy = self.session_entropy();
        let Conn::Open(client) = &mut self.conn else {
            return false;
        };
        let c = &self.creds;
        let result = match step {
            Step::Authen { mode, .. } => {
                let start = match mode {
                    AuthenMode::Pap => {
                        AuthenStart::pap(&c.username, c.password.expose(), &c.port, &c.rem_addr)
                    }
                    AuthenMode::Ascii => {
                        AuthenStart::ascii_login(&c.username, &c.port, &c.rem_addr)
                    }
                };
                client.start_authen(&entropy, start)
            }
            Step::Author(req) => client.start_author(&entropy, req),
            Step::Acct(req) => client.start_acct(&entropy, req),
        };
        match result {
            Ok(t) => {
                self.out.push_back(Out::Send(t.bytes));
                self.wait = Wait::Reply {
                    session_id: t.session_id,
                    prompts: 0,
                };
                self.deadline = self.timeout_deadline();
                true
            }
            Err(SessionError::Closing | SessionError::SingleConnectPending) => {
                // No second session on this connection: open a new one.
                self.close_conn();
                false
            }
            Err(e) => {
                self.complete(StepResult::Unavailable {
                    kind,
                    reason: format!("cannot start a session: {e}"),
                });
                false
            }
        }
    }

    /// Records the current step's result and moves on (or stops, when it decides the
    /// login); keeps the connection only for a negotiated single-connect.
    fn complete(&mut self, result: StepResult) {
        let decisive = match &result {
            StepResult::AuthenFail { .. } | StepResult::AuthorFail { .. } => true,
            StepResult::Unavailable { kind, .. } | StepResult::Violation { kind, .. } => {
                *kind != StepKind::Acct
            }
            _ => false,
        };
        let violation = matches!(result, StepResult::Violation { .. });
        self.results.push(result);
        if decisive {
            self.steps.clear();
        } else {
            self.steps.pop_front();
        }
        self.wait = Wait::Idle;
        self.tried = 0;
        self.failures.clear();
        self.keep_or_close(violation);
    }

    fn keep_or_close(&mut self, violation: bool) {
        let reuse = match &self.conn {
            Conn::Open(c) => {
                !violation
                    && !self.steps.is_empty()
                    && !c.is_closing()
                    && c.single_connect() == SingleConnect::Negotiated
            }
            _ => false,
        };
        if !reuse {
            self.close_conn();
        }
    }

    /// The current server failed: log it, and try the next one (or give up).
    fn fail_server(&mut self, reason: String) {
        let label = self.label();
        self.log.push(format!("tacacs+ server {label}: {reason}"));
        self.failures.push(format!("{label}: {reason}"));
        self.close_conn();
        self.wait = Wait::Idle;
        self.tried = self.tried.saturating_add(1);
        if self.tried >= self.servers.len() {
            let kind = self.current_kind();
            let reason = format!(
                "no TACACS+ server could answer: {}",
                self.failures.join("; ")
            );
            self.complete(StepResult::Unavailable { kind, reason });
        } else {
            self.server = (self.server + 1) % self.servers.len().max(1);
            let next = self.label();
            self.log
                .push(format!("tacacs+: failing over to server {next}"));
        }
    }

    /// A hostile reply: abort, deny, no failover.
    fn violation(&mut self, reason: String) {
        let label = self.label();
        self.log.push(format!(
            "tacacs+ server {label}: protocol violation, session aborted: {reason}"
        ));
        let kind = self.current_kind();
        self.complete(StepResult::Violation {
            kind,
            reason: format!("protocol violation by {label}: {reason}"),
        });
    }

    fn on_event(&mut self, ev: ClientEvent) {
        match ev {
            ClientEvent::AuthenReply { reply, next, .. } => self.on_authen(&reply, next),
            ClientEvent::AuthorResponse { response, .. } => {
                let Some(Step::Author(req)) = self.steps.front().cloned() else {
                    return self.violation("an authorization response out of turn".into());
                };
                match response.status {
                    AuthorStatus::PASS_ADD | AuthorStatus::PASS_REPL => {
                        self.complete(StepResult::AuthorPass {
                            status: response.status,
                            request: req.args,
                            response: response.args,
                        });
                    }
                    AuthorStatus::FAIL | AuthorStatus::FOLLOW => {
                        self.log.push(format!(
                            "tacacs+ server {}: authorization FAIL{}",
                            self.label(),
                            server_msg_suffix(&response.server_msg)
                        ));
                        self.complete(StepResult::AuthorFail {
                            message: user_message(&response.server_msg, NOT_AUTHORIZED_MSG),
                            server_msg: server_text(&response.server_msg),
                        });
                    }
                    AuthorStatus::ERROR => self.fail_server(format!(
                        "authorization ERROR{}",
                        server_msg_suffix(&response.server_msg)
                    )),
                    s => self.violation(format!("authorization status {s}")),
                }
            }
            ClientEvent::AcctReply { reply, .. } => {
                if !matches!(self.steps.front(), Some(Step::Acct(_))) {
                    return self.violation("an accounting reply out of turn".into());
                }
                if reply.status == AcctStatus::SUCCESS {
                    let server = self.server;
                    self.complete(StepResult::AcctOk { server });
                } else {
                    self.fail_server(format!(
                        "accounting {}{}",
                        reply.status,
                        server_msg_suffix(&reply.server_msg)
                    ));
                }
            }
            ClientEvent::Rejected { diagnostics, .. } => {
                if diagnostics.iter().any(|d| d.code == codes::WRONG_KEY) {
                    self.fail_server(
                        "key mismatch: the reply does not de-obfuscate with the configured key (§4.5)"
                            .into(),
                    );
                } else {
                    let what: Vec<String> = diagnostics
                        .iter()
                        .take(4)
                        .map(|d| format!("{} ({})", d.code, d.message))
                        .collect();
                    self.violation(format!("reply rejected: {}", what.join(", ")));
                }
            }
            ClientEvent::Close => {
                if matches!(self.wait, Wait::Reply { .. }) {
                    self.fail_server("the connection ended before a reply".into());
                } else {
                    self.close_conn();
                }
            }
        }
    }

    fn on_authen(&mut self, reply: &AuthenReply, next: AuthenNext) {
        let Some(Step::Authen { mode, restarted }) = self.steps.front().cloned() else {
            return self.violation("an authentication reply out of turn".into());
        };
        let Wait::Reply {
            session_id,
            prompts,
        } = self.wait
        else {
            return self.violation("an authentication reply out of turn".into());
        };
        match next {
            AuthenNext::Pass => {
                let server = self.server;
                self.complete(StepResult::AuthenPass { server });
            }
            AuthenNext::Fail => {
                self.log.push(format!(
                    "tacacs+ server {}: authentication FAIL{}",
                    self.label(),
                    server_msg_suffix(&reply.server_msg)
                ));
                self.complete(StepResult::AuthenFail {
                    message: user_message(&reply.server_msg, REJECTED_MSG),
                    server_msg: server_text(&reply.server_msg),
                });
            }
            AuthenNext::Error => self.fail_server(format!(
                "authentication ERROR{}",
                server_msg_suffix(&reply.server_msg)
            )),
            AuthenNext::Restart => {
                if mode == AuthenMode::Pap && !restarted {
                    self.log.push(format!(
                        "tacacs+ server {}: RESTART for PAP, retrying with ASCII login (§5.4.3)",
                        self.label()
                    ));
                    if let Some(s) = self.steps.front_mut() {
                        *s = Step::Authen {
                            mode: AuthenMode::Ascii,
                            restarted: true,
                        };
                    }
                    self.wait = Wait::Idle;
                    self.keep_or_close(false);
                } else {
                    self.fail_server("RESTART: no acceptable authen_type".into());
                }
            }
            AuthenNext::Continue { status, .. } => {
                let answer = match status {
                    AuthenStatus::GETUSER => Some(self.creds.username.clone()),
                    AuthenStatus::GETPASS => Some(self.creds.password.expose().to_vec()),
                    _ => None,
                };
                let Conn::Open(client) = &mut self.conn else {
                    return;
                };
                let (answer, why) = match answer {
                    Some(_) if prompts >= MAX_PROMPTS => (None, "too many prompts"),
                    Some(a) => (Some(a), ""),
                    None => (None, "GETDATA, which a web login cannot answer"),
                };
                match answer {
                    Some(a) => match client.continue_authen(session_id, &a, b"") {
                        Ok(t) => {
                            self.out.push_back(Out::Send(t.bytes));
                            self.wait = Wait::Reply {
                                session_id,
                                prompts: prompts.saturating_add(1),
                            };
                            self.deadline = self.timeout_deadline();
                        }
                        Err(e) => self.violation(format!("cannot continue the dialogue: {e}")),
                    },
                    None => {
                        // §5.4.3: tell the server, then drop the session.
                        if let Ok(t) = client.abort_authen(session_id, why.as_bytes()) {
                            self.out.push_back(Out::Send(t.bytes));
                        }
                        self.violation(format!("the server asked for {why}"));
                    }
                }
            }
        }
    }

    // --- adapter inputs ---

    fn handle_connected(&mut self, now: Timestamp) {
        self.now = now;
        if matches!(self.conn, Conn::Connecting)
            && let Some(spec) = self.spec()
        {
            let cfg = spec.session_config(self.single_connect, self.max_length);
            self.conn = Conn::Open(Box::new(Client::new(cfg)));
        }
        self.advance();
    }

    fn handle_connect_error(&mut self, reason: &str, now: Timestamp) {
        self.now = now;
        if matches!(self.conn, Conn::Connecting) {
            self.conn = Conn::Closed;
            self.fail_server(format!("connect failed: {}", clip(reason, 200)));
        }
        self.advance();
    }

    fn handle_input(&mut self, bytes: &[u8], now: Timestamp) {
        self.now = now;
        let events = match &mut self.conn {
            Conn::Open(c) if !self.finished => c.handle_input(bytes),
            _ => return,
        };
        for ev in events {
            if self.finished || !matches!(self.conn, Conn::Open(_)) {
                break;
            }
            self.on_event(ev);
        }
        self.advance();
    }

    fn handle_timeout(&mut self, now: Timestamp) {
        self.now = now;
        let waiting = matches!(self.conn, Conn::Connecting)
            || (matches!(self.conn, Conn::Open(_)) && matches!(self.wait, Wait::Reply { .. }));
        if waiting && !self.finished {
            let ms = self.spec().map_or(0, |s| s.timeout_ms);
            self.fail_server(format!("no answer within {ms} ms"));
        }
        self.advance();
    }

    fn handle_closed(&mut self, now: Timestamp) {
        self.now = now;
        match (&self.conn, self.wait) {
            (Conn::Open(_), Wait::Reply { .. }) => {
                self.conn = Conn::Closed;
                self.fail_server(
                    "connection closed before the reply (a server that cannot de-obfuscate a \
                     request may just hang up: check the key)"
                        .into(),
                );
            }
            (Conn::Connecting, _) => {
                self.conn = Conn::Closed;
                self.fail_server("connect failed: closed".into());
            }
            _ => self.conn = Conn::Closed,
        }
        self.advance();
    }

    fn poll(&mut self) -> Polled {
        if self.out.is_empty() && !self.finished {
            self.advance();
        }
        if let Some(o) = self.out.pop_front() {
            return Polled::Act(match o {
                Out::Connect(i) => self.connect_action(i),
                Out::Send(b) => Action::Send(b),
                Out::Close => Action::Close,
            });
        }
        if self.finished {
            return Polled::Finished;
        }
        match (&self.conn, self.wait) {
            (Conn::Open(_), Wait::Reply { .. }) => Polled::Act(Action::Receive {
                deadline: self.deadline,
            }),
            // The adapter polled before reporting the connect: repeat the request.
            (Conn::Connecting, _) => Polled::Act(self.connect_action(self.server)),
            _ => {
                // Unreachable by construction; never spin.
                self.results.push(StepResult::Unavailable {
                    kind: self.current_kind(),
                    reason: "internal: the login machine stalled".into(),
                });
                self.finish();
                match self.out.pop_front() {
                    Some(Out::Close) => Polled::Act(Action::Close),
                    _ => Polled::Finished,
                }
            }
        }
    }

    fn connect_action(&self, i: usize) -> Action<()> {
        let (host, port, tls) = self.servers.get(i).map_or((String::new(), 0, false), |s| {
            (s.host.clone(), s.port, s.tls)
        });
        Action::Connect {
            server: i,
            host,
            port,
            tls,
            deadline: self.deadline,
        }
    }
}

fn map_action<O>(a: Action<()>) -> Action<O> {
    match a {
        Action::Connect {
            server,
            host,
            port,
            tls,
            deadline,
        } => Action::Connect {
            server,
            host,
            port,
            tls,
            deadline,
        },
        Action::Send(b) => Action::Send(b),
        Action::Receive { deadline } => Action::Receive { deadline },
        Action::Close | Action::Done(()) => Action::Close,
    }
}

/// The attributes a PASS_ADD / PASS_REPL grants (§6.2): the response's pairs, less those
/// equal to a pair of the request (ours, e.g. `service=casplus`), name → values in order.
fn attributes(request: &[Vec<u8>], response: &[Vec<u8>]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in response {
        let av = AvPair::split(a);
        if av.separator.is_none() || av.name.is_empty() {
            continue;
        }
        let ours = request.iter().any(|r| {
            let rv = AvPair::split(r);
            rv.name == av.name && rv.value == av.value
        });
        if !ours {
            out.entry(escape(av.name))
                .or_default()
                .push(escape(av.value));
        }
    }
    out
}

macro_rules! adapter_inputs {
    () => {
        /// The connection asked for by [`Action::Connect`] is open.
        pub fn handle_connected(&mut self, now: Timestamp) {
            self.engine.handle_connected(now);
        }

        /// The connection could not be opened (refused, unreachable, TLS failure…);
        /// `reason` goes to the operator log.
        pub fn handle_connect_error(&mut self, reason: &str, now: Timestamp) {
            self.engine.handle_connect_error(reason, now);
        }

        /// Bytes arrived on the connection.
        pub fn handle_input(&mut self, bytes: &[u8], now: Timestamp) {
            self.engine.handle_input(bytes, now);
        }

        /// The deadline of the pending [`Action::Connect`] or [`Action::Receive`] passed.
        pub fn handle_timeout(&mut self, now: Timestamp) {
            self.engine.handle_timeout(now);
        }

        /// The peer closed the connection, or reading / writing failed.
        pub fn handle_closed(&mut self, now: Timestamp) {
            self.engine.handle_closed(now);
        }

        /// Operator log lines so far (failovers, key mismatch, violations, FAIL notes).
        /// Never contains a password or a key.
        pub fn log(&self) -> &[String] {
            &self.engine.log
        }

        /// How many connections were asked for so far (single-connect reuse shows here).
        pub fn connections(&self) -> usize {
            self.engine.connections
        }
    };
}

// ---------------------------------------------------------------------------------------
// Login

/// One CAS login checked against TACACS+ (see the module docs).
pub struct Login {
    engine: Engine,
    username: String,
    authorization: bool,
    accounting: bool,
    early: Option<Outcome>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .field("steps_left", &self.engine.steps.len())
            .field("finished", &self.engine.finished)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// Prepares a login. `entropy`: at least [`MIN_ENTROPY`] fresh bytes from a CSPRNG
    /// (session ids are derived from it). A user name or password that is empty or longer
    /// than a TACACS+ field (255 bytes) is rejected at once, without a connection.
    pub fn new(
        config: &LoginConfig,
        request: LoginRequest,
        entropy: &[u8],
        now: Timestamp,
    ) -> Result<Self, LoginError> {
        let mut steps = vec![Step::Authen {
            mode: config.authen_mode,
            restarted: false,
        }];
        if let Some(a) = &config.authorization {
            let mut args = vec![arg("service", '=', &a.service)];
            args.extend(
                a.args
                    .iter()
                    .map(|x| clip(x, FIELD_MAX).as_bytes().to_vec()),
            );
            if let (Some(name), Some(url)) = (&a.cas_service_arg, &request.cas_service) {
                args.push(arg(name, '*', url));
            }
            steps.push(Step::Author(AuthorRequest {
                authen_method: AuthenMethod::TACACSPLUS,
                priv_lvl: PrivLvl::USER,
                authen_type: config.authen_mode.authen_type(),
                authen_service: AuthenService::LOGIN,
                user: clip(&request.username, FIELD_MAX).as_bytes().to_vec(),
                port: clip(&config.port, FIELD_MAX).as_bytes().to_vec(),
                rem_addr: clip(&request.rem_addr, FIELD_MAX).as_bytes().to_vec(),
                args: args.into_iter().take(255).collect(),
                ..Default::default()
            }));
        }
        if config.accounting {
            let rec = AcctRecord {
                username: request.username.clone(),
                rem_addr: request.rem_addr.clone(),
                task_id: request.task_id.clone(),
                started: now,
                services: Vec::new(),
                reason: None,
            };
            steps.push(Step::Acct(acct_start(config, &rec)));
        }
        let bad_input = request.username.is_empty()
            || request.username.len() > FIELD_MAX
            || request.password.expose().is_empty()
            || request.password.expose().len() > FIELD_MAX;
        let creds = Creds {
            username: request.username.as_bytes().to_vec(),
            password: request.password,
            port: clip(&config.port, FIELD_MAX).as_bytes().to_vec(),
            rem_addr: clip(&request.rem_addr, FIELD_MAX).as_bytes().to_vec(),
        };
        let mut engine = Engine::new(config, steps, creds, entropy, now)?;
        let early = if bad_input {
            engine.log.push(
                "tacacs+: empty or over-long user name or password, rejected without asking".into(),
            );
            engine.finish();
            Some(Outcome::Rejected {
                message: REJECTED_MSG.into(),
                server_msg: None,
            })
        } else {
            None
        };
        Ok(Self {
            engine,
            username: request.username,
            authorization: config.authorization.is_some(),
            accounting: config.accounting,
            early,
        })
    }

    /// The next thing to do.
    pub fn poll(&mut self) -> Action<Outcome> {
        match self.engine.poll() {
            Polled::Act(a) => map_action(a),
            Polled::Finished => Action::Done(self.outcome()),
        }
    }

    adapter_inputs!();

    fn outcome(&self) -> Outcome {
        if let Some(o) = &self.early {
            return o.clone();
        }
        let mut server = None;
        let mut authorization = None;
        let mut attributes = BTreeMap::new();
        let mut accounting = AcctOutcome::NotSent;
        for r in &self.engine.results {
            match r {
                StepResult::AuthenPass { server: s } => server = Some(*s),
                StepResult::AuthenFail {
                    message,
                    server_msg,
                }
                | StepResult::AuthorFail {
                    message,
                    server_msg,
                } => {
                    return Outcome::Rejected {
                        message: message.clone(),
                        server_msg: server_msg.clone(),
                    };
                }
                StepResult::AuthorPass {
                    status,
                    request,
                    response,
                } => {
                    authorization = Some(*status);
                    attributes = self::attributes(request, response);
                }
                StepResult::AcctOk { server } => {
                    accounting = AcctOutcome::Recorded { server: *server }
                }
                StepResult::Unavailable {
                    kind: StepKind::Acct,
                    reason,
                }
                | StepResult::Violation {
                    kind: StepKind::Acct,
                    reason,
                } => {
                    accounting = AcctOutcome::Failed {
                        reason: reason.clone(),
                    }
                }
                StepResult::Unavailable { reason, .. } | StepResult::Violation { reason, .. } => {
                    return Outcome::Unavailable {
                        reason: reason.clone(),
                    };
                }
            }
        }
        match server {
            Some(server) if !self.authorization || authorization.is_some() => {
                if self.accounting && accounting == AcctOutcome::NotSent {
                    accounting = AcctOutcome::Failed {
                        reason: "not sent".into(),
                    };
                }
                Outcome::Authenticated(Authenticated {
                    username: self.username.clone(),
                    server,
                    authorization,
                    attributes,
                    accounting,
                })
            }
            _ => Outcome::Unavailable {
                reason: "internal: the login ended without a decision".into(),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------
// AcctJob

/// Sends one accounting record (e.g. [`acct_stop`], [`acct_watchdog`]) to the first server
/// that records it, failing over like a login. Driven exactly like [`Login`].
pub struct AcctJob {
    engine: Engine,
}

impl fmt::Debug for AcctJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcctJob")
            .field("finished", &self.engine.finished)
            .finish_non_exhaustive()
    }
}

impl AcctJob {
    /// Prepares the job. `entropy` as for [`Login::new`].
    pub fn new(
        config: &LoginConfig,
        request: AcctRequest,
        entropy: &[u8],
        now: Timestamp,
    ) -> Result<Self, LoginError> {
        let creds = Creds {
            username: request.user.clone(),
            password: Password::new(Vec::new()),
            port: request.port.clone(),
            rem_addr: request.rem_addr.clone(),
        };
        Ok(Self {
            engine: Engine::new(config, vec![Step::Acct(request)], creds, entropy, now)?,
        })
    }

    /// The next thing to do.
    pub fn poll(&mut self) -> Action<AcctOutcome> {
        match self.engine.poll() {
            Polled::Act(a) => map_action(a),
            Polled::Finished => Action::Done(match self.engine.results.first() {
                Some(StepResult::AcctOk { server }) => AcctOutcome::Recorded { server: *server },
                Some(
                    StepResult::Unavailable { reason, .. } | StepResult::Violation { reason, .. },
                ) => AcctOutcome::Failed {
                    reason: reason.clone(),
                },
                _ => AcctOutcome::Failed {
                    reason: "internal: no result".into(),
                },
            }),
        }
    }

    adapter_inputs!();
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::cas::auth::hash_password;
    use crate::tacacs::policy::{Policy, ServerConnection};
    use crate::tacacs::session::{Server, ServerEvent};
    use crate::tacacs::{
        Body, BodyState, ContinueFlags, DecodeOptions, Decoded, Header, HeaderFlags, PacketType,
        decode_pdu, encode_packet,
    };

    const T0: Timestamp = Timestamp(1_700_000_000_000);
    const ENTROPY: [u8; 16] = *b"0123456789abcdef";
    const KEY: &str = "tac-key";

    fn policy_json(single_connect: bool) -> String {
        let h = |pw: &str| hash_password(pw, b"saltsaltsalt", 1000);
        serde_json::json!({
            "single_connect": single_connect,
            "clients": [{"network": "127.0.0.0/8", "key": KEY}],
            "groups": {"netops": {"services": [
                {"service": "casplus", "args": ["groups=netops", "priv-lvl=15"]}]}},
            "users": {
                "alice": {"login": h("alice-pw"), "groups": ["netops"],
                          "services": [{"service": "casplus", "args": ["mail=alice@example.net"]}]},
                "carol": {"login": h("carol-pw")}
            }
        })
        .to_string()
    }

    type Script = Box<dyn FnMut(&[u8]) -> Vec<u8>>;

    enum Peer {
        Down,
        Silent,
        HangUp,
        /// A real server; hangs up instead of answering packets of this type, if given.
        Real(Policy, Option<PacketType>),
        Script(Script),
    }

    fn real(single_connect: bool) -> Peer {
        Peer::Real(
            Policy::from_json(&policy_json(single_connect)).unwrap(),
            None,
        )
    }

    #[derive(Default)]
    struct Net {
        peers: Vec<Peer>,
        records: Vec<serde_json::Value>,
        server_log: Vec<String>,
        connects: Vec<usize>,
        sent: Vec<Vec<u8>>,
    }

    trait Drive {
        type O;
        fn poll(&mut self) -> Action<Self::O>;
        fn connected(&mut self, now: Timestamp);
        fn connect_error(&mut self, why: &str, now: Timestamp);
        fn input(&mut self, b: &[u8], now: Timestamp);
        fn timeout(&mut self, now: Timestamp);
        fn closed(&mut self, now: Timestamp);
    }

    macro_rules! impl_drive {
        ($t:ty, $o:ty) => {
            impl Drive for $t {
                type O = $o;
                fn poll(&mut self) -> Action<$o> {
                    <$t>::poll(self)
                }
                fn connected(&mut self, now: Timestamp) {
                    self.handle_connected(now)
                }
                fn connect_error(&mut self, why: &str, now: Timestamp) {
                    self.handle_connect_error(why, now)
                }
                fn input(&mut self, b: &[u8], now: Timestamp) {
                    self.handle_input(b, now)
                }
                fn timeout(&mut self, now: Timestamp) {
                    self.handle_timeout(now)
                }
                fn closed(&mut self, now: Timestamp) {
                    self.handle_closed(now)
                }
            }
        };
    }
    impl_drive!(Login, Outcome);
    impl_drive!(AcctJob, AcctOutcome);

    /// Runs the machine against simulated peers; time only moves on timeouts.
    fn drive<D: Drive>(m: &mut D, net: &mut Net) -> D::O {
        let mut now = T0;
        let mut conn: Option<(usize, Option<ServerConnection>)> = None;
        let mut pending: Vec<u8> = Vec::new();
        let mut peer_closed = false;
        for _ in 0..10_000 {
            match m.poll() {
                Action::Connect { server, .. } => {
                    net.connects.push(server);
                    pending.clear();
                    peer_closed = false;
                    match &net.peers[server] {
                        Peer::Down => m.connect_error("connection refused", now),
                        Peer::Real(p, _) => {
                            let sc = ServerConnection::new(p, "127.0.0.1".parse().unwrap());
                            conn = Some((server, Some(sc.unwrap())));
                            m.connected(now);
                        }
                        _ => {
                            conn = Some((server, None));
                            m.connected(now);
                        }
                    }
                }
                Action::Send(bytes) => {
                    net.sent.push(bytes.clone());
                    let (i, sc) = conn.as_mut().expect("send without a connection");
                    if peer_closed {
                        continue;
                    }
                    match &mut net.peers[*i] {
                        Peer::Real(p, hang_on) => {
                            if *hang_on == Some(PacketType(bytes[1])) {
                                peer_closed = true;
                                continue;
                            }
                            let out = sc.as_mut().unwrap().handle_input(p, &bytes, now);
                            pending.extend(out.send);
                            net.records.extend(out.records);
                            net.server_log.extend(out.log);
                            peer_closed |= out.close;
                        }
                        Peer::HangUp => peer_closed = true,
                        Peer::Script(f) => pending.extend(f(&bytes)),
                        Peer::Silent | Peer::Down => {}
                    }
                }
                Action::Receive { deadline } => {
                    assert!(conn.is_some(), "receive without a connection");
                    if !pending.is_empty() {
                        let b = std::mem::take(&mut pending);
                        m.input(&b, now);
                    } else if peer_closed {
                        m.closed(now);
                    } else {
                        now = deadline;
                        m.timeout(now);
                    }
                }
                Action::Close => {
                    conn = None;
                    pending.clear();
                }
                Action::Done(o) => return o,
            }
        }
        panic!("the machine did not finish");
    }

    fn config(ports: usize) -> LoginConfig {
        let servers = (0..ports)
            .map(|i| ServerSpec {
                timeout_ms: 1000,
                ..ServerSpec::new("127.0.0.1", 4900 + i as u16, Key::from_text(KEY))
            })
            .collect();
        let mut c = LoginConfig::new(servers);
        c.authorization = Some(AuthorConfig {
            cas_service_arg: Some("cas-service".into()),
            ..AuthorConfig::default()
        });
        c.accounting = true;
        c
    }

    fn request(user: &str, pw: &str) -> LoginRequest {
        LoginRequest {
            username: user.into(),
            password: Password::new(pw),
            rem_addr: "192.0.2.7".into(),
            cas_service: Some("https://app.example/".into()),
            task_id: "task-1".into(),
        }
    }

    fn login(cfg: &LoginConfig, user: &str, pw: &str, net: &mut Net) -> (Outcome, Login) {
        let mut l = Login::new(cfg, request(user, pw), &ENTROPY, T0).unwrap();
        let o = drive(&mut l, net);
        (o, l)
    }

    fn authenticated(o: Outcome) -> Authenticated {
        match o {
            Outcome::Authenticated(a) => a,
            o => panic!("not authenticated: {o:?}"),
        }
    }

    fn unavailable(o: Outcome) -> String {
        match o {
            Outcome::Unavailable { reason } => reason,
            o => panic!("not unavailable: {o:?}"),
        }
    }

    fn decode(bytes: &[u8], key: &str) -> crate::tacacs::Pdu {
        match decode_pdu(bytes, &DecodeOptions::with_key(Key::from_text(key))) {
            Decoded::Complete(p) => p,
            d => panic!("{d:?}"),
        }
    }

    /// A reply to `req` (same session, seq_no + 1 unless `seq` says otherwise).
    fn answer(req: &[u8], body: Body, tweak: impl FnOnce(&mut Header)) -> Vec<u8> {
        let p = decode(req, KEY);
        let mut h = Header::new(
            p.header.packet_type,
            p.header.minor,
            p.header.seq_no + 1,
            p.header.session_id,
        );
        tweak(&mut h);
        encode_packet(&h, &body, Some(&Key::from_text(KEY))).unwrap()
    }

    fn authen_reply(status: AuthenStatus) -> Body {
        Body::AuthenReply(AuthenReply {
            status,
            ..Default::default()
        })
    }

    #[test]
    fn pap_login_authorizes_and_accounts_on_one_single_connect_connection_4_3_5_4_2_2() {
        let mut net = Net {
            peers: vec![real(true)],
            ..Net::default()
        };
        let (o, l) = login(&config(1), "alice", "alice-pw", &mut net);
        let a = authenticated(o);
        assert_eq!(a.server, 0);
        assert_eq!(a.authorization, Some(AuthorStatus::PASS_ADD));
        let attrs: Vec<(&str, Vec<&str>)> = a
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("groups", vec!["netops"]),
                ("mail", vec!["alice@example.net"]),
                ("priv-lvl", vec!["15"])
            ]
        );
        assert_eq!(a.accounting, AcctOutcome::Recorded { server: 0 });
        assert_eq!(
            l.connections(),
            1,
            "authen, author and acct share the connection"
        );
        assert_eq!(net.sent.len(), 3);
        // The PAP START carries the password in data, obfuscated (§4.5, §5.4.2.2).
        let start = decode(&net.sent[0], KEY);
        assert!(
            start.header.is_single_connect(),
            "§4.3: asked in the first packet"
        );
        assert_eq!(start.header.minor, 1, "§5.4.1: PAP uses minor version 1");
        let Body::AuthenStart(s) = &start.body else {
            panic!()
        };
        assert_eq!(
            (s.authen_type, s.user.as_slice(), s.data.as_slice()),
            (AuthenType::PAP, &b"alice"[..], &b"alice-pw"[..])
        );
        assert_eq!(s.rem_addr, b"192.0.2.7");
        assert!(
            !net.sent[0].windows(8).any(|w| w == b"alice-pw"),
            "never in clear"
        );
        // The authorization request names the service and the CAS service (optional, §6.1).
        let Body::AuthorRequest(r) = decode(&net.sent[1], KEY).body else {
            panic!()
        };
        assert_eq!(
            r.args,
            [
                b"service=casplus".to_vec(),
                b"cas-service*https://app.example/".to_vec()
            ]
        );
        assert_eq!(r.authen_method, AuthenMethod::TACACSPLUS);
        // The START record reached the server's accounting log.
        assert_eq!(net.records.len(), 1);
        let rec = &net.records[0];
        assert_eq!(rec["record"], "start");
        assert_eq!(rec["user"], "alice");
        assert_eq!(rec["acct"]["task_id"], "task-1");
        assert_eq!(rec["acct"]["start_time"], "2023-11-14T22:13:20Z");
        assert_eq!(rec["time"], "2023-11-14T22:13:20.000Z");
    }

    #[test]
    fn without_single_connect_each_session_opens_a_connection_4_3() {
        let mut net = Net {
            peers: vec![real(false)],
            ..Net::default()
        };
        let (o, l) = login(&config(1), "alice", "alice-pw", &mut net);
        authenticated(o);
        assert_eq!(l.connections(), 3);
        assert_eq!(net.connects, [0, 0, 0]);
    }

    #[test]
    fn fail_is_rejected_with_the_server_message_and_nothing_else_is_sent_5_2() {
        let mut net = Net {
            peers: vec![real(true)],
            ..Net::default()
        };
        let (o, l) = login(&config(1), "alice", "wrong", &mut net);
        assert_eq!(
            o,
            Outcome::Rejected {
                message: "Authentication failed".into(),
                server_msg: Some("Authentication failed".into()),
            }
        );
        assert_eq!(net.sent.len(), 1, "no authorization, no accounting");
        assert!(net.records.is_empty());
        assert!(l.log().iter().any(|x| x.contains("authentication FAIL")));
        assert!(
            !l.log().concat().contains("wrong"),
            "the password never reaches the log"
        );
    }

    #[test]
    fn ascii_login_answers_getpass_with_the_password_5_4_2_1() {
        let mut net = Net {
            peers: vec![real(true)],
            ..Net::default()
        };
        let mut cfg = config(1);
        cfg.authen_mode = AuthenMode::Ascii;
        let (o, _) = login(&cfg, "alice", "alice-pw", &mut net);
        assert_eq!(authenticated(o).authorization, Some(AuthorStatus::PASS_ADD));
        let start = decode(&net.sent[0], KEY);
        assert_eq!(
            start.header.minor, 0,
            "§5.4.1: ASCII login uses minor version 0"
        );
        let Body::AuthenContinue(c) = decode(&net.sent[1], KEY).body else {
            panic!()
        };
        assert_eq!(c.user_msg, b"alice-pw");
        assert!(
            net.server_log[0].contains("GETPASS"),
            "{:?}",
            net.server_log
        );
        let (o, _) = login(
            &cfg,
            "alice",
            "nope",
            &mut Net {
                peers: vec![real(true)],
                ..Net::default()
            },
        );
        assert!(matches!(o, Outcome::Rejected { .. }));
    }

    #[test]
    fn ascii_login_answers_getuser_too_5_4_2_1() {
        // A server that ignores the user in the START and asks for it.
        let mut seen = 0;
        let mut net = Net {
            peers: vec![Peer::Script(Box::new(move |req| {
                seen += 1;
                let status = match seen {
                    1 => AuthenStatus::GETUSER,
                    2 => {
                        let Body::AuthenContinue(c) = decode(req, KEY).body else {
                            panic!()
                        };
                        assert_eq!(c.user_msg, b"alice");
                        AuthenStatus::GETPASS
                    }
                    _ => AuthenStatus::PASS,
                };
                answer(req, authen_reply(status), |_| {})
            }))],
            ..Net::default()
        };
        let mut cfg = config(1);
        cfg.authen_mode = AuthenMode::Ascii;
        cfg.authorization = None;
        cfg.accounting = false;
        let a = authenticated(login(&cfg, "alice", "alice-pw", &mut net).0);
        assert_eq!(a.authorization, None);
        assert!(a.attributes.is_empty());
        assert_eq!(a.accounting, AcctOutcome::NotSent);
    }

    #[test]
    fn authorization_fail_denies_the_login_6_2() {
        let mut net = Net {
            peers: vec![real(true)],
            ..Net::default()
        };
        let (o, _) = login(&config(1), "carol", "carol-pw", &mut net);
        assert_eq!(
            o,
            Outcome::Rejected {
                message: "Not authorized".into(),
                server_msg: Some("Not authorized".into()),
            }
        );
        assert!(net.records.is_empty(), "no START for a denied login");
    }

    #[test]
    fn failover_skips_a_refused_and_a_silent_server() {
        let mut net = Net {
            peers: vec![Peer::Down, Peer::Silent, real(true)],
            ..Net::default()
        };
        let (o, l) = login(&config(3), "alice", "alice-pw", &mut net);
        let a = authenticated(o);
        assert_eq!(a.server, 2);
        assert_eq!(a.accounting, AcctOutcome::Recorded { server: 2 });
        assert_eq!(net.connects, [0, 1, 2]);
        let log = l.log().join("\n");
        assert!(
            log.contains("127.0.0.1:4900: connect failed: connection refused"),
            "{log}"
        );
        assert!(
            log.contains("127.0.0.1:4901: no answer within 1000 ms"),
            "{log}"
        );
        assert!(
            log.contains("failing over to server 127.0.0.1:4902"),
            "{log}"
        );
    }

    #[test]
    fn all_servers_down_is_unavailable_never_a_login() {
        let mut net = Net {
            peers: vec![Peer::Down, Peer::HangUp],
            ..Net::default()
        };
        let reason = unavailable(login(&config(2), "alice", "alice-pw", &mut net).0);
        assert!(reason.contains("4900: connect failed"), "{reason}");
        assert!(
            reason.contains("4901: connection closed before the reply"),
            "{reason}"
        );
    }

    #[test]
    fn wrong_key_is_reported_as_key_mismatch_and_fails_over_4_5() {
        let mut cfg = config(2);
        cfg.servers[0].key = Key::from_text("not-the-key");
        let mut net = Net {
            peers: vec![real(true), real(true)],
            ..Net::default()
        };
        let (o, l) = login(&cfg, "alice", "alice-pw", &mut net);
        assert_eq!(authenticated(o).server, 1);
        assert!(l.log()[0].contains("key mismatch"), "{:?}", l.log());
        assert!(
            net.server_log[0].contains("wrong-key"),
            "{:?}",
            net.server_log
        );
        cfg.servers.truncate(1);
        let mut net = Net {
            peers: vec![real(true)],
            ..Net::default()
        };
        let reason = unavailable(login(&cfg, "alice", "alice-pw", &mut net).0);
        assert!(reason.contains("key mismatch"), "{reason}");
    }

    fn hostile(script: Script) -> (String, Net, Login) {
        let mut net = Net {
            peers: vec![Peer::Script(script), real(true)],
            ..Net::default()
        };
        let (o, l) = login(&config(2), "alice", "alice-pw", &mut net);
        (unavailable(o), net, l)
    }

    #[test]
    fn hostile_wrong_session_id_aborts_without_failover_4_1() {
        let (reason, net, _) = hostile(Box::new(|req| {
            answer(req, authen_reply(AuthenStatus::PASS), |h| h.session_id ^= 1)
        }));
        assert!(
            reason.contains("protocol violation") && reason.contains("unknown-session"),
            "{reason}"
        );
        assert_eq!(
            net.connects,
            [0],
            "a hostile server is not a reason to ask another"
        );
    }

    #[test]
    fn hostile_bad_seq_no_aborts_4_1() {
        let (reason, ..) = hostile(Box::new(|req| {
            answer(req, authen_reply(AuthenStatus::PASS), |h| h.seq_no = 4)
        }));
        assert!(reason.contains("seq-unexpected"), "{reason}");
    }

    #[test]
    fn hostile_absurd_length_aborts_without_waiting_for_the_body_4_1() {
        let (reason, ..) = hostile(Box::new(|req| {
            let p = decode(req, KEY);
            let mut h = Header::new(PacketType::AUTHEN, 1, 2, p.header.session_id);
            h.length = 0xffff_ffff;
            h.to_bytes().to_vec()
        }));
        assert!(reason.contains("length-over-max"), "{reason}");
    }

    #[test]
    fn hostile_getpass_in_a_pap_session_aborts_5_4_2_2() {
        let (reason, ..) = hostile(Box::new(|req| {
            answer(req, authen_reply(AuthenStatus::GETPASS), |_| {})
        }));
        assert!(reason.contains("flow-violation"), "{reason}");
    }

    #[test]
    fn getdata_and_endless_prompts_abort_the_ascii_session_5_4_3() {
        for status in [AuthenStatus::GETDATA, AuthenStatus::GETUSER] {
            let mut net = Net {
                peers: vec![Peer::Script(Box::new(move |req| {
                    answer(req, authen_reply(status), |_| {})
                }))],
                ..Net::default()
            };
            let mut cfg = config(1);
            cfg.authen_mode = AuthenMode::Ascii;
            let reason = unavailable(login(&cfg, "alice", "alice-pw", &mut net).0);
            assert!(reason.contains("protocol violation"), "{reason}");
            let last = decode(net.sent.last().unwrap(), KEY);
            let Body::AuthenContinue(c) = last.body else {
                panic!()
            };
            assert!(
                c.flags.contains(ContinueFlags::ABORT),
                "§5.4.3: the client aborts"
            );
            if status == AuthenStatus::GETUSER {
                assert_eq!(net.sent.len(), 1 + usize::from(MAX_PROMPTS) + 1);
            }
        }
    }

    #[test]
    fn error_status_fails_over_to_the_next_server() {
        let mut net = Net {
            peers: vec![
                Peer::Script(Box::new(|req| {
                    answer(
                        req,
                        Body::AuthenReply(AuthenReply {
                            status: AuthenStatus::ERROR,
                            server_msg: b"backend down".to_vec(),
                            ..Default::default()
                        }),
                        |_| {},
                    )
                })),
                real(true),
            ],
            ..Net::default()
        };
        let (o, l) = login(&config(2), "alice", "alice-pw", &mut net);
        assert_eq!(authenticated(o).server, 1);
        assert!(
            l.log()[0].contains("authentication ERROR (backend down)"),
            "{:?}",
            l.log()
        );
    }

    #[test]
    fn restart_for_pap_retries_with_ascii_login_5_4_3() {
        let mut n = 0;
        let mut net = Net {
            peers: vec![Peer::Script(Box::new(move |req| {
                n += 1;
                let p = decode(req, KEY);
                let status = match (n, &p.body) {
                    (1, Body::AuthenStart(s)) if s.authen_type == AuthenType::PAP => {
                        AuthenStatus::RESTART
                    }
                    (2, Body::AuthenStart(s)) if s.authen_type == AuthenType::ASCII => {
                        AuthenStatus::GETPASS
                    }
                    (3, Body::AuthenContinue(c)) if c.user_msg == b"alice-pw" => AuthenStatus::PASS,
                    _ => AuthenStatus::FAIL,
                };
                answer(req, authen_reply(status), |_| {})
            }))],
            ..Net::default()
        };
        let mut cfg = config(1);
        cfg.authorization = None;
        cfg.accounting = false;
        let (o, l) = login(&cfg, "alice", "alice-pw", &mut net);
        authenticated(o);
        assert_eq!(l.connections(), 2, "the script never grants single-connect");
    }

    #[test]
    fn accounting_failure_is_logged_and_never_blocks_the_user_7() {
        let p = Policy::from_json(&policy_json(false)).unwrap();
        let mut net = Net {
            peers: vec![Peer::Real(p, Some(PacketType::ACCT))],
            ..Net::default()
        };
        let (o, l) = login(&config(1), "alice", "alice-pw", &mut net);
        let a = authenticated(o);
        let AcctOutcome::Failed { reason } = a.accounting else {
            panic!("{:?}", a.accounting)
        };
        assert!(reason.contains("connection closed"), "{reason}");
        assert!(l.log().iter().any(|x| x.contains("connection closed")));
    }

    #[test]
    fn tls_mode_sets_the_unencrypted_flag_and_does_not_obfuscate_rfc9887() {
        let mut server = Server::new(SessionConfig {
            unencrypted: true,
            ..SessionConfig::new(Key::default())
        });
        let mut net = Net {
            peers: vec![Peer::Script(Box::new(move |req| {
                let ev = server.handle_input(req);
                let ServerEvent::AuthenStart { session_id, .. } = ev[0] else {
                    panic!("{ev:?}")
                };
                server
                    .reply_authen(
                        session_id,
                        AuthenReply {
                            status: AuthenStatus::PASS,
                            ..Default::default()
                        },
                    )
                    .unwrap()
                    .bytes
            }))],
            ..Net::default()
        };
        let mut cfg = config(1);
        cfg.servers[0].tls = true;
        cfg.authorization = None;
        cfg.accounting = false;
        let mut l = Login::new(&cfg, request("alice", "alice-pw"), &ENTROPY, T0).unwrap();
        let Action::Connect { tls, .. } = l.poll() else {
            panic!()
        };
        assert!(tls, "the adapter is asked for TLS");
        let o = drive(&mut l, &mut net);
        authenticated(o);
        let p = match decode_pdu(&net.sent[0], &DecodeOptions::default()) {
            Decoded::Complete(p) => p,
            d => panic!("{d:?}"),
        };
        assert!(p.header.flags.contains(HeaderFlags::UNENCRYPTED));
        assert_eq!(p.body_state, BodyState::Clear);
        let Body::AuthenStart(s) = p.body else {
            panic!()
        };
        assert_eq!(s.user, b"alice");
    }

    #[test]
    fn stop_record_carries_elapsed_time_reason_and_services_8_3() {
        let mut cfg = config(1);
        let rec = AcctRecord {
            username: "alice".into(),
            rem_addr: "192.0.2.7".into(),
            task_id: "task-1".into(),
            started: T0,
            services: vec![
                "https://a.example/".into(),
                format!("https://b.example/{}", "x".repeat(300)),
            ],
            reason: Some("logout".into()),
        };
        let now = T0.plus_secs(3600).plus_millis(999);
        let stop = acct_stop(&cfg, &rec, now);
        let args: Vec<String> = stop
            .args
            .iter()
            .map(|a| String::from_utf8(a.clone()).unwrap())
            .collect();
        assert_eq!(
            args[..8],
            [
                "task_id=task-1",
                "start_time=1700000000",
                "timezone=UTC",
                "service=casplus",
                "stop_time=1700003600",
                "elapsed_time=3600",
                "reason=logout",
                "cas-service=https://a.example/",
            ]
        );
        assert_eq!(args[8].len(), 255, "clipped to the argument limit");
        assert_eq!(stop.flags, AcctFlags::STOP);
        // It encodes, and the codec reads the §8.3 arguments back.
        let typed = stop.acct_args();
        assert_eq!(typed.elapsed_time, Some(3600));
        assert_eq!(typed.stop_time, Some(Timestamp::from_secs(1_700_003_600)));
        let wd = acct_watchdog(&cfg, &rec, now);
        assert_eq!(wd.flags, AcctFlags::WATCHDOG);
        assert_eq!(wd.acct_args().elapsed_time, Some(3600));
        // Many services: capped.
        let mut many = rec.clone();
        many.services = vec!["s".into(); 1000];
        assert_eq!(
            acct_stop(&cfg, &many, now).args.len(),
            7 + MAX_ACCT_SERVICES
        );
        // Sent by an AcctJob to a real server, with failover.
        cfg.servers
            .insert(0, ServerSpec::new("127.0.0.1", 1, Key::from_text(KEY)));
        let mut net = Net {
            peers: vec![Peer::Down, real(true)],
            ..Net::default()
        };
        let mut job = AcctJob::new(&cfg, stop, &ENTROPY, now).unwrap();
        assert_eq!(
            drive(&mut job, &mut net),
            AcctOutcome::Recorded { server: 1 }
        );
        assert_eq!(net.records[0]["record"], "stop");
        assert_eq!(net.records[0]["acct"]["elapsed_time"], 3600);
        assert_eq!(net.records[0]["args"][7], "cas-service=https://a.example/");
        let mut net = Net {
            peers: vec![Peer::Down, Peer::Down],
            ..Net::default()
        };
        let mut job = AcctJob::new(&cfg, wd, &ENTROPY, now).unwrap();
        assert!(matches!(
            drive(&mut job, &mut net),
            AcctOutcome::Failed { .. }
        ));
    }

    fn session(source: &str) -> SessionRecord {
        SessionRecord {
            task_id: "0123456789abcdef01234567".into(),
            principal: "alice".into(),
            source: source.into(),
            started_at: T0,
            services: vec!["https://a.example/".into(), "https://b.example/".into()],
            client_address: Some("192.0.2.7".into()),
        }
    }

    fn text_args(r: &AcctRequest) -> Vec<String> {
        r.args
            .iter()
            .map(|a| String::from_utf8(a.clone()).unwrap())
            .collect()
    }

    #[test]
    fn engine_session_effects_become_start_and_stop_records_7_1_8_3() {
        let cfg = config(1);
        let s = session("tacacs");
        let start = accounting_request(&cfg, &Effect::SessionStarted(s.clone())).unwrap();
        assert_eq!(start.flags, AcctFlags::START);
        assert_eq!(start.user, b"alice");
        assert_eq!(start.rem_addr, b"192.0.2.7");
        assert_eq!(
            text_args(&start),
            [
                "task_id=0123456789abcdef01234567",
                "start_time=1700000000",
                "timezone=UTC",
                "service=casplus"
            ]
        );
        // Expired: stop_time is the session's end as the engine says, not the send time.
        let ended_at = T0.plus_secs(7200);
        let stop = accounting_request(
            &cfg,
            &Effect::SessionEnded {
                session: SessionRecord {
                    client_address: None,
                    ..s.clone()
                },
                reason: EndReason::Idle,
                ended_at,
            },
        )
        .unwrap();
        assert_eq!(stop.flags, AcctFlags::STOP);
        assert_eq!(stop.rem_addr, b"", "an alarm has no client address");
        assert_eq!(
            text_args(&stop)[3..],
            [
                "service=casplus",
                "stop_time=1700007200",
                "elapsed_time=7200",
                "reason=idle-timeout",
                "cas-service=https://a.example/",
                "cas-service=https://b.example/",
            ]
        );
        let typed = stop.acct_args();
        assert_eq!(typed.task_id.as_deref(), Some("0123456789abcdef01234567"));
        assert_eq!(typed.elapsed_time, Some(7200));
        // Not ours: a session of another source, accounting off, single logout.
        let builtin = Effect::SessionStarted(session("builtin"));
        assert_eq!(accounting_request(&cfg, &builtin), None);
        let mut off = cfg.clone();
        off.accounting = false;
        assert_eq!(
            accounting_request(&off, &Effect::SessionStarted(s.clone())),
            None
        );
        let mut e = crate::cas::ticket::DeterministicEntropy::new(1);
        let slo = Effect::SingleLogout(crate::cas::web::LogoutNotice {
            url: "https://a.example/".into(),
            request_id: "LR-1".into(),
            issue_instant: T0,
            session_index: crate::cas::ticket::TicketId::generate(
                crate::cas::ticket::TicketKind::Service,
                &mut e,
            ),
        });
        assert_eq!(accounting_request(&cfg, &slo), None);
    }

    #[test]
    fn watchdog_is_due_once_per_interval_when_the_session_is_used_7_2() {
        let at = |s: i64| T0.plus_secs(s);
        assert!(!watchdog_due(T0, at(0), at(599), 600));
        assert!(watchdog_due(T0, at(0), at(600), 600), "boundary reached");
        assert!(
            !watchdog_due(T0, at(600), at(1199), 600),
            "once per interval"
        );
        assert!(watchdog_due(T0, at(1199), at(1200), 600));
        assert!(
            watchdog_due(T0, at(10), at(5000), 600),
            "one update, however many boundaries"
        );
        assert!(
            !watchdog_due(T0, at(0), at(5000), 0),
            "no interval, no update"
        );
        let mut cfg = config(1);
        let used = |previous: i64, now: i64| Effect::SessionUsed {
            session: session("tacacs"),
            previous_use: at(previous),
            now: at(now),
        };
        assert_eq!(
            accounting_request(&cfg, &used(0, 700)),
            None,
            "WATCHDOG is off by default"
        );
        cfg.watchdog_seconds = Some(600);
        assert_eq!(accounting_request(&cfg, &used(0, 300)), None);
        let wd = accounting_request(&cfg, &used(300, 700)).unwrap();
        assert_eq!(wd.flags, AcctFlags::WATCHDOG);
        assert!(!wd.flags.contains(AcctFlags::START) && !wd.flags.contains(AcctFlags::STOP));
        let args = text_args(&wd);
        assert_eq!(args[0], "task_id=0123456789abcdef01234567");
        assert!(args.contains(&"elapsed_time=700".to_owned()), "{args:?}");
        assert!(args.contains(&"cas-service=https://b.example/".to_owned()));
        assert_eq!(wd.acct_args().elapsed_time, Some(700));
    }

    #[test]
    fn watchdog_interval_reads_from_json() {
        let c = LoginConfig::from_json(
            r#"{"servers": [{"host": "h", "key": "k"}], "accounting": true, "watchdog_seconds": 900}"#,
        )
        .unwrap();
        assert_eq!(c.watchdog_seconds, Some(900));
        let c = LoginConfig::from_json(r#"{"servers": [{"host": "h", "key": "k"}]}"#).unwrap();
        assert_eq!(c.watchdog_seconds, None);
    }

    #[test]
    fn deadlines_are_absolute_a_trickling_reply_does_not_extend_them() {
        let cfg = config(1);
        let mut l = Login::new(&cfg, request("alice", "alice-pw"), &ENTROPY, T0).unwrap();
        let Action::Connect { deadline, .. } = l.poll() else {
            panic!()
        };
        assert_eq!(deadline, T0.plus_millis(1000));
        l.handle_connected(T0.plus_millis(10));
        assert!(matches!(l.poll(), Action::Send(_)));
        let Action::Receive { deadline } = l.poll() else {
            panic!()
        };
        assert_eq!(deadline, T0.plus_millis(1010));
        l.handle_input(&[0xc1], T0.plus_millis(500));
        let Action::Receive { deadline: again } = l.poll() else {
            panic!()
        };
        assert_eq!(again, deadline);
        l.handle_timeout(deadline);
        assert_eq!(l.poll(), Action::Close);
        let reason = match l.poll() {
            Action::Done(Outcome::Unavailable { reason }) => reason,
            a => panic!("{a:?}"),
        };
        assert!(reason.contains("no answer within 1000 ms"), "{reason}");
    }

    #[test]
    fn bad_credentials_are_rejected_without_a_connection() {
        for (u, p) in [
            ("", "pw"),
            ("alice", ""),
            ("alice", &"x".repeat(256)),
            (&"u".repeat(256), "pw"),
        ] {
            let mut l = Login::new(&config(1), request(u, p), &ENTROPY, T0).unwrap();
            assert!(matches!(l.poll(), Action::Done(Outcome::Rejected { .. })));
            assert_eq!(l.connections(), 0);
        }
    }

    #[test]
    fn caller_errors_and_redaction() {
        assert_eq!(
            Login::new(&config(1), request("a", "b"), &[0; 15], T0).unwrap_err(),
            LoginError::NotEnoughEntropy(15)
        );
        assert_eq!(
            Login::new(&config(0), request("a", "b"), &ENTROPY, T0).unwrap_err(),
            LoginError::NoServers
        );
        let req = request("alice", "hunter2-secret");
        assert!(!format!("{req:?}").contains("hunter2"));
        let cfg = config(1);
        assert!(!format!("{cfg:?}").contains(KEY));
        let mut l = Login::new(&cfg, req, &ENTROPY, T0).unwrap();
        l.poll();
        l.handle_connected(T0);
        let send = l.poll();
        assert!(format!("{send:?}").starts_with("Send(<"), "{send:?}");
    }

    #[test]
    fn session_ids_come_from_the_entropy_and_differ_per_session_4_1() {
        let ids = |entropy: &[u8]| {
            let mut net = Net {
                peers: vec![real(true)],
                ..Net::default()
            };
            let mut l = Login::new(&config(1), request("alice", "alice-pw"), entropy, T0).unwrap();
            authenticated(drive(&mut l, &mut net));
            net.sent
                .iter()
                .map(|b| decode(b, KEY).header.session_id)
                .collect::<Vec<_>>()
        };
        let a = ids(&ENTROPY);
        assert_eq!(a, ids(&ENTROPY), "deterministic for the same entropy");
        assert_ne!(a, ids(&[9; 32]));
        assert_eq!(a.len(), 3);
        assert!(a[0] != a[1] && a[1] != a[2] && a[0] != a[2]);
    }

    #[test]
    fn config_reads_from_json() {
        let c = LoginConfig::from_json(
            r#"{"servers": [{"host": "10.0.0.5", "key": "k"},
                            {"host": "tacacs.example", "tls": true, "timeout_ms": 800}],
                "authen": "ascii", "accounting": true,
                "authorization": {"args": ["protocol=https"], "cas_service_arg": "cas-service"}}"#,
        )
        .unwrap();
        assert_eq!(c.servers[0].port, DEFAULT_PORT);
        assert_eq!(c.servers[0].key, Key::from_text("k"));
        assert_eq!(
            (c.servers[1].port, c.servers[1].tls, c.servers[1].timeout_ms),
            (TLS_PORT, true, 800)
        );
        assert_eq!(c.authen_mode, AuthenMode::Ascii);
        assert!(c.single_connect && c.accounting);
        assert_eq!(c.authorization.unwrap().service, "casplus");
        assert_eq!(c.port, "casplus");
        assert!(matches!(
            LoginConfig::from_json(r#"{"servers": []}"#),
            Err(LoginError::NoServers)
        ));
        assert!(
            LoginConfig::from_json(r#"{"servers": [{"host": "h"}]}"#).is_err(),
            "no key"
        );
    }
}
