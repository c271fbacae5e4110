//! Sans-IO TACACS+ session state machines for one connection, client side ([`Client`]) and
//! server side ([`Server`]) (quinn-proto style: bytes in through `handle_input`, events and
//! bytes to send out; no socket, no clock, no randomness of its own).
//!
//! Rules enforced (RFC 8907):
//! - `seq_no` (§4.1): a session starts at 1, each packet is +1, clients send odd and servers
//!   even; a session that would reach 255 terminates ([`SessionError::SeqExhausted`]).
//! - `session_id` (§4.1) is drawn from caller-supplied entropy (≥ 4 bytes from a CSPRNG);
//!   it does not change during a session; replies with an unknown `session_id`, a wrong
//!   `seq_no`, the wrong type or a length over the maximum are rejected.
//! - Single Connection Mode (§4.3): negotiated by the flag in the first packet of each side;
//!   the client sends nothing else until the first reply arrived; without it the connection
//!   closes at the end of the first session ([`ClientEvent::Close`], [`Transmit::close_after`]).
//! - Flows (§5.4.2): PAP, CHAP and MS-CHAP are one START and one REPLY (PASS, FAIL or ERROR);
//!   ASCII login and enable continue through GETUSER / GETPASS / GETDATA and CONTINUE;
//!   FOLLOW is treated as FAIL (§5.4.3); authorization and accounting are one request and one
//!   response.
//! - A server answers a packet it cannot accept with an ERROR of the right kind (§4.5: wrong
//!   key "MUST return ERROR"), or for an unknown type with the §3.6 error packet (same header,
//!   `seq_no` + 1, length 0); after a key mismatch in Single Connection Mode it accepts no new
//!   session and closes when the active ones are done (§4.4).
//!
//! Timeouts are the adapter's business: this module never reads a clock.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;
use std::collections::BTreeMap;

use super::acct::{AcctReply, AcctRequest};
use super::authen::{AuthenContinue, AuthenReply, AuthenStart, required_minor_version};
use super::author::{AuthorRequest, AuthorResponse};
use super::body::{Body, BodyKind, Direction};
use super::diag::{Diagnostic, codes};
use super::encode::{EncodeError, encode_packet};
use super::enums::{
    AcctStatus, AuthenStatus, AuthorStatus, ContinueFlags, HeaderFlags, PacketType, ReplyFlags,
};
use super::header::Header;
use super::obfuscate::Key;
use super::{DEFAULT_MAX_LENGTH, DecodeOptions, Decoded, Pdu, decode_pdu};

/// Settings shared by both ends.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// The shared secret (§4.5).
    pub key: Key,
    /// Client: request Single Connection Mode. Server: grant it when requested (§4.3).
    pub single_connect: bool,
    /// Largest acceptable body length (default 2^16, §4.1).
    pub max_length: u32,
    /// Send bodies unobfuscated and accept unobfuscated bodies. Testing only: RFC 8907
    /// says this MUST NOT be used in production (§4.5).
    pub unencrypted: bool,
}

impl SessionConfig {
    /// Obfuscated, no single-connect, maximum length 2^16.
    pub fn new(key: Key) -> Self {
        Self {
            key,
            single_connect: false,
            max_length: DEFAULT_MAX_LENGTH,
            unencrypted: false,
        }
    }
}

/// Misuse of a session machine by its caller, or a state that forbids the operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Fewer than 4 bytes of entropy for a `session_id`.
    #[error("need 4 bytes of entropy for a session_id, got {0}")]
    NotEnoughEntropy(usize),
    /// The `session_id` drawn from the entropy is already active on this connection.
    #[error("session_id {0:#010x} is already in use on this connection")]
    SessionIdInUse(u32),
    /// No active session with this id.
    #[error("no active session {0:#010x}")]
    UnknownSession(u32),
    /// It is the peer's turn in this session.
    #[error("session {0:#010x} is waiting for the peer")]
    NotYourTurn(u32),
    /// The client must not send a second packet before Single Connection Mode is settled,
    /// and without it only one session runs per connection (§4.3).
    #[error("no new session now: single-connect status is not established or was refused")]
    SingleConnectPending,
    /// The connection is closed or closing (no new sessions).
    #[error("the connection is closing")]
    Closing,
    /// The next packet would need `seq_no` 255 or more: the session must terminate (§4.1).
    #[error("session {0:#010x} reached the seq_no limit and must be restarted")]
    SeqExhausted(u32),
    /// The operation breaks the authentication flow (e.g. GETPASS in a PAP session).
    #[error("session {session_id:#010x}: {reason}")]
    FlowViolation {
        /// The session.
        session_id: u32,
        /// Which rule.
        reason: &'static str,
    },
    /// The body could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Bytes to send to the peer. `Debug` shows their length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The session the packet belongs to.
    pub session_id: u32,
    /// The whole packet (header + obfuscated body).
    pub bytes: Vec<u8>,
    /// True when the connection should be closed once these bytes are sent (end of the
    /// only session without Single Connection Mode, or after a fatal error).
    pub close_after: bool,
}

impl core::fmt::Debug for Transmit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transmit")
            .field("session_id", &format_args!("{:#010x}", self.session_id))
            .field("bytes", &super::authen::Redacted(&self.bytes))
            .field("close_after", &self.close_after)
            .finish()
    }
}

/// Whose turn it is in a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Turn {
    Client,
    Server,
}

#[derive(Clone, Debug)]
struct SessionState {
    packet_type: PacketType,
    minor: u8,
    /// `seq_no` of the last packet sent or received in this session.
    last_seq: u8,
    turn: Turn,
    /// PAP / CHAP / MS-CHAP: one START, one REPLY.
    single_exchange: bool,
}

/// A client's sessions in progress, by `session_id`: a handful at most (one login, or a few
/// multiplexed over single-connect), so a list searched in order does; it keeps the B-tree
/// code out of the Worker's wasm (≈ 4 KB, bench/RESULTS.md "Worker").
#[derive(Clone, Default)]
struct SessionTable(Vec<(u32, SessionState)>);

impl SessionTable {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn contains_key(&self, id: &u32) -> bool {
        self.get(id).is_some()
    }

    fn get(&self, id: &u32) -> Option<&SessionState> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }

    fn get_mut(&mut self, id: &u32) -> Option<&mut SessionState> {
        self.0.iter_mut().find(|(k, _)| k == id).map(|(_, v)| v)
    }

    /// Inserts or replaces, like a map.
    fn insert(&mut self, id: u32, state: SessionState) {
        match self.get_mut(&id) {
            Some(v) => *v = state,
            None => self.0.push((id, state)),
        }
    }

    fn remove(&mut self, id: &u32) -> Option<SessionState> {
        let i = self.0.iter().position(|(k, _)| k == id)?;
        Some(self.0.swap_remove(i).1)
    }
}

impl fmt::Debug for SessionTable {
    /// As a map ordered by `session_id`, like the B-tree it replaced.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<&(u32, SessionState)> = self.0.iter().collect();
        entries.sort_unstable_by_key(|(k, _)| *k);
        f.debug_map()
            .entries(entries.into_iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// Single Connection Mode status of a connection (§4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SingleConnect {
    /// The first two packets have not both been seen yet.
    Pending,
    /// Both sides set the flag: sessions may be multiplexed.
    Negotiated,
    /// Not negotiated: the connection closes after the first session.
    Refused,
}

fn session_id_from(entropy: &[u8]) -> Result<u32, SessionError> {
    match entropy.first_chunk::<4>() {
        Some(b) => Ok(u32::from_be_bytes(*b)),
        None => Err(SessionError::NotEnoughEntropy(entropy.len())),
    }
}

/// Outcome of an authentication REPLY for the client (§5.4.2, §5.4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthenNext {
    /// GETUSER / GETPASS / GETDATA: prompt with `server_msg` and call
    /// [`Client::continue_authen`]; `echo` is false when NOECHO is set.
    Continue {
        /// Which information the server asks for.
        status: AuthenStatus,
        /// Whether the input may be echoed.
        echo: bool,
    },
    /// Authentication passed; the session is over.
    Pass,
    /// Authentication failed (also for the deprecated FOLLOW, §5.4.3); the session is over.
    Fail,
    /// The server could not complete: behave as if it could not be reached (§4.4).
    Error,
    /// The authen_type is not acceptable: start again with a new session (§5.4.3).
    Restart,
}

