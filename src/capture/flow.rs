//! Sessions and flows: PDUs grouped by connection and `session_id` (RFC 8907 §4.1), ordered
//! by `seq_no`, checked (gaps, duplicates, replies without a request, packets after the end,
//! single-connect negotiation §4.3), with a one-line summary per step, and the verdict on the
//! candidate keys per connection.

use core::fmt::Write as _;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::tacacs::{
    self, AcctRecordKind, AuthenStatus, Body, BodyState, ContinueFlags, HeaderFlags, PacketType,
    ReplyFlags,
};

use super::Decoder;
use super::diag::{Diags, codes};
use super::model::{CaptureDiagnostic, Connection, Pdu, Severity, serialize_direction};

/// One step of a session: a PDU (its [`Pdu::summary`] is the step's line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Index in [`super::Analysis::pdus`].
    pub pdu: u32,
    /// Who sent it.
    #[serde(serialize_with = "serialize_direction")]
    pub direction: tacacs::Direction,
    /// Its `seq_no`.
    pub seq_no: u8,
}

/// A TACACS+ session: the PDUs of one `session_id` on one connection (RFC 8907 §4.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    /// Index in [`super::Analysis::sessions`].
    pub id: u32,
    /// The connection, `None` for payload-only input.
    pub conn: Option<u32>,
    /// The header's `session_id`.
    pub session_id: u32,
    /// Packet type of its first PDU (`AUTHEN`, `AUTHOR`, `ACCT`).
    #[serde(rename = "type")]
    pub kind: PacketType,
    /// The steps in capture order.
    pub steps: Vec<Step>,
    /// The final status (`PASS`, `FAIL`, `PASS_ADD`, `SUCCESS`, `ABORT`; `?` when the reply
    /// could not be read), when the session ended.
    pub outcome: Option<&'static str>,
    /// True when the last step ends the session (a final reply, or an aborting CONTINUE).
    pub finished: bool,
    /// True when another session of the same connection was open at the same time.
    pub concurrent: bool,
    /// Frame numbers of the first and last step.
    pub first_frame: u32,
    /// Frame number of the last step.
    pub last_frame: u32,
}

/// What a capture shows of Single Connection Mode on a connection (RFC 8907 §4.3): the
/// flags each side set and the sessions carried (the negotiation itself is
/// [`tacacs::session::SingleConnect`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SingleConnectSeen {
    /// The client set TAC_PLUS_SINGLE_CONNECT_FLAG in the first packet of the connection.
    pub requested: bool,
    /// The server's first reply: `Some(true)` when it set the flag too (mode on).
    pub accepted: Option<bool>,
    /// Number of sessions carried by the connection.
    pub sessions: u32,
}

/// Appends the escaped text of `b` (RFC 8907 §3.7) to `s`.
fn text(s: &mut String, b: &[u8]) {
    tacacs::text::escape_into(b, s);
}

/// Cuts what `s` holds after byte `from` to `max` characters, with `…` when cut.
fn clip(s: &mut String, from: usize, max: usize) {
    let cut = s
        .get(from..)
        .and_then(|tail| tail.char_indices().nth(max))
        .map(|(i, _)| from + i);
    if let Some(at) = cut {
        s.truncate(at);
        s.push('…');
    }
}

/// A name in lower case, or `0x..` for a value without one.
fn lower(s: &mut String, name: Option<&'static str>, v: u8) {
    match name {
        Some(n) => s.extend(n.chars().map(|c| c.to_ascii_lowercase())),
        None => {
            let _ = write!(s, "0x{v:02x}");
        }
    }
}

/// The arguments, escaped, separated by spaces, cut to 160 characters.
fn args(s: &mut String, list: &[Vec<u8>]) {
    let from = s.len();
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        text(s, a);
    }
    clip(s, from, 160);
}

