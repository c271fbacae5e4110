//! The body kinds and the lenient body decoder shared by all seven bodies.
//!
//! The kind of a body follows from the header alone — `(type, seq_no parity)` — never from a
//! TCP port (RFC 8907 §4.1: clients send odd `seq_no`, servers even).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::codec::{Reader, Span};

use super::acct::{AcctReply, AcctRequest};
use super::authen::{AuthenContinue, AuthenReply, AuthenStart};
use super::author::{AuthorRequest, AuthorResponse};
use super::diag::{Diagnostic, codes};
use super::enums::PacketType;
use super::header::Header;

/// Who sent a packet, from `seq_no` parity (RFC 8907 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Odd `seq_no`: sent by the client (START, CONTINUE, REQUEST).
    ClientToServer,
    /// Even `seq_no`: sent by the server (REPLY, RESPONSE).
    ServerToClient,
}

impl Direction {
    /// Direction from `seq_no` parity.
    pub const fn of_seq_no(seq_no: u8) -> Self {
        if seq_no % 2 == 1 {
            Self::ClientToServer
        } else {
            Self::ServerToClient
        }
    }

    /// `"client_to_server"` / `"server_to_client"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientToServer => "client_to_server",
            Self::ServerToClient => "server_to_client",
        }
    }
}

/// The seven body kinds of RFC 8907, plus `Unknown` for an unknown `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// Authentication START (§5.1): AUTHEN, `seq_no` 1.
    AuthenStart,
    /// Authentication REPLY (§5.2): AUTHEN, even `seq_no`.
    AuthenReply,
    /// Authentication CONTINUE (§5.3): AUTHEN, odd `seq_no` > 1.
    AuthenContinue,
    /// Authorization REQUEST (§6.1): AUTHOR, odd `seq_no`.
    AuthorRequest,
    /// Authorization RESPONSE (§6.2): AUTHOR, even `seq_no`.
    AuthorResponse,
    /// Accounting REQUEST (§7.1): ACCT, odd `seq_no`.
    AcctRequest,
    /// Accounting REPLY (§7.2): ACCT, even `seq_no`.
    AcctReply,
    /// Unknown `type`: the body is kept as bytes.
    Unknown,
}

impl BodyKind {
    /// The body kind for a header's `(type, seq_no)`.
    pub const fn of(packet_type: PacketType, seq_no: u8) -> Self {
        let from_client = seq_no % 2 == 1;
        match (packet_type, from_client) {
            (PacketType::AUTHEN, true) if seq_no == 1 => Self::AuthenStart,
            (PacketType::AUTHEN, true) => Self::AuthenContinue,
            (PacketType::AUTHEN, false) => Self::AuthenReply,
            (PacketType::AUTHOR, true) => Self::AuthorRequest,
            (PacketType::AUTHOR, false) => Self::AuthorResponse,
            (PacketType::ACCT, true) => Self::AcctRequest,
            (PacketType::ACCT, false) => Self::AcctReply,
            _ => Self::Unknown,
        }
    }

    /// The body kind for a header.
    pub const fn of_header(h: &Header) -> Self {
        Self::of(h.packet_type, h.seq_no)
    }

    /// The JSON `kind` string: `"authen_start"`, …, `"unknown"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthenStart => "authen_start",
            Self::AuthenReply => "authen_reply",
            Self::AuthenContinue => "authen_continue",
            Self::AuthorRequest => "author_request",
            Self::AuthorResponse => "author_response",
            Self::AcctRequest => "acct_request",
            Self::AcctReply => "acct_reply",
            Self::Unknown => "unknown",
        }
    }
}

/// A body whose kind is unknown (or that could not be read): its bytes and where they were.
/// `Debug` shows the length only (the bytes may be a cleartext body prefix).
#[derive(Clone, Default)]
pub struct UnknownBody {
    /// The bytes (cleartext when a key matched or the body was unencrypted).
    pub data: Vec<u8>,
    /// Where they were.
    pub span: Span,
}

impl core::fmt::Debug for UnknownBody {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UnknownBody")
            .field("data", &super::authen::Redacted(&self.data))
            .field("span", &self.span)
            .finish()
    }
}

