//! One server connection, sans-IO: the policy joined to a [`Server`] session machine.

use core::fmt;
use core::net::IpAddr;
use std::collections::BTreeMap;

use super::{AcctContext, AuthenFlow, AuthenStep, FlowState, MAX_OPEN_DIALOGUES, Policy, reply};
use crate::tacacs::enums::AuthenStatus;
use crate::tacacs::session::{Server, ServerEvent, SessionConfig};
use crate::tacacs::text::escape;
use crate::time::Timestamp;

/// What one call to [`ServerConnection::handle_input`] produced.
#[derive(Default)]
pub struct ServerOutput {
    /// Bytes to write to the client, in order.
    pub send: Vec<u8>,
    /// Close the connection once `send` is written.
    pub close: bool,
    /// One operator log line per request (never a password or key).
    pub log: Vec<String>,
    /// Accounting records to store ([`Policy::account`]), one JSON Lines line each.
    pub records: Vec<serde_json::Value>,
}

impl fmt::Debug for ServerOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOutput")
            .field("send", &format_args!("<{} bytes>", self.send.len()))
            .field("close", &self.close)
            .field("log", &self.log)
            .field("records", &self.records.len())
            .finish()
    }
}

/// The server end of one TCP connection: [`crate::tacacs::session::Server`] plus this policy.
/// The adapter reads bytes, calls [`ServerConnection::handle_input`] and writes
/// [`ServerOutput::send`]; every protocol decision is made here.
#[derive(Debug)]
pub struct ServerConnection {
    server: Server,
    flows: BTreeMap<u32, AuthenFlow>,
    client: IpAddr,
}

impl ServerConnection {
    /// A connection from `client`, with the key of its network (§4.5); `None` when no
    /// configured network contains `client` (refuse the connection).
    pub fn new(policy: &Policy, client: IpAddr) -> Option<Self> {
        let key = policy.key_for(client)?.clone();
        let mut cfg = SessionConfig::new(key);
        cfg.single_connect = policy.single_connect;
        Some(Self {
            server: Server::new(cfg),
            flows: BTreeMap::new(),
            client,
        })
    }

    /// A connection from `client` inside TLS 1.3 (RFC 9887), whose certificate (if one was
    /// asked for) the adapter has verified: accepted when a configured network contains
    /// `client` (RFC 9887 §3.4.2, network-address-based), with or without a key. No
    /// obfuscation: every reply carries TAC_PLUS_UNENCRYPTED_FLAG, and a request without it
    /// is answered ERROR and its session ended (RFC 9887 §4). `None`: refuse the connection.
    pub fn new_tls(policy: &Policy, client: IpAddr) -> Option<Self> {
        if !policy.accepts_tls(client) {
            return None;
        }
        let mut cfg = SessionConfig::new(crate::tacacs::obfuscate::Key::default());
        cfg.single_connect = policy.single_connect;
        cfg.tls = true;
        Some(Self {
            server: Server::new(cfg),
            flows: BTreeMap::new(),
            client,
        })
    }

    /// True once the connection should be closed.
    pub fn is_closing(&self) -> bool {
        self.server.is_closing()
    }

    fn send(
        out: &mut ServerOutput,
        result: Result<crate::tacacs::session::Transmit, crate::tacacs::session::SessionError>,
    ) {
        match result {
            Ok(t) => {
                out.send.extend_from_slice(&t.bytes);
                out.close |= t.close_after;
            }
            Err(e) => {
                out.log.push(format!("cannot reply: {e}"));
                out.close = true;
            }
        }
    }