/// What [`Client::handle_input`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// An authentication REPLY.
    AuthenReply {
        /// Session.
        session_id: u32,
        /// The reply as received.
        reply: AuthenReply,
        /// What it means for the flow.
        next: AuthenNext,
    },
    /// An authorization RESPONSE (the session is over).
    AuthorResponse {
        /// Session.
        session_id: u32,
        /// The response as received.
        response: AuthorResponse,
    },
    /// An accounting REPLY (the session is over).
    AcctReply {
        /// Session.
        session_id: u32,
        /// The reply as received.
        reply: AcctReply,
    },
    /// A received packet was rejected; when `session_id` names an active session, that
    /// session is terminated (treat as ERROR: try another server, §4.4).
    Rejected {
        /// The session the packet claimed, if any.
        session_id: Option<u32>,
        /// Why (stable codes; e.g. `wrong-key`, `seq-unexpected`, `unknown-session`).
        diagnostics: Vec<Diagnostic>,
    },
    /// Close the connection now.
    Close,
}

pub use super::diag::codes::{FLOW_VIOLATION, UNKNOWN_SESSION};

fn session_diag(code: &'static str, offset: usize, msg: impl Into<String>) -> Diagnostic {
    Diagnostic {
        code,
        severity: super::diag::Severity::Error,
        message: msg.into(),
        offset,
    }
}

/// Framing buffer shared by both ends: yields whole PDUs, or a fatal over-length one.
#[derive(Clone, Default)]
struct Framer {
    buf: Vec<u8>,
}

impl core::fmt::Debug for Framer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Framer({} bytes buffered)", self.buf.len())
    }
}

enum Frame {
    Pdu(Box<Pdu>),
    /// The stream cannot be resynchronised (length over the maximum).
    Fatal(Box<Pdu>),
}

impl Framer {
    fn next(&mut self, opts: &DecodeOptions) -> Option<Frame> {
        match decode_pdu(&self.buf, opts) {
            Decoded::Partial { .. } => None,
            Decoded::Complete(pdu) => {
                if pdu.header.length > opts.max_length {
                    self.buf.clear();
                    return Some(Frame::Fatal(Box::new(pdu)));
                }
                let n = pdu.span.end.min(self.buf.len());
                self.buf.drain(..n);
                Some(Frame::Pdu(Box::new(pdu)))
            }
        }
    }
}

/// Rejection diagnostics for a received PDU: strict validation plus session checks.
fn strict_problems(pdu: &Pdu, unencrypted_ok: bool) -> Vec<Diagnostic> {
    match pdu.validate_with(unencrypted_ok) {
        Ok(()) => Vec::new(),
        Err(d) => d,
    }
}

/// The client end of one connection.
#[derive(Clone, Debug)]
pub struct Client {
    config: SessionConfig,
    opts: DecodeOptions,
    framer: Framer,
    sessions: SessionTable,
    single_connect: SingleConnect,
    /// Packets sent on the connection (for single-connect negotiation).
    sent: usize,
    /// Sessions started on this connection.
    started: usize,
    closing: bool,
}

impl Client {
    /// A client for one fresh connection.
    pub fn new(config: SessionConfig) -> Self {
        let opts = DecodeOptions {
            max_length: config.max_length,
            keys: vec![config.key.clone()],
            expected_direction: Some(Direction::ServerToClient),
        };
        Self {
            config,
            opts,
            framer: Framer::default(),
            sessions: SessionTable::default(),
            single_connect: SingleConnect::Pending,
            sent: 0,
            started: 0,
            closing: false,
        }
    }

    /// Single Connection Mode status.
    pub fn single_connect(&self) -> SingleConnect {
        self.single_connect
    }

    /// Number of sessions in progress.
    pub fn active_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// True once the connection should be closed.
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    fn new_session(&mut self, entropy: &[u8]) -> Result<u32, SessionError> {
        if self.closing {
            return Err(SessionError::Closing);
        }
        // §4.3: nothing else before single-connect status is established; without it,
        // one session per connection.
        if self.started > 0 && self.single_connect != SingleConnect::Negotiated {
            return Err(SessionError::SingleConnectPending);
        }
        let id = session_id_from(entropy)?;
        if self.sessions.contains_key(&id) {
            return Err(SessionError::SessionIdInUse(id));
        }
        Ok(id)
    }

    fn flags(&self) -> HeaderFlags {
        let mut f = HeaderFlags::EMPTY;
        if self.config.unencrypted {
            f = f.with(HeaderFlags::UNENCRYPTED);
        }
        if self.config.single_connect && self.sent == 0 {
            f = f.with(HeaderFlags::SINGLE_CONNECT);
        }
        f
    }

    fn send(
        &mut self,
        session_id: u32,
        st: &SessionState,
        seq_no: u8,
        body: &Body,
    ) -> Result<Transmit, SessionError> {
        let mut h = Header::new(st.packet_type, st.minor, seq_no, session_id);
        h.flags = self.flags();
        let bytes = encode_packet(&h, body, Some(&self.config.key))?;
        self.sent = self.sent.saturating_add(1);
        Ok(Transmit {
            session_id,
            bytes,
            close_after: false,
        })
    }

    fn start(
        &mut self,
        entropy: &[u8],
        packet_type: PacketType,
        minor: u8,
        single_exchange: bool,
        body: &Body,
    ) -> Result<Transmit, SessionError> {
        let id = self.new_session(entropy)?;
        let st = SessionState {
            packet_type,
            minor,
            last_seq: 1,
            turn: Turn::Server,
            single_exchange,
        };
        let t = self.send(id, &st, 1, body)?;
        self.sessions.insert(id, st);
        self.started = self.started.saturating_add(1);
        Ok(t)
    }

    /// Starts an authentication session with `start` (seq_no 1, minor version per
    /// §5.4.1 table 1). `entropy`: at least 4 fresh bytes from a CSPRNG for the session_id.
    pub fn start_authen(
        &mut self,
        entropy: &[u8],
        start: AuthenStart,
    ) -> Result<Transmit, SessionError> {
        let minor = required_minor_version(start.action, start.authen_type)
            .unwrap_or(Header::MINOR_VER_DEFAULT);
        let single = start.is_single_exchange();
        self.start(
            entropy,
            PacketType::AUTHEN,
            minor,
            single,
            &Body::AuthenStart(start),
        )
    }

    /// Starts an authorization session (§6.1).
    pub fn start_author(
        &mut self,
        entropy: &[u8],
        request: AuthorRequest,
    ) -> Result<Transmit, SessionError> {
        self.start(
            entropy,
            PacketType::AUTHOR,
            Header::MINOR_VER_DEFAULT,
            true,
            &Body::AuthorRequest(request),
        )
    }

    /// Starts an accounting session (§7.1).
    pub fn start_acct(
        &mut self,
        entropy: &[u8],
        request: AcctRequest,
    ) -> Result<Transmit, SessionError> {
        self.start(
            entropy,
            PacketType::ACCT,
            Header::MINOR_VER_DEFAULT,
            true,
            &Body::AcctRequest(request),
        )
    }