/// The one-line summary of a decoded PDU outside a capture (`casplus decode --summary` on
/// raw PDUs): as in [`super::Pdu::summary`], with every CONTINUE's `user_msg` shown as its
/// length only (without the flow, a password prompt cannot be told from another).
pub fn pdu_summary(p: &tacacs::Pdu) -> String {
    summary(p, true)
}

/// The one-line summary of a decoded PDU. `secret_user_msg`: the previous REPLY asked for a
/// secret (NOECHO / GETPASS), so a CONTINUE's `user_msg` is shown as its length only.
pub(crate) fn summary(p: &tacacs::Pdu, secret_user_msg: bool) -> String {
    // One `String` per PDU, written in place (issue 18: no `format!` per part).
    let h = &p.header;
    let mut s = String::with_capacity(64);
    match readable(p) {
        Some(Body::AuthenStart(b)) => {
            s.push_str("AUTHEN START ");
            lower(&mut s, b.action.name(), b.action.0);
            s.push(' ');
            lower(&mut s, b.authen_type.name(), b.authen_type.0);
            if b.authen_service != tacacs::AuthenService::LOGIN {
                s.push_str(" service=");
                lower(&mut s, b.authen_service.name(), b.authen_service.0);
            }
            if !b.user.is_empty() {
                s.push_str(" user=");
                text(&mut s, &b.user);
            }
        }
        Some(Body::AuthenReply(b)) => {
            let _ = write!(s, "AUTHEN REPLY {}", b.status);
            if b.flags.contains(ReplyFlags::NOECHO) {
                s.push_str(" noecho");
            }
            if !b.server_msg.is_empty() {
                s.push_str(" \"");
                let from = s.len();
                text(&mut s, &b.server_msg);
                clip(&mut s, from, 60);
                s.push('"');
            }
        }
        Some(Body::AuthenContinue(b)) => {
            s.push_str("AUTHEN CONTINUE");
            if b.flags.contains(ContinueFlags::ABORT) {
                s.push_str(" abort");
            }
            if secret_user_msg && !b.user_msg.is_empty() {
                let _ = write!(s, " user_msg=({} bytes, hidden)", b.user_msg.len());
            } else if !b.user_msg.is_empty() {
                s.push_str(" user_msg=");
                let from = s.len();
                text(&mut s, &b.user_msg);
                clip(&mut s, from, 60);
            }
        }
        Some(Body::AuthorRequest(b)) => {
            s.push_str("AUTHOR REQUEST ");
            args(&mut s, &b.args);
        }
        Some(Body::AuthorResponse(b)) => {
            let _ = write!(s, "AUTHOR RESPONSE {}", b.status);
            if !b.args.is_empty() {
                s.push(' ');
                args(&mut s, &b.args);
            }
        }
        Some(Body::AcctRequest(b)) => {
            s.push_str(match b.flags.record_kind() {
                AcctRecordKind::Start => "ACCT START ",
                AcctRecordKind::Stop => "ACCT STOP ",
                AcctRecordKind::Watchdog => "ACCT WATCHDOG ",
                AcctRecordKind::WatchdogUpdate => "ACCT WATCHDOG UPDATE ",
                AcctRecordKind::Invalid => "ACCT REQUEST (invalid flags) ",
            });
            args(&mut s, &b.args);
        }
        Some(Body::AcctReply(b)) => {
            let _ = write!(s, "ACCT REPLY {}", b.status);
        }
        Some(Body::Unknown(_)) | None => {
            match (h.packet_type, h.seq_no % 2 == 1, h.seq_no == 1) {
                (PacketType::AUTHEN, true, true) => s.push_str("AUTHEN START"),
                (PacketType::AUTHEN, true, false) => s.push_str("AUTHEN CONTINUE"),
                (PacketType::AUTHEN, false, _) => s.push_str("AUTHEN REPLY"),
                (PacketType::AUTHOR, true, _) => s.push_str("AUTHOR REQUEST"),
                (PacketType::AUTHOR, false, _) => s.push_str("AUTHOR RESPONSE"),
                (PacketType::ACCT, true, _) => s.push_str("ACCT REQUEST"),
                (PacketType::ACCT, false, _) => s.push_str("ACCT REPLY"),
                (t, _, _) => {
                    let _ = write!(s, "TYPE {t} seq_no {}", h.seq_no);
                }
            }
            s.push_str(if !p.complete {
                " (incomplete)"
            } else {
                match p.body_state {
                    BodyState::Obfuscated => " (obfuscated: no key)",
                    BodyState::WrongKey => " (wrong key?)",
                    BodyState::Clear | BodyState::Deobfuscated => " (unreadable body)",
                }
            });
        }
    }
    if !p.complete && readable(p).is_some() {
        s.push_str(" (incomplete)");
    }
    let end = s.trim_end().len();
    s.truncate(end);
    s
}

