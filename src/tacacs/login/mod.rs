//! The TACACS+ client driver, sans-IO: a login checked against TACACS+ servers (RFC 8907),
//! the way a router logs an operator in — authentication (PAP by default, or the ASCII
//! dialogue), then authorization of a service whose granted AV pairs are reported, then an
//! accounting START record. [`AcctJob`] sends the later STOP or WATCHDOG record of the
//! same task. It knows nothing of CAS: the bridge (`crate::aaa`) maps a CAS login onto it.
//!
//! # Driving it
//!
//! The machine never touches a socket or a clock. The adapter (the Worker with
//! `worker::Socket`, a test with `std::net::TcpStream`) drives any [`Machine`] ([`Login`],
//! [`AcctJob`]) in one loop:
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
//! sent, however the reply trickles in. [`Machine::notes`] are the operator log lines,
//! typed ([`NoteKind`]) so that an adapter can route them (e.g. alert on
//! [`NoteKind::KeyMismatch`]) without reading their text.
//!
//! # Decisions
//!
//! - Servers are tried in order. A connect error, a timeout, the connection closing before
//!   a reply, an ERROR status (the server could not complete, see
//!   [`super::session::AuthenNext::Error`]) or a reply that does not de-obfuscate with the
//!   configured key (§4.5, noted as [`NoteKind::KeyMismatch`]) moves on to the next server; when
//!   none is left the outcome is [`Outcome::Unavailable`] with a reason for the operator
//!   log — never a login.
//! - FAIL (and the deprecated FOLLOW, §5.4.3) is [`Outcome::Rejected`] with the server's
//!   `server_msg` (meant for the user, §5.2) or a generic message.
//! - A hostile reply — unknown `session_id`, wrong `seq_no`, a length over the maximum, a
//!   flow violation (e.g. GETPASS in a PAP session), GETDATA or more than
//!   [`MAX_PROMPTS`] prompts — aborts the session and denies the login
//!   ([`Outcome::Unavailable`]) without trying further servers (§4.1, §5.4.3).
//! - Authorization (§6) follows a PASS; PASS_ADD / PASS_REPL give the granted AV pairs
//!   ([`Authenticated::granted`]: the response's pairs, less those equal to a pair of the
//!   request), FAIL denies, ERROR fails over.
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

mod acct;
mod config;
mod driver;
#[cfg(test)]
mod tests;

use core::fmt;
use std::collections::BTreeMap;

pub use acct::{AcctRecord, acct_start, acct_stop, acct_watchdog, watchdog_due};
pub use config::{
    AuthenMode, AuthorConfig, LoginConfig, LoginError, RawLoginConfig, RawServer, ServerSpec,
};
use driver::{Creds, Driver, Polled, Step, StepKind, StepResult, map_action};

use super::acct::AcctRequest;
use super::author::AuthorRequest;
use super::enums::{AuthenMethod, AuthenService, AuthorStatus, PrivLvl};
use crate::password::Password;
use crate::time::Timestamp;

/// The TACACS+ port (IANA, "tacacs", 49/tcp).
pub const DEFAULT_PORT: u16 = 49;
/// The TACACS+ over TLS port (RFC 9887, "tacacss", 300/tcp).
pub const TLS_PORT: u16 = 300;
/// Default per-server timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;
/// Most GETUSER/GETPASS prompts answered in one ASCII login before it is aborted.
pub const MAX_PROMPTS: u8 = 4;
/// Most services listed in a STOP or WATCHDOG record.
pub const MAX_ACCT_SERVICES: usize = 200;
/// Fewest bytes of entropy accepted.
pub const MIN_ENTROPY: usize = 16;

const FIELD_MAX: usize = 255;
const DEFAULT_SERVICE: &str = "casplus";
const DEFAULT_CAS_SERVICE_ARG: &str = "cas-service";
const REJECTED_MSG: &str = "Invalid username or password";
const NOT_AUTHORIZED_MSG: &str = "You are not authorized to use this service";

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

// ---------------------------------------------------------------------------------------
// Requests and outcomes

/// One login attempt.
#[derive(Clone, Debug)]
pub struct LoginRequest {
    /// The user name as typed (1–255 bytes).
    pub username: String,
    /// The password (1–255 bytes).
    pub password: Password,
    /// The browser's address, sent as `rem_addr` (§5.1).
    pub rem_addr: String,
    /// The service URL the login is for (for casplus: the CAS service), sent when
    /// [`AuthorConfig::cas_service_arg`] is set.
    pub cas_service: Option<String>,
    /// The accounting `task_id` (§8.3) of the task this login starts; the same id goes
    /// into the STOP record.
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
    /// The granted AV pairs (§6.2, e.g. `priv-lvl`, `groups`), name → values in order
    /// (escaped text).
    pub granted: BTreeMap<String, Vec<String>>,
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
// Operator notes

/// What an operator note is about, so that an adapter can route or alert on it without
/// reading its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoteKind {
    /// A server gave no usable answer (connect error, timeout, ERROR status, connection
    /// closed before the reply); the next server is tried.
    ServerFailed,
    /// A reply did not de-obfuscate with the configured key (§4.5): a server failure too,
    /// and a configuration mistake an operator wants an alert for.
    KeyMismatch,
    /// Moving on to the next server.
    Failover,
    /// A hostile reply: the session was aborted and the login denied, without failover
    /// (§4.1, §5.4.3).
    Violation,
    /// The server answered FAIL (authentication §5.4.3, authorization §6.2).
    Fail,
    /// RESTART for PAP: retried with the ASCII login (§5.4.3).
    Restart,
    /// The credentials were refused without asking a server (empty or over-long).
    NotAsked,
}