impl PartialEq for UnknownBody {
    fn eq(&self, o: &Self) -> bool {
        self.data == o.data
    }
}
impl Eq for UnknownBody {}

/// A decoded packet body.
///
/// Equality of bodies ignores spans (like `proc_macro2::Ident` ignores its span), so
/// `decode(encode(x)) == x` holds for a hand-built `x`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// Authentication START (§5.1).
    AuthenStart(AuthenStart),
    /// Authentication REPLY (§5.2).
    AuthenReply(AuthenReply),
    /// Authentication CONTINUE (§5.3).
    AuthenContinue(AuthenContinue),
    /// Authorization REQUEST (§6.1).
    AuthorRequest(AuthorRequest),
    /// Authorization RESPONSE (§6.2).
    AuthorResponse(AuthorResponse),
    /// Accounting REQUEST (§7.1).
    AcctRequest(AcctRequest),
    /// Accounting REPLY (§7.2).
    AcctReply(AcctReply),
    /// Unknown type, undecodable body, or obfuscated body without key.
    Unknown(UnknownBody),
}

impl Body {
    /// The kind of this body.
    pub const fn kind(&self) -> BodyKind {
        match self {
            Self::AuthenStart(_) => BodyKind::AuthenStart,
            Self::AuthenReply(_) => BodyKind::AuthenReply,
            Self::AuthenContinue(_) => BodyKind::AuthenContinue,
            Self::AuthorRequest(_) => BodyKind::AuthorRequest,
            Self::AuthorResponse(_) => BodyKind::AuthorResponse,
            Self::AcctRequest(_) => BodyKind::AcctRequest,
            Self::AcctReply(_) => BodyKind::AcctReply,
            Self::Unknown(_) => BodyKind::Unknown,
        }
    }

    /// Decodes a cleartext body of `kind` leniently. `base` is the absolute offset of the
    /// body's first byte (for spans and diagnostics). Structural problems (short body, field
    /// lengths not adding up, argument overflow) are appended to `diags`; a body shorter
    /// than its fixed part decodes as [`Body::Unknown`].
    pub fn decode(kind: BodyKind, clear: &[u8], base: usize, diags: &mut Vec<Diagnostic>) -> Self {
        let mut br = BodyReader::new(clear, base, diags);
        let body = match kind {
            BodyKind::AuthenStart => AuthenStart::decode_body(&mut br).map(Self::AuthenStart),
            BodyKind::AuthenReply => AuthenReply::decode_body(&mut br).map(Self::AuthenReply),
            BodyKind::AuthenContinue => {
                AuthenContinue::decode_body(&mut br).map(Self::AuthenContinue)
            }
            BodyKind::AuthorRequest => AuthorRequest::decode_body(&mut br).map(Self::AuthorRequest),
            BodyKind::AuthorResponse => {
                AuthorResponse::decode_body(&mut br).map(Self::AuthorResponse)
            }
            BodyKind::AcctRequest => AcctRequest::decode_body(&mut br).map(Self::AcctRequest),
            BodyKind::AcctReply => AcctReply::decode_body(&mut br).map(Self::AcctReply),
            BodyKind::Unknown => None,
        };
        match body {
            Some(b) => {
                br.finish();
                b
            }
            None => Self::Unknown(UnknownBody {
                data: clear.to_vec(),
                span: Span::new(base, clear.len()),
            }),
        }
    }

    /// Semantic checks of the decoded fields against the header (enumerated values,
    /// minor version vs. authen_type, text fields, CHAP sizes, AV pairs, accounting flags
    /// and arguments). Appends to `diags`.
    pub fn check(&self, header: &Header, diags: &mut Vec<Diagnostic>) {
        match self {
            Self::AuthenStart(b) => b.check(header, diags),
            Self::AuthenReply(b) => b.check(diags),
            Self::AuthenContinue(b) => b.check(diags),
            Self::AuthorRequest(b) => b.check(header, diags),
            Self::AuthorResponse(b) => b.check(diags),
            Self::AcctRequest(b) => b.check(header, diags),
            Self::AcctReply(b) => b.check(diags),
            Self::Unknown(_) => {}
        }
    }
}

