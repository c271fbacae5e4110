//! The connection core shared by [`super::Client`] and [`super::Server`]: framing, the strict
//! checks of a received packet, `seq_no` and turn keeping per session, Single Connection Mode
//! negotiation, header flags and obfuscation of what is sent, and when the connection closes.
//!
//! Each rule below is written once; the two ends differ only in their role ([`Turn`]), in
//! which bodies they accept and in how they answer a packet they refuse.

use core::fmt;
use std::collections::BTreeMap;

use super::{SessionConfig, SessionError, SingleConnect, Transmit};
use crate::tacacs::body::{Body, Direction};
use crate::tacacs::diag::{Diagnostic, Severity, codes};
use crate::tacacs::encode::{EncodeError, encode_packet};
use crate::tacacs::enums::{HeaderFlags, PacketType};
use crate::tacacs::header::Header;
use crate::tacacs::{DecodeOptions, Decoded, Pdu, decode_pdu};

/// The highest `seq_no` a packet that waits for an answer may carry: the answer needs
/// `seq_no + 1`, and a session that would reach 255 terminates (§4.1). So a client sends
/// its last CONTINUE at 253 and a server its last GETDATA at 252; 254 can only end a session.
pub(super) const MAX_SEQ_AWAITING_ANSWER: u8 = 253;

/// Whose turn it is in a session, and which end a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Turn {
    Client,
    Server,
}

impl Turn {
    fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}

/// One session in progress.
#[derive(Clone, Debug)]
pub(super) struct SessionState {
    pub(super) packet_type: PacketType,
    pub(super) minor: u8,
    /// `seq_no` of the last packet sent or received in this session.
    pub(super) last_seq: u8,
    pub(super) turn: Turn,
    /// PAP / CHAP / MS-CHAP, authorization, accounting: one request, one answer.
    pub(super) single_exchange: bool,
}

impl SessionState {
    /// A session opened by the client's first packet (`seq_no` 1, §4.1): the server
    /// answers next.
    pub(super) fn opened(packet_type: PacketType, minor: u8, single_exchange: bool) -> Self {
        Self {
            packet_type,
            minor,
            last_seq: 1,
            turn: Turn::Server,
            single_exchange,
        }
    }
}

/// The sessions of one connection by `session_id` (§4.1: the `session_id` tells the sessions
/// multiplexed over Single Connection Mode apart, §4.3).
pub(super) trait Sessions: Clone + Default + fmt::Debug {
    fn len(&self) -> usize;
    fn get(&self, id: &u32) -> Option<&SessionState>;
    fn get_mut(&mut self, id: &u32) -> Option<&mut SessionState>;
    /// Inserts or replaces, like a map.
    fn insert(&mut self, id: u32, state: SessionState);
    fn remove(&mut self, id: &u32) -> Option<SessionState>;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn contains_key(&self, id: &u32) -> bool {
        self.get(id).is_some()
    }
}

/// A client's sessions in progress: a handful at most (one login, or a few multiplexed over
/// single-connect), so a list searched in order does; it keeps the B-tree code out of the
/// Worker's wasm (≈ 4 KB, bench/RESULTS.md "Worker"). A server, which a peer can make hold
/// many sessions, keeps a `BTreeMap`.
#[derive(Clone, Default)]
pub(super) struct SessionTable(Vec<(u32, SessionState)>);

impl Sessions for SessionTable {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, id: &u32) -> Option<&SessionState> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }

    fn get_mut(&mut self, id: &u32) -> Option<&mut SessionState> {
        self.0.iter_mut().find(|(k, _)| k == id).map(|(_, v)| v)
    }

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

impl Sessions for BTreeMap<u32, SessionState> {
    fn len(&self) -> usize {
        BTreeMap::len(self)
    }

    fn get(&self, id: &u32) -> Option<&SessionState> {
        BTreeMap::get(self, id)
    }

    fn get_mut(&mut self, id: &u32) -> Option<&mut SessionState> {
        BTreeMap::get_mut(self, id)
    }