/// The body, when its fields mean something: not a wrong-key attempt, not still obfuscated.
fn readable(p: &tacacs::Pdu) -> Option<&Body> {
    match (p.body_state, &p.body) {
        (BodyState::WrongKey | BodyState::Obfuscated, _) | (_, Body::Unknown(_)) => None,
        (_, b) => Some(b),
    }
}

/// The status that ends a session, if this PDU ends it.
fn final_status(p: &tacacs::Pdu) -> Option<&'static str> {
    const UNNAMED: &str = "unknown status";
    let unknown = Body::Unknown(tacacs::UnknownBody::default());
    match readable(p).unwrap_or(&unknown) {
        Body::AuthenReply(b) => match b.status {
            AuthenStatus::GETDATA | AuthenStatus::GETUSER | AuthenStatus::GETPASS => None,
            st => Some(st.name().unwrap_or(UNNAMED)),
        },
        Body::AuthenContinue(b) if b.flags.contains(ContinueFlags::ABORT) => Some("ABORT"),
        Body::AuthorResponse(b) => Some(b.status.name().unwrap_or(UNNAMED)),
        Body::AcctReply(b) => Some(b.status.name().unwrap_or(UNNAMED)),
        // An unreadable reply to an authorization/accounting request still ends the session.
        Body::Unknown(_) if p.header.seq_no == 2 && p.header.packet_type != PacketType::AUTHEN => {
            Some("?")
        }
        _ => None,
    }
}

/// Whether the reply asks for a secret (the next CONTINUE carries it).
fn asks_secret(p: &tacacs::Pdu) -> bool {
    matches!(readable(p), Some(Body::AuthenReply(b)) if b.flags.contains(ReplyFlags::NOECHO) || b.status == AuthenStatus::GETPASS)
}

/// Sessions, PDU → session links, per-connection single-connect state, and summaries.
pub(crate) struct Flows {
    pub sessions: Vec<Session>,
    pub single_connect: Vec<Option<SingleConnectSeen>>,
}

struct Open {
    session: u32,
    last_seq: u8,
    secret_next: bool,
    /// A request of this session did not de-obfuscate with the given keys.
    request_unreadable: bool,
}