/// One operator log note. Never contains a password or a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// What it is about.
    pub kind: NoteKind,
    /// The line for the log.
    pub text: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

// ---------------------------------------------------------------------------------------
// Driving a run

/// A client run the adapter drives ([`Login`], [`AcctJob`]): see the loop in the module
/// docs.
pub trait Machine {
    /// What the run ends with.
    type Output;

    /// The next thing to do.
    fn poll(&mut self) -> Action<Self::Output>;

    /// The connection asked for by [`Action::Connect`] is open.
    fn handle_connected(&mut self, now: Timestamp);

    /// The connection could not be opened (refused, unreachable, TLS failure…);
    /// `reason` goes to the operator log.
    fn handle_connect_error(&mut self, reason: &str, now: Timestamp);

    /// Bytes arrived on the connection.
    fn handle_input(&mut self, bytes: &[u8], now: Timestamp);

    /// The deadline of the pending [`Action::Connect`] or [`Action::Receive`] passed.
    fn handle_timeout(&mut self, now: Timestamp);

    /// The peer closed the connection, or reading / writing failed.
    fn handle_closed(&mut self, now: Timestamp);

    /// Operator notes so far (failovers, key mismatch, violations, FAIL notes).
    fn notes(&self) -> &[Note];

    /// How many connections were asked for so far (single-connect reuse shows here).
    fn connections(&self) -> usize;
}

/// The [`Machine`] inputs, passed on to the run's [`Driver`].
macro_rules! machine_inputs {
    () => {
        fn handle_connected(&mut self, now: Timestamp) {
            self.driver.handle_connected(now);
        }

        fn handle_connect_error(&mut self, reason: &str, now: Timestamp) {
            self.driver.handle_connect_error(reason, now);
        }

        fn handle_input(&mut self, bytes: &[u8], now: Timestamp) {
            self.driver.handle_input(bytes, now);
        }

        fn handle_timeout(&mut self, now: Timestamp) {
            self.driver.handle_timeout(now);
        }

        fn handle_closed(&mut self, now: Timestamp) {
            self.driver.handle_closed(now);
        }

        fn notes(&self) -> &[Note] {
            &self.driver.notes
        }

        fn connections(&self) -> usize {
            self.driver.connections
        }
    };
}

// ---------------------------------------------------------------------------------------
// Login

/// One login checked against TACACS+ (see the module docs).
pub struct Login {
    driver: Driver,
    username: String,
    authorization: bool,
    accounting: bool,
    early: Option<Outcome>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .field("steps_left", &self.driver.steps.len())
            .field("finished", &self.driver.finished)
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
            || request.password.as_bytes().is_empty()
            || request.password.as_bytes().len() > FIELD_MAX;
        let creds = Creds {
            username: request.username.as_bytes().to_vec(),
            password: request.password,
            port: clip(&config.port, FIELD_MAX).as_bytes().to_vec(),
            rem_addr: clip(&request.rem_addr, FIELD_MAX).as_bytes().to_vec(),
        };
        let mut driver = Driver::new(config, steps, creds, entropy, now)?;
        let early = if bad_input {
            driver.notes.push(Note {
                kind: NoteKind::NotAsked,
                text: "tacacs+: empty or over-long user name or password, rejected without asking"
                    .into(),
            });
            driver.finish();
            Some(Outcome::Rejected {
                message: REJECTED_MSG.into(),
                server_msg: None,
            })
        } else {
            None
        };
        Ok(Self {
            driver,
            username: request.username,
            authorization: config.authorization.is_some(),
            accounting: config.accounting,
            early,
        })
    }

    fn outcome(&self) -> Outcome {
        if let Some(o) = &self.early {
            return o.clone();
        }
        let mut server = None;
        let mut authorization = None;
        let mut granted = BTreeMap::new();
        let mut accounting = AcctOutcome::NotSent;
        for r in &self.driver.results {
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
                    granted = driver::granted(request, response);
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
                    granted,
                    accounting,
                })
            }
            _ => Outcome::Unavailable {
                reason: "internal: the login ended without a decision".into(),
            },
        }
    }
}

impl Machine for Login {
    type Output = Outcome;

    fn poll(&mut self) -> Action<Outcome> {
        match self.driver.poll() {
            Polled::Act(a) => map_action(a),
            Polled::Finished => Action::Done(self.outcome()),
        }
    }

    machine_inputs!();
}

// ---------------------------------------------------------------------------------------
// AcctJob

/// Sends one accounting record (e.g. [`acct_stop`], [`acct_watchdog`]) to the first server
/// that records it, failing over like a login. Driven exactly like [`Login`].
pub struct AcctJob {
    driver: Driver,
}

impl fmt::Debug for AcctJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcctJob")
            .field("finished", &self.driver.finished)
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
            password: Password::new(String::new()),
            port: request.port.clone(),
            rem_addr: request.rem_addr.clone(),
        };
        Ok(Self {
            driver: Driver::new(config, vec![Step::Acct(request)], creds, entropy, now)?,
        })
    }
}

impl Machine for AcctJob {
    type Output = AcctOutcome;

    fn poll(&mut self) -> Action<AcctOutcome> {
        match self.driver.poll() {
            Polled::Act(a) => map_action(a),
            Polled::Finished => Action::Done(match self.driver.results.first() {
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

    machine_inputs!();
}