    fn insert(&mut self, id: u32, state: SessionState) {
        BTreeMap::insert(self, id, state);
    }

    fn remove(&mut self, id: &u32) -> Option<SessionState> {
        BTreeMap::remove(self, id)
    }
}

/// A finding of the session machines: always an `Error`, whatever the code's default
/// severity as a decoder finding (`seq-unexpected` is only a warning in the inspector).
pub(super) fn session_diag(
    code: &'static str,
    offset: usize,
    msg: impl Into<String>,
) -> Diagnostic {
    Diagnostic {
        code,
        severity: Severity::Error,
        message: msg.into(),
        offset,
    }
}

/// The `session_id` of a new session: the first 4 bytes of caller-supplied entropy (§4.1).
pub(super) fn session_id_from(entropy: &[u8]) -> Result<u32, SessionError> {
    match entropy.first_chunk::<4>() {
        Some(b) => Ok(u32::from_be_bytes(*b)),
        None => Err(SessionError::NotEnoughEntropy(entropy.len())),
    }
}

/// Framing buffer: yields whole PDUs, or a fatal over-length one.
#[derive(Clone, Default)]
struct Framer {
    buf: Vec<u8>,
}

impl fmt::Debug for Framer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Framer({} bytes buffered)", self.buf.len())
    }
}

enum Frame {
    Pdu(Box<Pdu>),
    /// The stream cannot be resynchronised (length over the maximum, §4.1).
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

/// Why no new session may start on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NoNewSession {
    /// The connection is closed or closing.
    Closing,
    /// A key mismatch was seen in Single Connection Mode (§4.4).
    Draining,
    /// Single Connection Mode is not (yet) negotiated and a session already ran (§4.3).
    SingleConnect,
}

/// One end of one connection, without the body rules of either end.
#[derive(Clone, Debug)]
pub(super) struct Connection<S> {
    config: SessionConfig,
    opts: DecodeOptions,
    framer: Framer,
    pub(super) sessions: S,
    single_connect: SingleConnect,
    /// Which end this is.
    own: Turn,
    /// Packets sent on the connection (the first one carries our single-connect flag).
    sent: usize,
    /// The single-connect flag of the peer's first packet that counts (§4.3), once seen.
    peer_flag: Option<bool>,
    /// Sessions started on this connection.
    started: usize,
    /// No new sessions (key mismatch in single-connect mode, §4.4).
    draining: bool,
    closing: bool,
}

impl<S: Sessions> Connection<S> {
    /// A fresh connection for the end `own`.
    pub(super) fn new(config: SessionConfig, own: Turn) -> Self {
        let opts = DecodeOptions {
            max_length: config.max_length,
            keys: vec![config.key.clone()],
            expected_direction: Some(match own {
                Turn::Client => Direction::ServerToClient,
                Turn::Server => Direction::ClientToServer,
            }),
            over_tls: config.tls,
        };
        Self {
            config,
            opts,
            framer: Framer::default(),
            sessions: S::default(),
            single_connect: SingleConnect::Pending,
            own,
            sent: 0,
            peer_flag: None,
            started: 0,
            draining: false,
            closing: false,
        }
    }

    pub(super) fn single_connect(&self) -> SingleConnect {
        self.single_connect
    }

    pub(super) fn is_closing(&self) -> bool {
        self.closing
    }

    /// Stops new sessions: a key mismatch in Single Connection Mode (§4.4).
    pub(super) fn drain_on_wrong_key(&mut self, diagnostics: &[Diagnostic]) {
        if diagnostics.iter().any(|d| codes::key_mismatch(d.code))
            && self.single_connect == SingleConnect::Negotiated
        {
            self.draining = true;
        }
    }