/// Decodes `pdus` (in capture order) one at a time and builds their sessions, filling each
/// PDU's summary, session, key and codec findings; the full decode is kept only with `keep`.
pub(crate) fn build(
    pdus: &mut [Pdu],
    conns: usize,
    decoder: &Decoder,
    keep: bool,
    diags: &mut Diags,
) -> Flows {
    let mut sessions: Vec<Session> = Vec::new();
    // Sessions by (connection, session_id): an index into `opens`, and the last one looked up
    // (a session's PDUs come in runs: most lookups skip the tree walk).
    let mut open: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut opens: Vec<Open> = Vec::new();
    let mut last: Option<((u32, u32), usize)> = None;
    let mut sc: Vec<Option<SingleConnectSeen>> = vec![None; conns];
    for p in pdus.iter_mut() {
        let Some(decoded) = decoder.decode(p) else {
            continue;
        };
        let d = &decoded;
        p.key_index = d.key_index.and_then(|k| u32::try_from(k).ok());
        p.body_state = d.body_state;
        p.codec_diagnostics = d.diagnostics.as_slice().into();
        let h = &d.header;
        let conn_key = p.conn.unwrap_or(u32::MAX);
        let key = (conn_key, h.session_id);
        let seq = h.seq_no;
        let frame = p.last_frame;
        let diag = |code: &'static str, sev: Severity, msg: String| {
            CaptureDiagnostic::new(code, sev, msg)
                .conn(p.conn)
                .pdu(p.index)
                .frame(frame)
        };
        // Single Connection Mode (§4.3): the client asks in its first packet, the server
        // answers in its first reply.
        if let Some(c) = p.conn
            && let Some(slot) = sc.get_mut(c as usize)
        {
            let flag = h.flags.contains(HeaderFlags::SINGLE_CONNECT);
            match slot {
                None => {
                    *slot = Some(SingleConnectSeen {
                        requested: flag && seq % 2 == 1,
                        accepted: None,
                        sessions: 0,
                    });
                }
                Some(s) if s.accepted.is_none() && seq % 2 == 0 => {
                    s.accepted = Some(flag && s.requested)
                }
                Some(_) => {}
            }
        }
        let mut at = match last {
            Some((k, i)) if k == key => Some(i),
            _ => open.get(&key).copied(),
        };
        let existing = at
            .and_then(|i| opens.get(i))
            .map(|o| (o.session, o.last_seq));
        let finished =
            |s: u32, sessions: &[Session]| sessions.get(s as usize).is_some_and(|x| x.finished);
        let start_new = match existing {
            None => true,
            Some(_) if seq == 1 => true,
            Some((s, _)) => {
                if finished(s, &sessions) {
                    diags.push(diag(
                        codes::SESSION_AFTER_END,
                        Severity::Warning,
                        format!(
                            "seq_no {seq} of session {:#010x} after the session ended",
                            h.session_id
                        ),
                    ));
                }
                false
            }
        };
        if start_new {
            if let Some((prev, _)) = existing
                && !finished(prev, &sessions)
                && seq == 1
            {
                diags.push(diag(
                    codes::SESSION_RESTARTED,
                    Severity::Warning,
                    format!(
                        "session {:#010x} starts again at seq_no 1 before it ended",
                        h.session_id
                    ),
                ));
            }
            if seq % 2 == 0 {
                diags.push(diag(
                    codes::REPLY_TO_UNKNOWN_SESSION,
                    Severity::Warning,
                    format!(
                        "reply (seq_no {seq}) in session {:#010x} whose request is not in the capture",
                        h.session_id
                    ),
                ));
            } else if seq > 1 {
                diags.push(diag(
                    codes::SESSION_STARTED_EARLIER,
                    Severity::Info,
                    format!("session {:#010x} first seen at seq_no {seq}: its start is not in the capture", h.session_id),
                ));
            }
            let id = u32::try_from(sessions.len()).unwrap_or(u32::MAX);
            // concurrent: another session of this connection still open
            let mut concurrent = false;
            for (k, &i) in open.range((conn_key, 0)..=(conn_key, u32::MAX)) {
                if *k != key
                    && let Some(o) = opens.get(i)
                    && let Some(s) = sessions.get_mut(o.session as usize)
                    && !s.finished
                {
                    s.concurrent = true;
                    concurrent = true;
                }
            }
            if let Some(c) = p.conn
                && let Some(Some(s)) = sc.get_mut(c as usize)
            {
                // §4.3: the client waits for the server's first reply before multiplexing
                if s.sessions > 0 && s.requested && s.accepted.is_none() && seq == 1 {
                    diags.push(diag(
                        codes::SESSION_BEFORE_SINGLE_CONNECT,
                        Severity::Warning,
                        format!(
                            "session {:#010x} opened on a connection before the server agreed to Single Connection Mode (asked for in the client's first packet, not answered yet; RFC 8907 §4.3)",
                            h.session_id
                        ),
                    ));
                }
                s.sessions = s.sessions.saturating_add(1);
            }
            super::push_growing(
                &mut sessions,
                Session {
                    id,
                    conn: p.conn,
                    session_id: h.session_id,
                    kind: h.packet_type,
                    steps: Vec::new(),
                    outcome: None,
                    finished: false,
                    concurrent,
                    first_frame: p.frame,
                    last_frame: frame,
                },
            );
            let fresh = Open {
                session: id,
                last_seq: seq.wrapping_sub(1),
                secret_next: false,
                request_unreadable: false,
            };
            match at.and_then(|i| opens.get_mut(i)) {
                Some(o) => *o = fresh,
                None => {
                    super::push_growing(&mut opens, fresh);
                    let i = opens.len() - 1;
                    open.insert(key, i);
                    at = Some(i);
                }
            }
        }
        if let Some(i) = at {
            last = Some((key, i));
        }
        let Some(o) = at.and_then(|i| opens.get_mut(i)) else {
            continue;
        };
        let Some(s) = sessions.get_mut(o.session as usize) else {
            continue;
        };
        if !start_new {
            let expected = o.last_seq.wrapping_add(1);
            if seq == o.last_seq {
                diags.push(diag(
                    codes::SESSION_SEQ_DUPLICATE,
                    Severity::Warning,
                    format!("seq_no {seq} of session {:#010x} seen twice", h.session_id),
                ));
            } else if seq > expected {
                diags.push(diag(
                    codes::SESSION_SEQ_GAP,
                    Severity::Warning,
                    format!(
                        "seq_no {seq} of session {:#010x} follows {}: {} packet(s) missing",
                        h.session_id,
                        o.last_seq,
                        seq - expected
                    ),
                ));
            } else if seq < expected {
                diags.push(diag(
                    codes::SESSION_SEQ_DUPLICATE,
                    Severity::Warning,
                    format!("seq_no {seq} of session {:#010x} after seq_no {}: out of order or repeated", h.session_id, o.last_seq),
                ));
            }
            if h.packet_type != s.kind {
                diags.push(diag(
                    codes::SESSION_TYPE_MISMATCH,
                    Severity::Warning,
                    format!(
                        "{} packet in {} session {:#010x}",
                        h.packet_type, s.kind, h.session_id
                    ),
                ));
            }
        }
        let line = summary(d, o.secret_next);
        o.secret_next = asks_secret(d);
        o.last_seq = o.last_seq.max(seq);
        let status = final_status(d);
        if seq % 2 == 1 && d.body_state == BodyState::WrongKey {
            o.request_unreadable = true;
        } else if seq % 2 == 0
            && o.request_unreadable
            && status == Some("ERROR")
            && matches!(d.body_state, BodyState::Deobfuscated | BodyState::Clear)
        {
            diags.push(diag(
                codes::ERROR_REPLY_KEY_MISMATCH,
                Severity::Warning,
                format!(
                    "the server answers ERROR in session {:#010x} to a request that does not de-obfuscate with the key that reads this reply: the client's key differs from the server's (RFC 8907 §4.5)",
                    h.session_id
                ),
            ));
        }
        if let Some(st) = status {
            s.finished = true;
            s.outcome = Some(st);
        }
        s.last_frame = s.last_frame.max(frame);
        s.steps.push(Step {
            pdu: p.index,
            direction: p.direction,
            seq_no: seq,
        });
        p.session = Some(s.id);
        p.summary = line.into_boxed_str();
        if keep {
            p.decoded = Some(Box::new(decoded));
        }
    }
    for s in &sessions {
        if !s.finished {
            let last = s.steps.last().map_or(0, |x| x.seq_no);
            diags.push(
                CaptureDiagnostic::new(
                    codes::SESSION_UNFINISHED,
                    Severity::Info,
                    format!("session {:#010x} ends at seq_no {last} without a final reply in the capture", s.session_id),
                )
                .conn(s.conn)
                .frame(s.last_frame),
            );
        }
    }
    for (c, s) in sc.iter().enumerate() {
        if let Some(s) = s
            && s.sessions > 1
            && s.accepted != Some(true)
        {
            let how = match (s.requested, s.accepted) {
                (false, _) => "the client did not ask for it",
                (true, Some(false)) => "the server did not accept it",
                _ => "the server never answered",
            };
            diags.push(
                CaptureDiagnostic::new(
                    codes::SINGLE_CONNECT_NOT_NEGOTIATED,
                    Severity::Warning,
                    format!(
                        "{} sessions on one connection without Single Connection Mode ({how}; RFC 8907 §4.3)",
                        s.sessions
                    ),
                )
                .conn(u32::try_from(c).ok()),
            );
        }
    }
    Flows {
        sessions,
        single_connect: sc,
    }
}