    /// Feeds bytes from the client; `now` stamps accounting records.
    pub fn handle_input(&mut self, policy: &Policy, bytes: &[u8], now: Timestamp) -> ServerOutput {
        let mut out = ServerOutput::default();
        for ev in self.server.handle_input(bytes) {
            match ev {
                ServerEvent::AuthenStart { session_id, start } => {
                    if self.flows.len() >= MAX_OPEN_DIALOGUES {
                        out.log.push(format!(
                            "#{session_id:08x} authen refused: {MAX_OPEN_DIALOGUES} dialogues open -> ERROR"
                        ));
                        let r = reply(AuthenStatus::ERROR, b"Too many open sessions");
                        Self::send(&mut out, self.server.reply_authen(session_id, r));
                        continue;
                    }
                    let step = policy.authen_start(&start);
                    out.log.push(format!(
                        "#{session_id:08x} authen {} {} {} user={:?} -> {} ({})",
                        start.action,
                        start.authen_type,
                        start.authen_service,
                        escape(&start.user),
                        step.reply.status,
                        step.note
                    ));
                    if let Some(flow) = step.flow {
                        self.flows.insert(session_id, flow);
                    }
                    Self::send(&mut out, self.server.reply_authen(session_id, step.reply));
                }
                ServerEvent::AuthenContinue { session_id, cont } => {
                    let step = match self.flows.remove(&session_id) {
                        Some(flow) => {
                            let asked_user = flow.state == FlowState::AwaitUser;
                            let step = policy.authen_continue(flow, &cont);
                            out.log.push(format!(
                                "#{session_id:08x} authen continue{} -> {} ({})",
                                if asked_user {
                                    format!(" user={:?}", escape(&cont.user_msg))
                                } else {
                                    String::new()
                                },
                                step.reply.status,
                                step.note
                            ));
                            step
                        }
                        None => {
                            out.log.push(format!(
                                "#{session_id:08x} authen continue without a dialogue -> ERROR"
                            ));
                            AuthenStep {
                                reply: reply(AuthenStatus::ERROR, b""),
                                flow: None,
                                note: "no dialogue",
                            }
                        }
                    };
                    if let Some(flow) = step.flow {
                        self.flows.insert(session_id, flow);
                    }
                    Self::send(&mut out, self.server.reply_authen(session_id, step.reply));
                }
                ServerEvent::AuthenAbort { session_id, reason } => {
                    self.flows.remove(&session_id);
                    out.log.push(format!(
                        "#{session_id:08x} authen aborted by the client: {:?}",
                        escape(&reason)
                    ));
                }
                ServerEvent::AuthorRequest {
                    session_id,
                    request,
                } => {
                    let d = policy.authorize(&request);
                    // The request's arguments (§6.1) too: what a client asked for, e.g.
                    // the CAS service as an optional `cas-service*URL`.
                    let args: Vec<String> = request.args.iter().map(|a| escape(a)).collect();
                    out.log.push(format!(
                        "#{session_id:08x} author user={:?} -> {} ({}) args: {}",
                        escape(&request.user),
                        d.response.status,
                        d.note,
                        args.join(" ")
                    ));
                    Self::send(&mut out, self.server.respond_author(session_id, d.response));
                }
                ServerEvent::AcctRequest {
                    session_id,
                    request,
                } => {
                    let ctx = AcctContext {
                        client: self.client,
                        session_id,
                        now,
                    };
                    let d = policy.account(&request, &ctx);
                    out.log.push(format!(
                        "#{session_id:08x} acct {} user={:?} task_id={:?} -> {}",
                        d.record
                            .get("record")
                            .and_then(|r| r.as_str())
                            .unwrap_or("?"),
                        escape(&request.user),
                        request.acct_args().task_id.unwrap_or_default(),
                        d.reply.status
                    ));
                    out.records.push(d.record);
                    Self::send(&mut out, self.server.reply_acct(session_id, d.reply));
                }
                ServerEvent::Rejected {
                    session_id,
                    diagnostics,
                } => {
                    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
                    out.log.push(format!(
                        "#{:08x} rejected: {}",
                        session_id.unwrap_or_default(),
                        codes.join(", ")
                    ));
                    if let Some(id) = session_id {
                        self.flows.remove(&id);
                    }
                }
                ServerEvent::Send(t) => {
                    out.send.extend_from_slice(&t.bytes);
                    out.close |= t.close_after;
                }
                ServerEvent::Close => out.close = true,
            }
        }
        out.close |= self.server.is_closing();
        out
    }
}