    fn next_client_seq(&self, session_id: u32) -> Result<(SessionState, u8), SessionError> {
        let st = self
            .sessions
            .get(&session_id)
            .ok_or(SessionError::UnknownSession(session_id))?;
        if st.turn != Turn::Client {
            return Err(SessionError::NotYourTurn(session_id));
        }
        let seq = st.last_seq.saturating_add(1);
        if st.last_seq >= 254 {
            return Err(SessionError::SeqExhausted(session_id));
        }
        Ok((st.clone(), seq))
    }

    /// Answers a GETUSER / GETPASS / GETDATA reply with a CONTINUE carrying `user_msg`
    /// (and `data`, unused by ASCII login) (§5.3, §5.4.2.1).
    pub fn continue_authen(
        &mut self,
        session_id: u32,
        user_msg: &[u8],
        data: &[u8],
    ) -> Result<Transmit, SessionError> {
        let (st, seq) = self.next_client_seq(session_id)?;
        let body = Body::AuthenContinue(AuthenContinue {
            user_msg: user_msg.to_vec(),
            data: data.to_vec(),
            ..Default::default()
        });
        let t = self.send(session_id, &st, seq, &body)?;
        if let Some(s) = self.sessions.get_mut(&session_id) {
            s.last_seq = seq;
            s.turn = Turn::Server;
        }
        Ok(t)
    }

    /// Aborts an authentication session with a CONTINUE carrying the ABORT flag and the
    /// reason in `data` (§5.4.3). The session is over.
    pub fn abort_authen(
        &mut self,
        session_id: u32,
        reason: &[u8],
    ) -> Result<Transmit, SessionError> {
        let (st, seq) = self.next_client_seq(session_id)?;
        let body = Body::AuthenContinue(AuthenContinue {
            user_msg: Vec::new(),
            data: reason.to_vec(),
            flags: ContinueFlags::ABORT,
            ..Default::default()
        });
        let mut t = self.send(session_id, &st, seq, &body)?;
        self.end_session(session_id);
        t.close_after = self.closing;
        Ok(t)
    }

    fn end_session(&mut self, session_id: u32) {
        self.sessions.remove(&session_id);
        if self.single_connect != SingleConnect::Negotiated && self.sessions.is_empty() {
            self.closing = true;
        }
    }

    /// Feeds bytes received from the server; returns what happened, in order.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        if self.closing {
            return events;
        }
        self.framer.buf.extend_from_slice(bytes);
        while let Some(frame) = self.framer.next(&self.opts) {
            match frame {
                Frame::Fatal(pdu) => {
                    let id = pdu.header.session_id;
                    let known = self.sessions.remove(&id).is_some();
                    events.push(ClientEvent::Rejected {
                        session_id: known.then_some(id),
                        diagnostics: strict_problems(&pdu, self.config.unencrypted),
                    });
                    self.closing = true;
                    events.push(ClientEvent::Close);
                    return events;
                }
                Frame::Pdu(pdu) => self.handle_pdu(&pdu, &mut events),
            }
            if self.closing {
                events.push(ClientEvent::Close);
                break;
            }
        }
        events
    }

    fn handle_pdu(&mut self, pdu: &Pdu, events: &mut Vec<ClientEvent>) {
        let h = &pdu.header;
        let id = h.session_id;
        let Some(st) = self.sessions.get(&id).cloned() else {
            events.push(ClientEvent::Rejected {
                session_id: None,
                diagnostics: vec![session_diag(
                    UNKNOWN_SESSION,
                    h.spans.session_id.start,
                    format!("no active session {id:#010x}"),
                )],
            });
            return;
        };
        let mut problems = strict_problems(pdu, self.config.unencrypted);
        if st.turn != Turn::Server || h.seq_no != st.last_seq.wrapping_add(1) {
            problems.push(session_diag(
                codes::SEQ_UNEXPECTED,
                h.spans.seq_no.start,
                format!(
                    "seq_no {} but {} was expected (§4.1)",
                    h.seq_no,
                    st.last_seq.wrapping_add(1)
                ),
            ));
        }
        if h.packet_type != st.packet_type {
            problems.push(session_diag(
                FLOW_VIOLATION,
                h.spans.packet_type.start,
                format!("a {} packet in a {} session", h.packet_type, st.packet_type),
            ));
        }
        // §4.3: the server's first reply settles Single Connection Mode.
        if self.single_connect == SingleConnect::Pending {
            self.single_connect = if self.config.single_connect && h.is_single_connect() {
                SingleConnect::Negotiated
            } else {
                SingleConnect::Refused
            };
        }
        if problems.is_empty() {
            match &pdu.body {
                Body::AuthenReply(r) => {
                    let next = match r.status {
                        AuthenStatus::PASS => AuthenNext::Pass,
                        AuthenStatus::FAIL | AuthenStatus::FOLLOW => AuthenNext::Fail,
                        AuthenStatus::ERROR => AuthenNext::Error,
                        AuthenStatus::RESTART => AuthenNext::Restart,
                        s => AuthenNext::Continue {
                            status: s,
                            echo: !r.flags.contains(ReplyFlags::NOECHO),
                        },
                    };
                    if matches!(next, AuthenNext::Continue { .. }) && st.single_exchange {
                        problems.push(session_diag(
                            FLOW_VIOLATION,
                            r.spans.status.start,
                            format!(
                                "{} in a single START/REPLY flow (PAP/CHAP/MS-CHAP, §5.4.2.2–5)",
                                r.status
                            ),
                        ));
                    } else if matches!(next, AuthenNext::Continue { .. }) && h.seq_no >= 254 {
                        problems.push(session_diag(
                            codes::SEQ_UNEXPECTED,
                            h.spans.seq_no.start,
                            "the session reached the seq_no limit (§4.1)",
                        ));
                    } else {
                        if let AuthenNext::Continue { .. } = next {
                            if let Some(s) = self.sessions.get_mut(&id) {
                                s.last_seq = h.seq_no;
                                s.turn = Turn::Client;
                            }
                        } else {
                            self.end_session(id);
                        }
                        events.push(ClientEvent::AuthenReply {
                            session_id: id,
                            reply: r.clone(),
                            next,
                        });
                        return;
                    }
                }
                Body::AuthorResponse(r) => {
                    self.end_session(id);
                    events.push(ClientEvent::AuthorResponse {
                        session_id: id,
                        response: r.clone(),
                    });
                    return;
                }
                Body::AcctReply(r) => {
                    self.end_session(id);
                    events.push(ClientEvent::AcctReply {
                        session_id: id,
                        reply: r.clone(),
                    });
                    return;
                }
                _ => problems.push(session_diag(
                    FLOW_VIOLATION,
                    pdu.offset,
                    format!("unexpected {} body from the server", pdu.kind().as_str()),
                )),
            }
        }
        self.end_session(id);
        events.push(ClientEvent::Rejected {
            session_id: Some(id),
            diagnostics: problems,
        });
    }
}