/// Per connection: the candidate keys (indexes) with which every obfuscated PDU decoded
/// consistently; diagnostics when none or several did.
pub(crate) fn keys(
    pdus: &[Pdu],
    conns: &mut [Connection],
    nkeys: usize,
    diags: &mut Diags,
) -> Vec<u32> {
    // (conn or u32::MAX) -> (chosen key indexes, wrong-key count, obfuscated-without-key count)
    let mut per: BTreeMap<u32, (Vec<u32>, u32, u32)> = BTreeMap::new();
    for p in pdus {
        if !p.complete {
            continue;
        }
        let e = per.entry(p.conn.unwrap_or(u32::MAX)).or_default();
        match p.body_state {
            BodyState::Deobfuscated => {
                if let Some(k) = p.key_index
                    && !e.0.contains(&k)
                {
                    e.0.push(k);
                }
            }
            BodyState::WrongKey => e.1 += 1,
            BodyState::Obfuscated => e.2 += 1,
            BodyState::Clear => {}
        }
    }
    let mut all: Option<Vec<u32>> = None;
    let mut missing = 0u32;
    for (&c, (chosen, wrong, no_key)) in &per {
        missing += no_key;
        let conn = (c != u32::MAX).then_some(c);
        let ok = if *wrong == 0 && chosen.len() == 1 {
            chosen.clone()
        } else {
            Vec::new()
        };
        if *wrong > 0 {
            diags.push(
                CaptureDiagnostic::new(
                    codes::KEY_NONE_FITS,
                    Severity::Warning,
                    format!(
                        "{wrong} PDU(s) decode with none of the {nkeys} candidate key(s): wrong key?{}",
                        if chosen.is_empty() { String::new() } else { format!(" (others decode with key #{})", chosen.iter().map(|k| (k + 1).to_string()).collect::<Vec<_>>().join(", #")) }
                    ),
                )
                .conn(conn),
            );
        } else if chosen.len() > 1 {
            diags.push(
                CaptureDiagnostic::new(
                    codes::KEY_INCONSISTENT,
                    Severity::Warning,
                    format!(
                        "PDUs of one connection decode with different keys: #{}",
                        chosen
                            .iter()
                            .map(|k| (k + 1).to_string())
                            .collect::<Vec<_>>()
                            .join(", #")
                    ),
                )
                .conn(conn),
            );
        }
        if let Some(c) = conn
            && let Some(k) = conns.get_mut(c as usize)
        {
            k.keys_ok = ok.clone();
        }
        if !chosen.is_empty() || *wrong > 0 {
            all = Some(match all {
                None => ok,
                Some(prev) => prev.into_iter().filter(|k| ok.contains(k)).collect(),
            });
        }
    }
    if missing > 0 && nkeys == 0 {
        diags.push(CaptureDiagnostic::new(
            codes::KEY_MISSING,
            Severity::Info,
            format!("{missing} PDU(s) have obfuscated bodies and no key was given"),
        ));
    }
    all.unwrap_or_default()
}
