//! The client run behind [`super::Login`] and [`super::AcctJob`]: steps, sessions,
//! connections and failover (see the module docs of [`super`] for the decisions).

use std::collections::{BTreeMap, VecDeque};

use sha2::{Digest as _, Sha256};

use super::{
    Action, AuthenMode, LoginConfig, LoginError, MAX_PROMPTS, MIN_ENTROPY, NOT_AUTHORIZED_MSG,
    Note, NoteKind, REJECTED_MSG, ServerSpec, clip,
};
use crate::password::Password;
use crate::tacacs::acct::AcctRequest;
use crate::tacacs::authen::{AuthenReply, AuthenStart};
use crate::tacacs::author::{AuthorRequest, AvPair};
use crate::tacacs::diag::codes;
use crate::tacacs::enums::{AcctStatus, AuthenStatus, AuthorStatus};
use crate::tacacs::session::{AuthenNext, Client, ClientEvent, SessionError, SingleConnect};
use crate::tacacs::text::escape;
use crate::time::Timestamp;

#[derive(Clone, Debug)]
pub(super) enum Step {
    Authen { mode: AuthenMode, restarted: bool },
    Author(AuthorRequest),
    Acct(AcctRequest),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StepKind {
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
pub(super) enum StepResult {
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

pub(super) enum Polled {
    Act(Action<()>),
    Finished,
}

pub(super) struct Creds {
    pub(super) username: Vec<u8>,
    pub(super) password: Password,
    pub(super) port: Vec<u8>,
    pub(super) rem_addr: Vec<u8>,
}

/// The client run shared by [`super::Login`] and [`super::AcctJob`]: a queue of steps
/// (authentication, authorization, accounting), each a session on a server connection,
/// with failover between servers.
pub(super) struct Driver {
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
    pub(super) steps: VecDeque<Step>,
    pub(super) results: Vec<StepResult>,
    out: VecDeque<Out>,
    pub(super) notes: Vec<Note>,
    pub(super) connections: usize,
    pub(super) finished: bool,
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

impl Driver {
    pub(super) fn new(
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
            notes: Vec::new(),
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

    fn note(&mut self, kind: NoteKind, text: String) {
        self.notes.push(Note { kind, text });
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

    pub(super) fn finish(&mut self) {
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
                        AuthenStart::pap(&c.username, c.password.as_bytes(), &c.port, &c.rem_addr)
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
        self.fail_server_as(NoteKind::ServerFailed, reason);
    }

    /// [`Self::fail_server`], noting the failure as `kind`.
    fn fail_server_as(&mut self, kind: NoteKind, reason: String) {
        let label = self.label();
        self.note(kind, format!("tacacs+ server {label}: {reason}"));
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
            self.note(
                NoteKind::Failover,
                format!("tacacs+: failing over to server {next}"),
            );
        }
    }

    /// A hostile reply: abort, deny, no failover.
    fn violation(&mut self, reason: String) {
        let label = self.label();
        self.note(
            NoteKind::Violation,
            format!("tacacs+ server {label}: protocol violation, session aborted: {reason}"),
        );
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
                        self.note(
                            NoteKind::Fail,
                            format!(
                                "tacacs+ server {}: authorization FAIL{}",
                                self.label(),
                                server_msg_suffix(&response.server_msg)
                            ),
                        );
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
                if diagnostics.iter().any(|d| codes::key_mismatch(d.code)) {
                    self.fail_server_as(
                        NoteKind::KeyMismatch,
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
                self.note(
                    NoteKind::Fail,
                    format!(
                        "tacacs+ server {}: authentication FAIL{}",
                        self.label(),
                        server_msg_suffix(&reply.server_msg)
                    ),
                );
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
                    self.note(
                        NoteKind::Restart,
                        format!(
                            "tacacs+ server {}: RESTART for PAP, retrying with ASCII login (§5.4.3)",
                            self.label()
                        ),
                    );
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
                    AuthenStatus::GETPASS => Some(self.creds.password.as_bytes().to_vec()),
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

    pub(super) fn handle_connected(&mut self, now: Timestamp) {
        self.now = now;
        if matches!(self.conn, Conn::Connecting)
            && let Some(spec) = self.spec()
        {
            let cfg = spec.session_config(self.single_connect, self.max_length);
            self.conn = Conn::Open(Box::new(Client::new(cfg)));
        }
        self.advance();
    }

    pub(super) fn handle_connect_error(&mut self, reason: &str, now: Timestamp) {
        self.now = now;
        if matches!(self.conn, Conn::Connecting) {
            self.conn = Conn::Closed;
            self.fail_server(format!("connect failed: {}", clip(reason, 200)));
        }
        self.advance();
    }

    pub(super) fn handle_input(&mut self, bytes: &[u8], now: Timestamp) {
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

    pub(super) fn handle_timeout(&mut self, now: Timestamp) {
        self.now = now;
        let waiting = matches!(self.conn, Conn::Connecting)
            || (matches!(self.conn, Conn::Open(_)) && matches!(self.wait, Wait::Reply { .. }));
        if waiting && !self.finished {
            let ms = self.spec().map_or(0, |s| s.timeout_ms);
            self.fail_server(format!("no answer within {ms} ms"));
        }
        self.advance();
    }

    pub(super) fn handle_closed(&mut self, now: Timestamp) {
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

    pub(super) fn poll(&mut self) -> Polled {
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

pub(super) fn map_action<O>(a: Action<()>) -> Action<O> {
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

/// The AV pairs a PASS_ADD / PASS_REPL grants (§6.2): the response's pairs, less those
/// equal to a pair of the request (ours, e.g. `service=casplus`), name → values in order.
pub(super) fn granted(request: &[Vec<u8>], response: &[Vec<u8>]) -> BTreeMap<String, Vec<String>> {
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