/// What [`Server::handle_input`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A new authentication session: answer with [`Server::reply_authen`].
    AuthenStart {
        /// Session.
        session_id: u32,
        /// The START body.
        start: AuthenStart,
    },
    /// A CONTINUE in an authentication session: answer with [`Server::reply_authen`].
    AuthenContinue {
        /// Session.
        session_id: u32,
        /// The CONTINUE body.
        cont: AuthenContinue,
    },
    /// The client aborted an authentication session (§5.4.3); no answer is sent.
    AuthenAbort {
        /// Session.
        session_id: u32,
        /// The reason text from `data`.
        reason: Vec<u8>,
    },
    /// An authorization request: answer with [`Server::respond_author`].
    AuthorRequest {
        /// Session.
        session_id: u32,
        /// The REQUEST body.
        request: AuthorRequest,
    },
    /// An accounting request: answer with [`Server::reply_acct`].
    AcctRequest {
        /// Session.
        session_id: u32,
        /// The REQUEST body.
        request: AcctRequest,
    },
    /// A received packet was rejected (the session, if any, is over).
    Rejected {
        /// The session the packet claimed, if any.
        session_id: Option<u32>,
        /// Why.
        diagnostics: Vec<Diagnostic>,
    },
    /// Bytes the machine produced itself (an ERROR answer to a rejected packet): send them.
    Send(Transmit),
    /// Close the connection now.
    Close,
}

/// The server end of one connection.
#[derive(Clone, Debug)]
pub struct Server {
    config: SessionConfig,
    opts: DecodeOptions,
    framer: Framer,
    sessions: BTreeMap<u32, SessionState>,
    single_connect: SingleConnect,
    /// Whether the client set the flag in its first packet.
    client_flag: bool,
    received: usize,
    replied: usize,
    started: usize,
    /// No new sessions (key mismatch in single-connect mode, §4.4).
    draining: bool,
    closing: bool,
}

impl Server {
    /// A server for one fresh connection.
    pub fn new(config: SessionConfig) -> Self {
        let opts = DecodeOptions {
            max_length: config.max_length,
            keys: vec![config.key.clone()],
            expected_direction: Some(Direction::ClientToServer),
        };
        Self {
            config,
            opts,
            framer: Framer::default(),
            sessions: BTreeMap::new(),
            single_connect: SingleConnect::Pending,
            client_flag: false,
            received: 0,
            replied: 0,
            started: 0,
            draining: false,
            closing: false,
        }
    }

    /// Single Connection Mode status.
    pub fn single_connect(&self) -> SingleConnect {
        self.single_connect
    }

    /// Number of sessions in progress.
    pub fn active_sessions(&self) -> usize {
        self.sessions.len()
    }

    /// True once the connection should be closed.
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    fn flags(&self) -> HeaderFlags {
        let mut f = HeaderFlags::EMPTY;
        if self.config.unencrypted {
            f = f.with(HeaderFlags::UNENCRYPTED);
        }
        // §4.3: the flag in the first reply grants Single Connection Mode.
        if self.config.single_connect && self.replied == 0 {
            f = f.with(HeaderFlags::SINGLE_CONNECT);
        }
        f
    }

    fn settle_single_connect(&mut self) {
        if self.replied == 0 && self.single_connect == SingleConnect::Pending {
            self.single_connect = if self.config.single_connect && self.client_flag {
                SingleConnect::Negotiated
            } else {
                SingleConnect::Refused
            };
        }
    }

    fn end_session(&mut self, session_id: u32) {
        self.sessions.remove(&session_id);
        if self.sessions.is_empty()
            && (self.single_connect != SingleConnect::Negotiated || self.draining)
        {
            self.closing = true;
        }
    }

    fn send_reply(
        &mut self,
        session_id: u32,
        body: &Body,
        terminal: bool,
    ) -> Result<Transmit, SessionError> {
        let st = self
            .sessions
            .get(&session_id)
            .cloned()
            .ok_or(SessionError::UnknownSession(session_id))?;
        if st.turn != Turn::Server {
            return Err(SessionError::NotYourTurn(session_id));
        }
        let want = BodyKind::of(st.packet_type, 2);
        if body.kind() != want {
            return Err(SessionError::FlowViolation {
                session_id,
                reason: "the reply kind does not match the session type",
            });
        }
        let seq = st.last_seq.saturating_add(1);
        if !terminal {
            if st.single_exchange {
                return Err(SessionError::FlowViolation {
                    session_id,
                    reason: "PAP/CHAP/MS-CHAP allow only PASS, FAIL or ERROR (§5.4.2.2-5)",
                });
            }
            if seq >= 254 {
                return Err(SessionError::SeqExhausted(session_id));
            }
        }
        let mut h = Header::new(st.packet_type, st.minor, seq, session_id);
        h.flags = self.flags();
        let bytes = encode_packet(&h, body, Some(&self.config.key))?;
        self.settle_single_connect();
        self.replied = self.replied.saturating_add(1);
        if terminal {
            self.end_session(session_id);
        } else if let Some(s) = self.sessions.get_mut(&session_id) {
            s.last_seq = seq;
            s.turn = Turn::Client;
        }
        Ok(Transmit {
            session_id,
            bytes,
            close_after: self.closing,
        })
    }

    /// Answers an authentication START or CONTINUE (§5.2). GETUSER / GETPASS / GETDATA
    /// keep the session going; any other status ends it.
    pub fn reply_authen(
        &mut self,
        session_id: u32,
        reply: AuthenReply,
    ) -> Result<Transmit, SessionError> {
        let terminal = !matches!(
            reply.status,
            AuthenStatus::GETUSER | AuthenStatus::GETPASS | AuthenStatus::GETDATA
        );
        self.send_reply(session_id, &Body::AuthenReply(reply), terminal)
    }

    /// Answers an authorization REQUEST (§6.2); the session ends.
    pub fn respond_author(
        &mut self,
        session_id: u32,
        response: AuthorResponse,
    ) -> Result<Transmit, SessionError> {
        self.send_reply(session_id, &Body::AuthorResponse(response), true)
    }

    /// Answers an accounting REQUEST (§7.2); the session ends.
    pub fn reply_acct(
        &mut self,
        session_id: u32,
        reply: AcctReply,
    ) -> Result<Transmit, SessionError> {
        self.send_reply(session_id, &Body::AcctReply(reply), true)
    }

    /// An ERROR answer of the right kind for a rejected packet, or the §3.6 error packet
    /// (same header, seq_no + 1, length 0) when the type is unknown.
    fn error_answer(&mut self, pdu: &Pdu, code: &str) -> Option<Transmit> {
        let h = pdu.header;
        if h.seq_no.is_multiple_of(2) || h.seq_no == 255 {
            return None; // no even seq_no left to answer with, or not a client packet
        }
        let seq = h.seq_no.wrapping_add(1);
        let note = format!("rejected: {code}").into_bytes();
        let body = match h.packet_type {
            PacketType::AUTHEN => Body::AuthenReply(AuthenReply {
                status: AuthenStatus::ERROR,
                data: note,
                ..Default::default()
            }),
            PacketType::AUTHOR => Body::AuthorResponse(AuthorResponse {
                status: AuthorStatus::ERROR,
                data: note,
                ..Default::default()
            }),
            PacketType::ACCT => Body::AcctReply(AcctReply {
                status: AcctStatus::ERROR,
                data: note,
                ..Default::default()
            }),
            _ => {
                let mut e = h;
                e.seq_no = seq;
                e.length = 0;
                return Some(Transmit {
                    session_id: h.session_id,
                    bytes: e.to_bytes().to_vec(),
                    close_after: false,
                });
            }
        };
        let mut out = Header::new(h.packet_type, h.minor, seq, h.session_id);
        out.major = h.major;
        out.flags = self.flags();
        let bytes = encode_packet(&out, &body, Some(&self.config.key)).ok()?;
        self.settle_single_connect();
        self.replied = self.replied.saturating_add(1);
        Some(Transmit {
            session_id: h.session_id,
            bytes,
            close_after: false,
        })
    }

