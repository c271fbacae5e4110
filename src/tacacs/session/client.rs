//! The client end: starts sessions, answers GETUSER / GETPASS / GETDATA, reads the server's
//! replies (§5.4.2, §6, §7).

use super::connection::{
    self, Connection, MAX_SEQ_AWAITING_ANSWER, NoNewSession, SessionState, SessionTable, Sessions,
    Side, Turn, session_diag, session_id_from,
};
use super::{SessionConfig, SessionError, SingleConnect, Transmit};
use crate::tacacs::Pdu;
use crate::tacacs::acct::{AcctReply, AcctRequest};
use crate::tacacs::authen::{AuthenContinue, AuthenReply, AuthenStart, required_minor_version};
use crate::tacacs::author::{AuthorRequest, AuthorResponse};
use crate::tacacs::body::Body;
use crate::tacacs::diag::{Diagnostic, codes};
use crate::tacacs::enums::{AuthenStatus, ContinueFlags, PacketType, ReplyFlags};
use crate::tacacs::header::Header;

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

impl AuthenNext {
    /// What a REPLY means for the flow (§5.4.3: FOLLOW is treated as FAIL).
    fn of(reply: &AuthenReply) -> Self {
        match reply.status {
            AuthenStatus::PASS => Self::Pass,
            AuthenStatus::FAIL | AuthenStatus::FOLLOW => Self::Fail,
            AuthenStatus::ERROR => Self::Error,
            AuthenStatus::RESTART => Self::Restart,
            s => Self::Continue {
                status: s,
                echo: !reply.flags.contains(ReplyFlags::NOECHO),
            },
        }
    }
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

/// The client end of one connection.
#[derive(Clone, Debug)]
pub struct Client {
    conn: Connection<SessionTable>,
}

impl Client {
    /// A client for one fresh connection.
    pub fn new(config: SessionConfig) -> Self {
        Self {
            conn: Connection::new(config, Turn::Client),
        }
    }

    /// Single Connection Mode status.
    pub fn single_connect(&self) -> SingleConnect {
        self.conn.single_connect()
    }

    /// Number of sessions in progress.
    pub fn active_sessions(&self) -> usize {
        self.conn.sessions.len()
    }

    /// True once the connection should be closed.
    pub fn is_closing(&self) -> bool {
        self.conn.is_closing()
    }

    fn new_session(&mut self, entropy: &[u8]) -> Result<u32, SessionError> {
        self.conn.admit().map_err(|e| match e {
            NoNewSession::Closing | NoNewSession::Draining => SessionError::Closing,
            NoNewSession::SingleConnect => SessionError::SingleConnectPending,
        })?;
        let id = session_id_from(entropy)?;
        if self.conn.sessions.contains_key(&id) {
            return Err(SessionError::SessionIdInUse(id));
        }
        Ok(id)
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
        let st = SessionState::opened(packet_type, minor, single_exchange);
        let t = self.conn.transmit(id, &st, 1, body)?;
        self.conn.open(id, st);
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

    /// The session and `seq_no` of the client's next packet in `session_id`: its turn, and
    /// room left for the server's answer (§4.1).
    fn next_to_send(&self, session_id: u32) -> Result<(SessionState, u8), SessionError> {
        let (st, seq) = self.conn.next_to_send(session_id)?;
        if seq > MAX_SEQ_AWAITING_ANSWER {
            return Err(SessionError::SeqExhausted(session_id));
        }
        Ok((st, seq))
    }

    /// Answers a GETUSER / GETPASS / GETDATA reply with a CONTINUE carrying `user_msg`
    /// (and `data`, unused by ASCII login) (§5.3, §5.4.2.1).
    pub fn continue_authen(
        &mut self,
        session_id: u32,
        user_msg: &[u8],
        data: &[u8],
    ) -> Result<Transmit, SessionError> {
        let (st, seq) = self.next_to_send(session_id)?;
        let body = Body::AuthenContinue(AuthenContinue {
            user_msg: user_msg.to_vec(),
            data: data.to_vec(),
            ..Default::default()
        });
        let t = self.conn.transmit(session_id, &st, seq, &body)?;
        self.conn.sent_in(session_id, seq);
        Ok(t)
    }

    /// Aborts an authentication session with a CONTINUE carrying the ABORT flag and the
    /// reason in `data` (§5.4.3). The session is over.
    pub fn abort_authen(
        &mut self,
        session_id: u32,
        reason: &[u8],
    ) -> Result<Transmit, SessionError> {
        let (st, seq) = self.next_to_send(session_id)?;
        let body = Body::AuthenContinue(AuthenContinue {
            user_msg: Vec::new(),
            data: reason.to_vec(),
            flags: ContinueFlags::ABORT,
            ..Default::default()
        });
        let mut t = self.conn.transmit(session_id, &st, seq, &body)?;
        self.conn.end_session(session_id);
        t.close_after = self.conn.is_closing();
        Ok(t)
    }

    /// Feeds bytes received from the server; returns what happened, in order.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Vec<ClientEvent> {
        connection::handle_input(self, bytes)
    }

