//! The server end: accepts sessions, answers them, and answers a packet it refuses with an
//! ERROR of the right kind (§4.5) or the §3.6 error packet.

use std::collections::BTreeMap;

use super::connection::{
    self, Connection, MAX_SEQ_AWAITING_ANSWER, NoNewSession, SessionState, Side, Turn, session_diag,
};
use super::{SessionConfig, SessionError, SingleConnect, Transmit};
use crate::tacacs::Pdu;
use crate::tacacs::acct::{AcctReply, AcctRequest};
use crate::tacacs::authen::{AuthenContinue, AuthenReply, AuthenStart};
use crate::tacacs::author::{AuthorRequest, AuthorResponse};
use crate::tacacs::body::{Body, BodyKind};
use crate::tacacs::diag::{Diagnostic, codes};
use crate::tacacs::enums::{AcctStatus, AuthenStatus, AuthorStatus, ContinueFlags, PacketType};
use crate::tacacs::header::Header;

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
    conn: Connection<BTreeMap<u32, SessionState>>,
}

impl Server {
    /// A server for one fresh connection.
    pub fn new(config: SessionConfig) -> Self {
        Self {
            conn: Connection::new(config, Turn::Server),
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

    fn send_reply(
        &mut self,
        session_id: u32,
        body: &Body,
        terminal: bool,
    ) -> Result<Transmit, SessionError> {
        let (st, seq) = self.conn.next_to_send(session_id)?;
        let want = BodyKind::of(st.packet_type, 2);
        if body.kind() != want {
            return Err(SessionError::FlowViolation {
                session_id,
                reason: "the reply kind does not match the session type",
            });
        }
        if !terminal {
            if st.single_exchange {
                return Err(SessionError::FlowViolation {
                    session_id,
                    reason: "PAP/CHAP/MS-CHAP allow only PASS, FAIL or ERROR (§5.4.2.2-5)",
                });
            }
            if seq > MAX_SEQ_AWAITING_ANSWER {
                return Err(SessionError::SeqExhausted(session_id));
            }
        }
        let mut t = self.conn.transmit(session_id, &st, seq, body)?;
        // §4.3: the flag in the first reply grants Single Connection Mode.
        self.conn.settle_single_connect();
        if terminal {
            self.conn.end_session(session_id);
        } else {
            self.conn.sent_in(session_id, seq);
        }
        t.close_after = self.conn.is_closing();
        Ok(t)
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

    /// Feeds bytes received from the client; returns what happened, in order.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Vec<ServerEvent> {
        connection::handle_input(self, bytes)
    }

    /// An ERROR answer of the right kind for a rejected packet, or the §3.6 error packet
    /// (same header, seq_no + 1, length 0) when the type is unknown.
    fn error_answer(&mut self, pdu: &Pdu, code: &str) -> Option<Transmit> {
        let h = pdu.header;
        if h.seq_no.is_multiple_of(2) || h.seq_no == u8::MAX {
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
        let bytes = self.conn.encode(out, &body).ok()?;
        self.conn.settle_single_connect();
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
        self.conn.drain_on_wrong_key(&diagnostics); // §4.4
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
            self.conn.end_session(id);
        } else {
            self.conn.close_if_idle();
        }
        if let Some(mut t) = answer {
            t.close_after = self.conn.is_closing();
            events.push(ServerEvent::Send(t));
        }
    }

    /// Why a packet that is not part of an active session cannot open one.
    fn new_session_problem(&self, pdu: &Pdu) -> Option<Diagnostic> {
        let h = &pdu.header;
        if h.seq_no != 1 {
            return Some(session_diag(
                codes::UNKNOWN_SESSION,
                h.spans.session_id.start,
                format!(
                    "seq_no {} for session {:#010x}, which is not active",
                    h.seq_no, h.session_id
                ),
            ));
        }
        let why = match self.conn.admit() {
            Ok(()) => return None,
            Err(NoNewSession::Closing) => "the connection is closing (§4.4)",
            Err(NoNewSession::Draining) => {
                "no new sessions after a key mismatch on this connection (§4.4)"
            }
            Err(NoNewSession::SingleConnect) => {
                "a second session on a connection without Single Connection Mode (§4.3)"
            }
        };
        Some(session_diag(codes::FLOW_VIOLATION, pdu.offset, why))
    }

    /// Opens the session of a client's first packet (its `seq_no` 1 was checked).
    fn open(&mut self, h: &Header, single_exchange: bool) {
        let st = SessionState::opened(h.packet_type, h.minor, single_exchange);
        self.conn.open(h.session_id, st);
    }
}

impl Side for Server {
    type Sessions = BTreeMap<u32, SessionState>;
    type Event = ServerEvent;

    fn connection(&mut self) -> &mut Connection<Self::Sessions> {
        &mut self.conn
    }

    fn handle_pdu(&mut self, pdu: &Pdu, events: &mut Vec<ServerEvent>) {
        let h = pdu.header;
        let id = h.session_id;
        // §4.3: the client's first packet asks for Single Connection Mode.
        self.conn.note_peer_packet(&h);
        let existing = self.conn.sessions.get(&id).cloned();
        let mut problems = match &existing {
            Some(st) => self.conn.packet_problems(pdu, st),
            None => {
                let mut p = self.conn.strict_problems(pdu);
                p.extend(self.new_session_problem(pdu));
                p
            }
        };
        if h.seq_no == u8::MAX {
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
        let event = match pdu.body.clone() {
            Body::AuthenStart(start) => {
                self.open(&h, start.is_single_exchange());
                ServerEvent::AuthenStart {
                    session_id: id,
                    start,
                }
            }
            Body::AuthenContinue(cont) => {
                if cont.flags.contains(ContinueFlags::ABORT) {
                    self.conn.end_session(id);
                    events.push(ServerEvent::AuthenAbort {
                        session_id: id,
                        reason: cont.data,
                    });
                    return;
                }
                self.conn.received_in(id, h.seq_no);
                ServerEvent::AuthenContinue {
                    session_id: id,
                    cont,
                }
            }
            Body::AuthorRequest(request) => {
                self.open(&h, true);
                ServerEvent::AuthorRequest {
                    session_id: id,
                    request,
                }
            }
            Body::AcctRequest(request) => {
                self.open(&h, true);
                ServerEvent::AcctRequest {
                    session_id: id,
                    request,
                }
            }
            _ => {
                let d = session_diag(
                    codes::FLOW_VIOLATION,
                    pdu.offset,
                    format!("unexpected {} body from the client", pdu.kind().as_str()),
                );
                self.reject(pdu, existing.is_some(), vec![d], events);
                return;
            }
        };
        events.push(event);
    }

    fn fatal_session(&mut self, id: u32) -> Option<u32> {
        // The session stays counted until the connection is dropped; the claim is reported.
        Some(id)
    }

    fn rejected(session_id: Option<u32>, diagnostics: Vec<Diagnostic>) -> ServerEvent {
        ServerEvent::Rejected {
            session_id,
            diagnostics,
        }
    }

    fn close() -> ServerEvent {
        ServerEvent::Close
    }
}