    /// Header flags of the next packet: UNENCRYPTED when configured (§4.5) and always
    /// inside TLS (RFC 9887 §4), and SINGLE_CONNECT in our first packet when configured (§4.3).
    fn flags(&self) -> HeaderFlags {
        let mut f = HeaderFlags::EMPTY;
        if self.config.unencrypted || self.config.tls {
            f = f.with(HeaderFlags::UNENCRYPTED);
        }
        if self.config.single_connect && self.sent == 0 {
            f = f.with(HeaderFlags::SINGLE_CONNECT);
        }
        f
    }

    /// Sets our flags on `header`, obfuscates `body` with the key (§4.5) and counts the packet
    /// as sent.
    pub(super) fn encode(
        &mut self,
        mut header: Header,
        body: &Body,
    ) -> Result<Vec<u8>, EncodeError> {
        header.flags = self.flags();
        let bytes = encode_packet(&header, body, Some(&self.config.key))?;
        self.sent = self.sent.saturating_add(1);
        Ok(bytes)
    }

    /// [`Self::encode`] for packet `seq_no` of session `session_id`.
    pub(super) fn transmit(
        &mut self,
        session_id: u32,
        st: &SessionState,
        seq_no: u8,
        body: &Body,
    ) -> Result<Transmit, SessionError> {
        let h = Header::new(st.packet_type, st.minor, seq_no, session_id);
        let bytes = self.encode(h, body)?;
        Ok(Transmit {
            session_id,
            bytes,
            close_after: false,
        })
    }

    /// Notes a packet of the peer that counts for single-connect negotiation: the first
    /// one's flag is the peer's answer (§4.3).
    pub(super) fn note_peer_packet(&mut self, h: &Header) {
        if self.peer_flag.is_none() {
            self.peer_flag = Some(h.is_single_connect());
        }
    }

    /// Settles Single Connection Mode once both first packets are known (§4.3): negotiated
    /// when we asked for (client) or grant (server) it and the peer's first packet set the
    /// flag; refused otherwise. Later calls change nothing.
    pub(super) fn settle_single_connect(&mut self) {
        if self.single_connect == SingleConnect::Pending {
            self.single_connect = if self.config.single_connect && self.peer_flag == Some(true) {
                SingleConnect::Negotiated
            } else {
                SingleConnect::Refused
            };
        }
    }

    /// Whether a new session may start (§4.3: without Single Connection Mode one session per
    /// connection, and nothing else before its status is established; §4.4: none after a
    /// key mismatch).
    pub(super) fn admit(&self) -> Result<(), NoNewSession> {
        if self.closing {
            Err(NoNewSession::Closing)
        } else if self.draining {
            Err(NoNewSession::Draining)
        } else if self.started > 0 && self.single_connect != SingleConnect::Negotiated {
            Err(NoNewSession::SingleConnect)
        } else {
            Ok(())
        }
    }

    /// Records a new session.
    pub(super) fn open(&mut self, id: u32, state: SessionState) {
        self.sessions.insert(id, state);
        self.started = self.started.saturating_add(1);
    }

    /// Ends a session, and the connection with it when it was the last one and no other
    /// may follow (§4.3, §4.4).
    pub(super) fn end_session(&mut self, id: u32) {
        self.sessions.remove(&id);
        self.close_if_idle();
    }

    /// Closes when no session is active and no new one may start: without Single
    /// Connection Mode, or while draining (§4.4).
    pub(super) fn close_if_idle(&mut self) {
        if self.sessions.is_empty()
            && (self.single_connect != SingleConnect::Negotiated || self.draining)
        {
            self.closing = true;
        }
    }

    /// Our next packet in session `id`: the session and the `seq_no` to send, when it is
    /// our turn (§4.1: each packet is the previous one + 1).
    pub(super) fn next_to_send(&self, id: u32) -> Result<(SessionState, u8), SessionError> {
        let st = self
            .sessions
            .get(&id)
            .ok_or(SessionError::UnknownSession(id))?;
        if st.turn != self.own {
            return Err(SessionError::NotYourTurn(id));
        }
        Ok((st.clone(), st.last_seq.saturating_add(1)))
    }