/// Lenient reader for one body: fixed fields must be present, variable fields take what is
/// there and record a diagnostic when their declared length runs past the body.
pub(crate) struct BodyReader<'a, 'd> {
    pub(crate) r: Reader<'a>,
    base: usize,
    len: usize,
    diags: &'d mut Vec<Diagnostic>,
    overrun: bool,
}

impl<'a, 'd> BodyReader<'a, 'd> {
    pub(crate) fn new(clear: &'a [u8], base: usize, diags: &'d mut Vec<Diagnostic>) -> Self {
        Self {
            r: Reader::at(clear, base),
            base,
            len: clear.len(),
            diags,
            overrun: false,
        }
    }

    /// Checks that the fixed part (`n` bytes) is there; reports `body-too-short` if not.
    pub(crate) fn need_fixed(&mut self, n: usize, what: &str) -> bool {
        if self.len >= n {
            return true;
        }
        self.diags.push(Diagnostic::new(
            codes::BODY_TOO_SHORT,
            self.base,
            format!(
                "{what} body needs at least {n} bytes, has {}{}",
                self.len,
                if self.len == 0 {
                    " (a zero-length body signals an error, §3.6)"
                } else {
                    ""
                }
            ),
        ));
        false
    }

    /// A fixed `u8` (only call after [`Self::need_fixed`]).
    pub(crate) fn u8(&mut self) -> (u8, Span) {
        let (b, span) = self.r.take_up_to(1);
        (b.first().copied().unwrap_or(0), span)
    }

    /// A fixed big-endian `u16` (only call after [`Self::need_fixed`]).
    pub(crate) fn u16(&mut self) -> (u16, Span) {
        let (b, span) = self.r.take_up_to(2);
        let mut a = [0u8; 2];
        for (d, s) in a.iter_mut().zip(b) {
            *d = *s;
        }
        (u16::from_be_bytes(a), span)
    }

    /// A variable field of declared length `len`: whatever is there, flagging an overrun.
    pub(crate) fn field(&mut self, len: usize, name: &str, code: &'static str) -> (Vec<u8>, Span) {
        let at = self.r.offset();
        let (bytes, span) = self.r.take_up_to(len);
        if bytes.len() < len && !self.overrun {
            self.overrun = true;
            self.diags.push(Diagnostic::new(
                code,
                at,
                format!(
                    "{name} declares {len} bytes but only {} remain in the {}-byte body",
                    bytes.len(),
                    self.len
                ),
            ));
        }
        (bytes.to_vec(), span)
    }

    /// Reports leftover bytes after the last field.
    fn finish(&mut self) {
        let rest = self.r.remaining();
        if rest > 0 {
            self.diags.push(Diagnostic::new(
                codes::TRAILING_BYTES,
                self.r.offset(),
                format!("{rest} body byte(s) after the last declared field (field lengths do not add up to the header length)"),
            ));
        }
    }
}

/// Pushes diagnostics for an enumerated value that is unknown, deprecated or removed.
pub(crate) fn check_value(
    diags: &mut Vec<Diagnostic>,
    field: &str,
    shown: &dyn core::fmt::Display,
    status: super::enums::ValueStatus,
    span: Span,
) {
    use super::enums::ValueStatus;
    let (code, what) = match status {
        ValueStatus::Known => return,
        ValueStatus::Deprecated => (codes::DEPRECATED_VALUE, "is deprecated"),
        ValueStatus::Removed => (codes::REMOVED_VALUE, "was removed from the protocol"),
        ValueStatus::Unknown => (codes::UNKNOWN_VALUE, "is not a value RFC 8907 defines"),
    };
    diags.push(Diagnostic::new(
        code,
        span.start,
        format!("{field} {shown} {what}"),
    ));
}

/// Pushes `non-printable` for a text field with control characters (§3.7).
pub(crate) fn check_text(diags: &mut Vec<Diagnostic>, field: &str, bytes: &[u8], span: Span) {
    if super::text::is_non_printable(bytes) {
        diags.push(Diagnostic::new(
            codes::NON_PRINTABLE,
            span.start,
            format!("{field} contains control characters, NUL or invalid UTF-8"),
        ));
    }
}