    /// The event for an accepted reply body of session `st`, or why the body is refused.
    fn accept(&mut self, pdu: &Pdu, st: &SessionState) -> Result<ClientEvent, Diagnostic> {
        let h = &pdu.header;
        let id = h.session_id;
        match &pdu.body {
            Body::AuthenReply(r) => {
                let next = AuthenNext::of(r);
                let more = matches!(next, AuthenNext::Continue { .. });
                if more && st.single_exchange {
                    return Err(session_diag(
                        codes::FLOW_VIOLATION,
                        r.spans.status.start,
                        format!(
                            "{} in a single START/REPLY flow (PAP/CHAP/MS-CHAP, §5.4.2.2–5)",
                            r.status
                        ),
                    ));
                }
                if more && h.seq_no > MAX_SEQ_AWAITING_ANSWER {
                    return Err(session_diag(
                        codes::SEQ_UNEXPECTED,
                        h.spans.seq_no.start,
                        "the session reached the seq_no limit (§4.1)",
                    ));
                }
                if more {
                    self.conn.received_in(id, h.seq_no);
                } else {
                    self.conn.end_session(id);
                }
                Ok(ClientEvent::AuthenReply {
                    session_id: id,
                    reply: r.clone(),
                    next,
                })
            }
            Body::AuthorResponse(r) => {
                self.conn.end_session(id);
                Ok(ClientEvent::AuthorResponse {
                    session_id: id,
                    response: r.clone(),
                })
            }
            Body::AcctReply(r) => {
                self.conn.end_session(id);
                Ok(ClientEvent::AcctReply {
                    session_id: id,
                    reply: r.clone(),
                })
            }
            _ => Err(session_diag(
                codes::FLOW_VIOLATION,
                pdu.offset,
                format!("unexpected {} body from the server", pdu.kind().as_str()),
            )),
        }
    }
}

impl Side for Client {
    type Sessions = SessionTable;
    type Event = ClientEvent;

    fn connection(&mut self) -> &mut Connection<SessionTable> {
        &mut self.conn
    }

    fn handle_pdu(&mut self, pdu: &Pdu, events: &mut Vec<ClientEvent>) {
        let h = &pdu.header;
        let id = h.session_id;
        let Some(st) = self.conn.sessions.get(&id).cloned() else {
            events.push(ClientEvent::Rejected {
                session_id: None,
                diagnostics: vec![session_diag(
                    codes::UNKNOWN_SESSION,
                    h.spans.session_id.start,
                    format!("no active session {id:#010x}"),
                )],
            });
            return;
        };
        let mut problems = self.conn.packet_problems(pdu, &st);
        // §4.3: the server's first reply settles Single Connection Mode.
        self.conn.note_peer_packet(h);
        self.conn.settle_single_connect();
        if problems.is_empty() {
            match self.accept(pdu, &st) {
                Ok(event) => {
                    events.push(event);
                    return;
                }
                Err(d) => problems.push(d),
            }
        }
        self.conn.end_session(id);
        events.push(ClientEvent::Rejected {
            session_id: Some(id),
            diagnostics: problems,
        });
    }

    fn fatal_session(&mut self, id: u32) -> Option<u32> {
        self.conn.sessions.remove(&id).is_some().then_some(id)
    }

    fn rejected(session_id: Option<u32>, diagnostics: Vec<Diagnostic>) -> ClientEvent {
        ClientEvent::Rejected {
            session_id,
            diagnostics,
        }
    }

    fn close() -> ClientEvent {
        ClientEvent::Close
    }
}