    /// Packet `seq_no` was sent in session `id` and the session goes on: the peer's turn.
    pub(super) fn sent_in(&mut self, id: u32, seq_no: u8) {
        let peer = self.own.peer();
        if let Some(s) = self.sessions.get_mut(&id) {
            s.last_seq = seq_no;
            s.turn = peer;
        }
    }

    /// Packet `seq_no` of the peer was accepted in session `id`: our turn.
    pub(super) fn received_in(&mut self, id: u32, seq_no: u8) {
        let own = self.own;
        if let Some(s) = self.sessions.get_mut(&id) {
            s.last_seq = seq_no;
            s.turn = own;
        }
    }

    /// The decoder's findings that a strict peer rejects (§4.1 header, §4.5 key and
    /// UNENCRYPTED unless configured for testing, §3.6 unknown values, …).
    pub(super) fn strict_problems(&self, pdu: &Pdu) -> Vec<Diagnostic> {
        match pdu.validate_with(self.config.unencrypted) {
            Ok(()) => Vec::new(),
            Err(d) => d,
        }
    }

    /// Everything wrong with a received packet of the active session `st`: the strict
    /// findings, then the session's own rules — it must be the peer's turn with `seq_no`
    /// the last one + 1 (§4.1), and the type must be the session's.
    pub(super) fn packet_problems(&self, pdu: &Pdu, st: &SessionState) -> Vec<Diagnostic> {
        let h = &pdu.header;
        let mut problems = self.strict_problems(pdu);
        let want = st.last_seq.wrapping_add(1);
        if st.turn != self.own.peer() || h.seq_no != want {
            problems.push(session_diag(
                codes::SEQ_UNEXPECTED,
                h.spans.seq_no.start,
                format!("seq_no {} but {want} was expected (§4.1)", h.seq_no),
            ));
        }
        if h.packet_type != st.packet_type {
            problems.push(session_diag(
                codes::FLOW_VIOLATION,
                h.spans.packet_type.start,
                format!("a {} packet in a {} session", h.packet_type, st.packet_type),
            ));
        }
        problems
    }
}

/// An end of a connection, as [`handle_input`] drives it.
pub(super) trait Side {
    /// How this end keeps its sessions.
    type Sessions: Sessions;
    /// What this end reports.
    type Event;

    fn connection(&mut self) -> &mut Connection<Self::Sessions>;

    /// A whole PDU within the length maximum arrived.
    fn handle_pdu(&mut self, pdu: &Pdu, events: &mut Vec<Self::Event>);

    /// A PDU over the length maximum claimed session `id`: forget what must be forgotten and
    /// say which session to report.
    fn fatal_session(&mut self, id: u32) -> Option<u32>;

    /// The event for a refused packet.
    fn rejected(session_id: Option<u32>, diagnostics: Vec<Diagnostic>) -> Self::Event;

    /// The event that closes the connection.
    fn close() -> Self::Event;
}

/// Feeds received bytes to one end: buffers them, hands over each whole PDU in order, stops
/// at a PDU over the length maximum (the stream cannot be trusted any more, §4.1) and
/// reports [`Side::close`] once the connection is closing. A closing connection ignores
/// input.
pub(super) fn handle_input<E: Side>(end: &mut E, bytes: &[u8]) -> Vec<E::Event> {
    let mut events = Vec::new();
    let conn = end.connection();
    if conn.closing {
        return events;
    }
    conn.framer.buf.extend_from_slice(bytes);
    loop {
        let conn = end.connection();
        let Some(frame) = conn.framer.next(&conn.opts) else {
            break;
        };
        match frame {
            Frame::Fatal(pdu) => {
                let session_id = end.fatal_session(pdu.header.session_id);
                let conn = end.connection();
                let diagnostics = conn.strict_problems(&pdu);
                conn.closing = true;
                events.push(E::rejected(session_id, diagnostics));
                events.push(E::close());
                return events;
            }
            Frame::Pdu(pdu) => end.handle_pdu(&pdu, &mut events),
        }
        if end.connection().closing {
            events.push(E::close());
            break;
        }
    }
    events
}