    fn reject(
        &mut self,
        pdu: &Pdu,
        known: bool,
        diagnostics: Vec<Diagnostic>,
        events: &mut Vec<ServerEvent>,
    ) {
        let id = pdu.header.session_id;
        let code = diagnostics.first().map_or("error", |d| d.code);
        if diagnostics.iter().any(|d| d.code == codes::WRONG_KEY)
            && self.single_connect == SingleConnect::Negotiated
        {
            self.draining = true; // §4.4
        }
        // §4.5: a request with the UNENCRYPTED flag MUST be dropped (no answer).
        let dropped = diagnostics.iter().any(|d| d.code == codes::UNENCRYPTED);
        let answer = if dropped {
            None
        } else {
            self.error_answer(pdu, code)
        };
        events.push(ServerEvent::Rejected {
            session_id: Some(id),
            diagnostics,
        });
        if known {
            self.end_session(id);
        } else if self.sessions.is_empty()
            && (self.single_connect != SingleConnect::Negotiated || self.draining)
        {
            self.closing = true;
        }
        if let Some(mut t) = answer {
            t.close_after = self.closing;
            events.push(ServerEvent::Send(t));
        }
    }

    /// Feeds bytes received from the client; returns what happened, in order.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Vec<ServerEvent> {
        let mut events = Vec::new();
        if self.closing {
            return events;
        }
        self.framer.buf.extend_from_slice(bytes);
        while let Some(frame) = self.framer.next(&self.opts) {
            match frame {
                Frame::Fatal(pdu) => {
                    let id = pdu.header.session_id;
                    events.push(ServerEvent::Rejected {
                        session_id: Some(id),
                        diagnostics: strict_problems(&pdu, self.config.unencrypted),
                    });
                    self.closing = true;
                    events.push(ServerEvent::Close);
                    return events;
                }
                Frame::Pdu(pdu) => self.handle_pdu(&pdu, &mut events),
            }
            if self.closing {
                events.push(ServerEvent::Close);
                break;
            }
        }
        events
    }

    fn handle_pdu(&mut self, pdu: &Pdu, events: &mut Vec<ServerEvent>) {
        let h = pdu.header;
        let id = h.session_id;
        if self.received == 0 {
            self.client_flag = h.is_single_connect();
        }
        self.received = self.received.saturating_add(1);
        let mut problems = strict_problems(pdu, self.config.unencrypted);
        let existing = self.sessions.get(&id).cloned();
        match &existing {
            None => {
                if h.seq_no != 1 {
                    problems.push(session_diag(
                        UNKNOWN_SESSION,
                        h.spans.session_id.start,
                        format!(
                            "seq_no {} for session {id:#010x}, which is not active",
                            h.seq_no
                        ),
                    ));
                } else if self.draining {
                    problems.push(session_diag(
                        FLOW_VIOLATION,
                        pdu.offset,
                        "no new sessions after a key mismatch on this connection (§4.4)",
                    ));
                } else if self.started > 0 && self.single_connect != SingleConnect::Negotiated {
                    problems.push(session_diag(
                        FLOW_VIOLATION,
                        pdu.offset,
                        "a second session on a connection without Single Connection Mode (§4.3)",
                    ));
                }
            }
            Some(st) => {
                if st.turn != Turn::Client || h.seq_no != st.last_seq.wrapping_add(1) {
                    problems.push(session_diag(
                        codes::SEQ_UNEXPECTED,
                        h.spans.seq_no.start,
                        format!(
                            "seq_no {} but {} was expected (§4.1)",
                            h.seq_no,
                            st.last_seq.wrapping_add(1)
                        ),
                    ));
                }
                if h.packet_type != st.packet_type {
                    problems.push(session_diag(
                        FLOW_VIOLATION,
                        h.spans.packet_type.start,
                        format!("a {} packet in a {} session", h.packet_type, st.packet_type),
                    ));
                }
            }
        }
        if h.seq_no == 255 {
            problems.push(session_diag(
                codes::SEQ_UNEXPECTED,
                h.spans.seq_no.start,
                "seq_no 255 reached: the session must terminate (§4.1)",
            ));
        }
        if !problems.is_empty() {
            self.reject(pdu, existing.is_some(), problems, events);
            return;
        }
        let started = existing.is_none();
        let event = match pdu.body.clone() {
            Body::AuthenStart(start) => {
                let single = start.is_single_exchange();
                self.open(id, &h, single);
                ServerEvent::AuthenStart {
                    session_id: id,
                    start,
                }
            }
            Body::AuthenContinue(cont) => {
                if cont.flags.contains(ContinueFlags::ABORT) {
                    self.end_session(id);
                    events.push(ServerEvent::AuthenAbort {
                        session_id: id,
                        reason: cont.data,
                    });
                    return;
                }
                if let Some(s) = self.sessions.get_mut(&id) {
                    s.last_seq = h.seq_no;
                    s.turn = Turn::Server;
                }
                ServerEvent::AuthenContinue {
                    session_id: id,
                    cont,
                }
            }
            Body::AuthorRequest(request) => {
                self.open(id, &h, true);
                ServerEvent::AuthorRequest {
                    session_id: id,
                    request,
                }
            }
            Body::AcctRequest(request) => {
                self.open(id, &h, true);
                ServerEvent::AcctRequest {
                    session_id: id,
                    request,
                }
            }
            _ => {
                let d = session_diag(
                    FLOW_VIOLATION,
                    pdu.offset,
                    format!("unexpected {} body from the client", pdu.kind().as_str()),
                );
                self.reject(pdu, !started, vec![d], events);
                return;
            }
        };
        events.push(event);
    }

    fn open(&mut self, id: u32, h: &Header, single_exchange: bool) {
        self.sessions.insert(
            id,
            SessionState {
                packet_type: h.packet_type,
                minor: h.minor,
                last_seq: h.seq_no,
                turn: Turn::Server,
                single_exchange,
            },
        );
        self.started = self.started.saturating_add(1);
    }
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
    use crate::tacacs::{AcctFlags, DecodeOptions};

    fn state(last_seq: u8) -> SessionState {
        SessionState {
            packet_type: PacketType::AUTHEN,
            minor: 0,
            last_seq,
            turn: Turn::Client,
            single_exchange: false,
        }
    }

    /// The client's session table answers like the map it replaced (§4.3 multiplexing keeps
    /// several sessions per connection apart by `session_id`).
    #[test]
    fn session_table_is_a_map_by_session_id_4_3() {
        let mut t = SessionTable::default();
        assert!(t.is_empty());
        t.insert(7, state(1));
        t.insert(3, state(1));
        t.insert(7, state(3)); // replaces
        assert_eq!(t.len(), 2);
        assert!(t.contains_key(&3) && !t.contains_key(&5));
        assert_eq!(t.get(&7).map(|s| s.last_seq), Some(3));
        if let Some(s) = t.get_mut(&3) {
            s.last_seq = 5;
        }
        let shown = format!("{t:?}"); // ordered by session_id, like the map
        assert!(shown.find("3: ").is_some() && shown.find("3: ") < shown.find("7: "));
        assert_eq!(t.remove(&3).map(|s| s.last_seq), Some(5));
        assert!(t.remove(&3).is_none());
        assert_eq!(t.get(&7).map(|s| s.last_seq), Some(3));
        assert_eq!(t.remove(&7).map(|s| s.last_seq), Some(3));
        assert!(t.is_empty());
    }

    fn cfg(single: bool) -> SessionConfig {
        SessionConfig {
            single_connect: single,
            ..SessionConfig::new(Key::from_text("s3cret"))
        }
    }

    fn decode(bytes: &[u8], key: &str) -> Pdu {
        match decode_pdu(bytes, &DecodeOptions::with_key(Key::from_text(key))) {
            Decoded::Complete(p) => p,
            Decoded::Partial { .. } => panic!("partial"),
        }
    }

    fn one<T: core::fmt::Debug>(mut v: Vec<T>) -> T {
        assert_eq!(v.len(), 1, "{v:?}");
        v.remove(0)
    }

    const E1: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];
    const E2: [u8; 4] = [0x01, 0x02, 0x03, 0x04];

    #[test]
    fn pap_is_one_start_and_one_reply_5_4_2_2() {
        let mut c = Client::new(cfg(false));
        let mut s = Server::new(cfg(false));
        let t = c
            .start_authen(
                &E1,
                AuthenStart::pap(b"alice", b"pw", b"tty1", b"192.0.2.1"),
            )
            .unwrap();
        assert_eq!(t.session_id, 0xdead_beef);
        let p = decode(&t.bytes, "s3cret");
        assert_eq!(
            (p.header.seq_no, p.header.minor, p.header.flags.0),
            (1, 1, 0)
        );
        let ServerEvent::AuthenStart { session_id, start } = one(s.handle_input(&t.bytes)) else {
            panic!()
        };
        assert_eq!(
            (session_id, start.user.as_slice(), start.data.as_slice()),
            (0xdead_beef, &b"alice"[..], &b"pw"[..])
        );
        // A PAP session cannot ask for more (§5.4.2.2).
        let err = s
            .reply_authen(
                session_id,
                AuthenReply {
                    status: AuthenStatus::GETPASS,
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(matches!(err, SessionError::FlowViolation { .. }));
        let r = s
            .reply_authen(
                session_id,
                AuthenReply {
                    status: AuthenStatus::PASS,
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(r.close_after, "no single-connect: close after the session");
        assert_eq!(decode(&r.bytes, "s3cret").header.seq_no, 2);
        let ev = c.handle_input(&r.bytes);
        assert!(
            matches!(
                &ev[0],
                ClientEvent::AuthenReply {
                    next: AuthenNext::Pass,
                    ..
                }
            ),
            "{ev:?}"
        );
        assert_eq!(ev[1], ClientEvent::Close);
        assert_eq!(c.single_connect(), SingleConnect::Refused);
        assert!(c.is_closing() && s.is_closing());
        assert_eq!(
            c.start_authen(&E2, AuthenStart::pap(b"a", b"b", b"", b"")),
            Err(SessionError::Closing)
        );
    }

    #[test]
    fn ascii_login_getuser_getpass_continue_dialogue_5_4_2_1() {
        let mut c = Client::new(cfg(false));
        let mut s = Server::new(cfg(false));
        let t = c
            .start_authen(&E1, AuthenStart::ascii_login(b"", b"tty1", b""))
            .unwrap();
        assert_eq!(
            decode(&t.bytes, "s3cret").header.minor,
            0,
            "ASCII uses minor 0 (§5.4.1)"
        );
        let ServerEvent::AuthenStart { session_id: id, .. } = one(s.handle_input(&t.bytes)) else {
            panic!()
        };
        let getuser = AuthenReply {
            status: AuthenStatus::GETUSER,
            server_msg: b"Username: ".to_vec(),
            ..Default::default()
        };
        let r = s.reply_authen(id, getuser).unwrap();
        assert!(!r.close_after);
        let ClientEvent::AuthenReply { next, .. } = one(c.handle_input(&r.bytes)) else {
            panic!()
        };
        assert_eq!(
            next,
            AuthenNext::Continue {
                status: AuthenStatus::GETUSER,
                echo: true
            }
        );
        // The client may not send anything else in this session before it answers... and the
        // server may not reply twice.
        assert_eq!(
            s.reply_authen(id, AuthenReply::default()),
            Err(SessionError::NotYourTurn(id))
        );
        let t = c.continue_authen(id, b"alice", b"").unwrap();
        assert_eq!(decode(&t.bytes, "s3cret").header.seq_no, 3);
        let ServerEvent::AuthenContinue { cont, .. } = one(s.handle_input(&t.bytes)) else {
            panic!()
        };
        assert_eq!(cont.user_msg, b"alice");
        let getpass = AuthenReply {
            status: AuthenStatus::GETPASS,
            flags: ReplyFlags::NOECHO,
            ..Default::default()
        };
        let r = s.reply_authen(id, getpass).unwrap();
        let ClientEvent::AuthenReply { next, .. } = one(c.handle_input(&r.bytes)) else {
            panic!()
        };
        assert_eq!(
            next,
            AuthenNext::Continue {
                status: AuthenStatus::GETPASS,
                echo: false
            }
        );
        let t = c.continue_authen(id, b"pw", b"").unwrap();
        assert_eq!(decode(&t.bytes, "s3cret").header.seq_no, 5);
        let ServerEvent::AuthenContinue { cont, .. } = one(s.handle_input(&t.bytes)) else {
            panic!()
        };
        assert_eq!(cont.user_msg, b"pw");
        let r = s
            .reply_authen(
                id,
                AuthenReply {
                    status: AuthenStatus::FAIL,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(decode(&r.bytes, "s3cret").header.seq_no, 6);
        let ev = c.handle_input(&r.bytes);
        assert!(matches!(
            ev[0],
            ClientEvent::AuthenReply {
                next: AuthenNext::Fail,
                ..
            }
        ));
    }

    #[test]
    fn chap_is_single_exchange_and_follow_means_fail_5_4_2_3_5_4_3() {
        let mut c = Client::new(cfg(false));
        let mut s = Server::new(cfg(false));
        let start = AuthenStart::chap_login(b"bob", b"", b"", 1, b"challenge", &[7; 16]);
        let t = c.start_authen(&E1, start).unwrap();
        let ServerEvent::AuthenStart {
            session_id: id,
            start,
        } = one(s.handle_input(&t.bytes))
        else {
            panic!()
        };
        assert_eq!(start.chap().unwrap().challenge, b"challenge");
        let r = s
            .reply_authen(
                id,
                AuthenReply {
                    status: AuthenStatus::FOLLOW,
                    ..Default::default()
                },
            )
            .unwrap();
        let ev = c.handle_input(&r.bytes);
        assert!(matches!(
            ev[0],
            ClientEvent::AuthenReply {
                next: AuthenNext::Fail,
                ..
            }
        ));
    }

    #[test]
    fn client_rejects_getdata_in_a_pap_session_5_4_2_2() {
        let mut c = Client::new(cfg(false));
        let t = c
            .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
            .unwrap();
        let h = decode(&t.bytes, "s3cret").header;
        let mut rh = Header::new(PacketType::AUTHEN, 1, 2, h.session_id);
        rh.flags = HeaderFlags::EMPTY;
        let body = Body::AuthenReply(AuthenReply {
            status: AuthenStatus::GETDATA,
            ..Default::default()
        });
        let bytes = encode_packet(&rh, &body, Some(&Key::from_text("s3cret"))).unwrap();
        let ev = c.handle_input(&bytes);
        let ClientEvent::Rejected {
            session_id,
            diagnostics,
        } = &ev[0]
        else {
            panic!("{ev:?}")
        };
        assert_eq!(*session_id, Some(h.session_id));
        assert_eq!(diagnostics[0].code, FLOW_VIOLATION);
    }

    #[test]
    fn authorization_and_accounting_are_one_request_one_response_6_7() {
        let mut c = Client::new(cfg(true));
        let mut s = Server::new(cfg(true));
        let req = AuthorRequest {
            user: b"alice".to_vec(),
            args: vec![b"service=shell".to_vec()],
            ..Default::default()
        };
        let t = c.start_author(&E1, req).unwrap();
        assert_eq!(decode(&t.bytes, "s3cret").header.minor, 0);
        let ServerEvent::AuthorRequest {
            session_id: id,
            request,
        } = one(s.handle_input(&t.bytes))
        else {
            panic!()
        };
        assert_eq!(request.args, vec![b"service=shell".to_vec()]);
        let r = s
            .respond_author(
                id,
                AuthorResponse {
                    status: AuthorStatus::PASS_ADD,
                    args: vec![b"priv-lvl=15".to_vec()],
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(!r.close_after, "single-connect negotiated");
        let ClientEvent::AuthorResponse { response, .. } = one(c.handle_input(&r.bytes)) else {
            panic!()
        };
        assert_eq!(response.status, AuthorStatus::PASS_ADD);
        let acct = AcctRequest {
            flags: AcctFlags::START,
            args: vec![b"task_id=1".to_vec()],
            ..Default::default()
        };
        let t = c.start_acct(&E2, acct).unwrap();
        let ServerEvent::AcctRequest {
            session_id: id2, ..
        } = one(s.handle_input(&t.bytes))
        else {
            panic!()
        };
        assert_eq!(id2, 0x0102_0304);
        let r = s
            .reply_acct(
                id2,
                AcctReply {
                    status: AcctStatus::SUCCESS,
                    ..Default::default()
                },
            )
            .unwrap();
        let ClientEvent::AcctReply { reply, .. } = one(c.handle_input(&r.bytes)) else {
            panic!()
        };
        assert_eq!(reply.status, AcctStatus::SUCCESS);
        assert_eq!((c.active_sessions(), s.active_sessions()), (0, 0));
        assert!(!c.is_closing() && !s.is_closing());
    }

    #[test]
    fn single_connect_is_negotiated_by_the_first_two_packets_4_3() {
        let mut c = Client::new(cfg(true));
        let mut s = Server::new(cfg(true));
        let t1 = c
            .start_acct(
                &E1,
                AcctRequest {
                    flags: AcctFlags::START,
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(decode(&t1.bytes, "s3cret").header.is_single_connect());
        assert_eq!(c.single_connect(), SingleConnect::Pending);
        // The client MUST NOT send a second packet until single-connect status is established.
        assert_eq!(
            c.start_acct(&E2, AcctRequest::default()),
            Err(SessionError::SingleConnectPending)
        );
        one(s.handle_input(&t1.bytes));
        let r1 = s
            .reply_acct(
                0xdead_beef,
                AcctReply {
                    status: AcctStatus::SUCCESS,
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(decode(&r1.bytes, "s3cret").header.is_single_connect());
        assert_eq!(s.single_connect(), SingleConnect::Negotiated);
        one(c.handle_input(&r1.bytes));
        assert_eq!(c.single_connect(), SingleConnect::Negotiated);
        // Now sessions may run side by side, and later packets carry no flag (ignored anyway).
        let a = c
            .start_acct(
                &E1,
                AcctRequest {
                    flags: AcctFlags::STOP,
                    ..Default::default()
                },
            )
            .unwrap();
        let b = c
            .start_acct(
                &E2,
                AcctRequest {
                    flags: AcctFlags::STOP,
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(!decode(&a.bytes, "s3cret").header.is_single_connect());
        let both = [a.bytes, b.bytes].concat();
        assert_eq!(s.handle_input(&both).len(), 2, "two PDUs in one read");
        assert_eq!(s.active_sessions(), 2);
    }

    #[test]
    fn server_refusing_single_connect_closes_after_first_session_4_3() {
        let mut c = Client::new(cfg(true));
        let mut s = Server::new(cfg(false));
        let t = c
            .start_acct(
                &E1,
                AcctRequest {
                    flags: AcctFlags::START,
                    ..Default::default()
                },
            )
            .unwrap();
        one(s.handle_input(&t.bytes));
        let r = s
            .reply_acct(
                0xdead_beef,
                AcctReply {
                    status: AcctStatus::SUCCESS,
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(!decode(&r.bytes, "s3cret").header.is_single_connect());
        assert!(r.close_after);
        let ev = c.handle_input(&r.bytes);
        assert_eq!(ev.last(), Some(&ClientEvent::Close));
        assert_eq!(c.single_connect(), SingleConnect::Refused);
    }

    #[test]
    fn server_rejects_a_second_session_without_single_connect_4_3() {
        let mut s = Server::new(cfg(false));
        let mut c1 = Client::new(cfg(false));
        let mut c2 = Client::new(cfg(false));
        let a = c1
            .start_acct(
                &E1,
                AcctRequest {
                    flags: AcctFlags::START,
                    ..Default::default()
                },
            )
            .unwrap();
        let b = c2
            .start_acct(
                &E2,
                AcctRequest {
                    flags: AcctFlags::START,
                    ..Default::default()
                },
            )
            .unwrap();
        one(s.handle_input(&a.bytes));
        let ev = s.handle_input(&b.bytes);
        let ServerEvent::Rejected { diagnostics, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(diagnostics[0].code, FLOW_VIOLATION);
        let ServerEvent::Send(t) = &ev[1] else {
            panic!("{ev:?}")
        };
        let Body::AcctReply(r) = decode(&t.bytes, "s3cret").body else {
            panic!()
        };
        assert_eq!(r.status, AcctStatus::ERROR);
    }

    #[test]
    fn client_rejects_wrong_session_id_bad_seq_and_absurd_length_4_1() {
        let mut c = Client::new(cfg(true));
        let t = c
            .start_authen(&E1, AuthenStart::ascii_login(b"", b"", b""))
            .unwrap();
        let id = t.session_id;
        let key = Key::from_text("s3cret");
        let reply = |sid: u32, seq: u8| {
            let h = Header::new(PacketType::AUTHEN, 0, seq, sid);
            let b = Body::AuthenReply(AuthenReply {
                status: AuthenStatus::GETUSER,
                ..Default::default()
            });
            encode_packet(&h, &b, Some(&key)).unwrap()
        };
        // Unknown session: reported, ignored, the real session survives.
        let ClientEvent::Rejected {
            session_id,
            diagnostics,
        } = one(c.handle_input(&reply(0x1111_1111, 2)))
        else {
            panic!()
        };
        assert_eq!((session_id, diagnostics[0].code), (None, UNKNOWN_SESSION));
        assert_eq!(c.active_sessions(), 1);
        // Wrong seq_no: the session is terminated.
        let ev = c.handle_input(&reply(id, 4));
        let ClientEvent::Rejected {
            session_id,
            diagnostics,
        } = &ev[0]
        else {
            panic!()
        };
        assert_eq!(*session_id, Some(id));
        assert!(diagnostics.iter().any(|d| d.code == codes::SEQ_UNEXPECTED));
        assert_eq!(c.active_sessions(), 0);
        // Absurd length: the stream cannot be trusted any more.
        let mut c = Client::new(cfg(true));
        let t = c
            .start_authen(&E1, AuthenStart::ascii_login(b"", b"", b""))
            .unwrap();
        let mut h = Header::new(PacketType::AUTHEN, 0, 2, t.session_id);
        h.length = 0xffff_ffff;
        let ev = c.handle_input(&h.to_bytes());
        assert!(ev.iter().any(|e| matches!(e, ClientEvent::Rejected { diagnostics, .. } if diagnostics.iter().any(|d| d.code == codes::LENGTH_OVER_MAX))));
        assert_eq!(ev.last(), Some(&ClientEvent::Close));
    }

    #[test]
    fn client_waits_for_the_rest_of_a_split_reply() {
        let mut c = Client::new(cfg(false));
        let mut s = Server::new(cfg(false));
        let t = c
            .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
            .unwrap();
        one(s.handle_input(&t.bytes));
        let r = s
            .reply_authen(
                t.session_id,
                AuthenReply {
                    status: AuthenStatus::PASS,
                    server_msg: b"hi".to_vec(),
                    ..Default::default()
                },
            )
            .unwrap();
        for (i, b) in r.bytes.iter().enumerate() {
            let ev = c.handle_input(&[*b]);
            if i + 1 < r.bytes.len() {
                assert!(ev.is_empty(), "byte {i}: {ev:?}");
            } else {
                assert!(matches!(
                    ev[0],
                    ClientEvent::AuthenReply {
                        next: AuthenNext::Pass,
                        ..
                    }
                ));
            }
        }
    }

    #[test]
    fn server_answers_wrong_key_with_error_and_drains_single_connect_4_4_4_5() {
        let mut c = Client::new(SessionConfig {
            single_connect: true,
            ..SessionConfig::new(Key::from_text("other"))
        });
        let mut s = Server::new(cfg(true));
        // Negotiate single-connect with a good client first, on the same server connection.
        let mut good = Client::new(cfg(true));
        let t = good
            .start_acct(
                &E2,
                AcctRequest {
                    flags: AcctFlags::START,
                    ..Default::default()
                },
            )
            .unwrap();
        one(s.handle_input(&t.bytes));
        s.reply_acct(
            t.session_id,
            AcctReply {
                status: AcctStatus::SUCCESS,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.single_connect(), SingleConnect::Negotiated);
        let t = c
            .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
            .unwrap();
        let ev = s.handle_input(&t.bytes);
        let ServerEvent::Rejected { diagnostics, .. } = &ev[0] else {
            panic!("{ev:?}")
        };
        assert!(diagnostics.iter().any(|d| d.code == codes::WRONG_KEY));
        let ServerEvent::Send(answer) = &ev[1] else {
            panic!("{ev:?}")
        };
        let p = decode(&answer.bytes, "s3cret");
        assert_eq!(p.header.seq_no, 2);
        let Body::AuthenReply(r) = p.body else {
            panic!()
        };
        assert_eq!(r.status, AuthenStatus::ERROR, "§4.5: MUST return ERROR");
        assert!(
            answer.close_after,
            "§4.4: no new sessions, none active: close"
        );
        assert_eq!(ev.last(), Some(&ServerEvent::Close));
    }

    #[test]
    fn server_drops_unencrypted_requests_4_5() {
        let mut c = Client::new(SessionConfig {
            unencrypted: true,
            ..cfg(false)
        });
        let mut s = Server::new(cfg(false));
        let t = c
            .start_authen(&E1, AuthenStart::pap(b"u", b"p", b"", b""))
            .unwrap();
        let ev = s.handle_input(&t.bytes);
        assert!(
            matches!(&ev[0], ServerEvent::Rejected { diagnostics, .. } if diagnostics.iter().any(|d| d.code == codes::UNENCRYPTED))
        );
        assert!(
            !ev.iter().any(|e| matches!(e, ServerEvent::Send(_))),
            "dropped, not answered"
        );
        // Both ends configured for unencrypted testing: it works.
        let mut s = Server::new(SessionConfig {
            unencrypted: true,
            ..cfg(false)
        });
        assert!(matches!(
            one(s.handle_input(&t.bytes)),
            ServerEvent::AuthenStart { .. }
        ));
    }

    #[test]
    fn server_answers_unknown_type_with_the_generic_error_packet_3_6() {
        let mut s = Server::new(cfg(false));
        let mut h = Header::new(PacketType(9), 0, 1, 0x4242_4242);
        h.length = 3;
        let mut bytes = h.to_bytes().to_vec();
        bytes.extend_from_slice(b"abc");
        let ev = s.handle_input(&bytes);
        let ServerEvent::Send(t) = &ev[1] else {
            panic!("{ev:?}")
        };
        let mut want = h;
        want.seq_no = 2;
        want.length = 0;
        assert_eq!(t.bytes, want.to_bytes().to_vec());
    }

    #[test]
    fn seq_no_never_wraps_session_terminates_at_255_4_1() {
        let mut c = Client::new(cfg(false));
        let mut s = Server::new(cfg(false));
        let t = c
            .start_authen(&E1, AuthenStart::ascii_login(b"u", b"", b""))
            .unwrap();
        let id = t.session_id;
        one(s.handle_input(&t.bytes));
        let getdata = || AuthenReply {
            status: AuthenStatus::GETDATA,
            ..Default::default()
        };
        let mut last = 1;
        loop {
            match s.reply_authen(id, getdata()) {
                Ok(r) => {
                    let ClientEvent::AuthenReply { .. } = one(c.handle_input(&r.bytes)) else {
                        panic!()
                    };
                    let t = c.continue_authen(id, b"x", b"").unwrap();
                    last = decode(&t.bytes, "s3cret").header.seq_no;
                    one(s.handle_input(&t.bytes));
                }
                Err(e) => {
                    assert_eq!(e, SessionError::SeqExhausted(id));
                    break;
                }
            }
        }
        assert_eq!(
            last, 253,
            "the last CONTINUE is 253; a GETDATA at 254 would need 255"
        );
        // The server can still end the session at 254.
        let r = s
            .reply_authen(
                id,
                AuthenReply {
                    status: AuthenStatus::ERROR,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(decode(&r.bytes, "s3cret").header.seq_no, 254);
        // A client packet with seq_no 255 is refused by a server.
        let mut s = Server::new(cfg(false));
        let h = Header::new(PacketType::AUTHEN, 0, 255, 7);
        let b = Body::AuthenContinue(AuthenContinue::default());
        let bytes = encode_packet(&h, &b, Some(&Key::from_text("s3cret"))).unwrap();
        let ev = s.handle_input(&bytes);
        assert!(matches!(&ev[0], ServerEvent::Rejected { .. }));
        assert!(
            !ev.iter().any(|e| matches!(e, ServerEvent::Send(_))),
            "no seq_no 256 to answer with"
        );
    }

    #[test]
    fn session_id_comes_from_caller_entropy_4_1() {
        let mut c = Client::new(cfg(true));
        assert_eq!(
            c.start_authen(&[1, 2, 3], AuthenStart::default()),
            Err(SessionError::NotEnoughEntropy(3))
        );
        let t = c
            .start_authen(
                &[0xaa, 0xbb, 0xcc, 0xdd, 0xee],
                AuthenStart::ascii_login(b"", b"", b""),
            )
            .unwrap();
        assert_eq!(t.session_id, 0xaabb_ccdd);
        assert_eq!(decode(&t.bytes, "s3cret").header.session_id, 0xaabb_ccdd);
    }

    #[test]
    fn client_abort_ends_the_session_on_both_sides_5_4_3() {
        let mut c = Client::new(cfg(false));
        let mut s = Server::new(cfg(false));
        let t = c
            .start_authen(&E1, AuthenStart::ascii_login(b"", b"", b""))
            .unwrap();
        one(s.handle_input(&t.bytes));
        let r = s
            .reply_authen(
                t.session_id,
                AuthenReply {
                    status: AuthenStatus::GETUSER,
                    ..Default::default()
                },
            )
            .unwrap();
        one(c.handle_input(&r.bytes));
        let a = c.abort_authen(t.session_id, b"user hung up").unwrap();
        assert!(a.close_after);
        let ev = s.handle_input(&a.bytes);
        assert_eq!(
            ev[0],
            ServerEvent::AuthenAbort {
                session_id: t.session_id,
                reason: b"user hung up".to_vec()
            }
        );
        assert_eq!(ev[1], ServerEvent::Close);
    }
}
