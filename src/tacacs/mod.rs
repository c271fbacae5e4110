//! TACACS+ (RFC 8907): a pure, sans-IO, total codec with byte spans and diagnostics, plus
//! client and server session state machines.
//!
//! Sections cited as "§x.y" refer to RFC 8907.
//!
//! # Decoding
//!
//! [`decode_pdu`] decodes one PDU from the front of its input, httparse style:
//! [`Decoded::Complete`] with a [`Pdu`], or [`Decoded::Partial`] with how many more bytes
//! are needed. [`decode_all`] walks concatenated PDUs and never drops a trailing incomplete
//! one. Decoding is lenient and total: any input gives a result plus [`Diagnostic`]s (stable
//! code, severity, message, absolute byte offset) — never a panic, and never an allocation
//! proportional to a length field (a `length` of 0xFFFFFFFF costs nothing).
//! [`Pdu::validate`] is the strict view a server or client applies.
//!
//! The body kind follows from `(type, seq_no parity)` only ([`BodyKind::of`]). With several
//! candidate keys ([`DecodeOptions::keys`]), the first key whose de-obfuscated body has field
//! lengths adding up to the header length is chosen ([`Pdu::key_index`]); when none does the
//! PDU carries a `wrong-key` ("probably wrong key") diagnostic.
//!
//! # JSON schema
//!
//! `serde_json::to_string(&pdu)` is the `casplus decode --json` line (one object per PDU). Its
//! keys are defined once, in [`json`] ([`json::PDU`], [`json::HEADER`], [`json::BODY`] per body
//! kind, [`json::DIAGNOSTIC`], …); docs/decode-json.md explains every key and
//! value convention (RFC names for enumerated values, flag lists, escaped text fields, `*_hex`
//! byte fields), and tests hold its tables and the npm package's TypeScript
//! declarations to the same lists. [`from_json`] reads the shape back into a packet.
//!
//! Note that JSON output shows secrets (PAP passwords in `data`, ASCII passwords in
//! `user_msg`) — it is the inspector's view; `Debug` output redacts them.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod acct;
pub mod authen;
pub mod author;
pub mod body;
pub mod diag;
pub mod encode;
pub mod enums;
pub mod from_json;
pub mod header;
pub mod json;
pub mod login;
pub mod obfuscate;
pub mod policy;
pub mod session;
pub mod text;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod vectors;

pub use acct::{AcctArgs, AcctReply, AcctRequest};
pub use authen::{AuthenContinue, AuthenReply, AuthenStart, ChapData, ChapKind};
pub use author::{AuthorRequest, AuthorResponse, AvPair, Separator};
pub use body::{Body, BodyKind, Direction, UnknownBody};
pub use diag::{Diagnostic, Severity, codes};
pub use encode::{EncodeError, RawLengths, encode_packet, encode_packet_raw};
pub use enums::*;
pub use header::Header;
pub use obfuscate::{Key, KeyError, apply_pad, obfuscate_body, pseudo_pad};
pub use text::Text;

use crate::codec::{Reader, Span};

/// The recommended maximum body length (§4.1: 2^16).
pub const DEFAULT_MAX_LENGTH: u32 = 1 << 16;

/// Decoder settings.
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// Largest acceptable body `length` (default 65 536, §4.1). Longer declared lengths are
    /// reported as `length-over-max`; the body is not awaited.
    pub max_length: u32,
    /// Candidate keys, tried in order (see [`Pdu::key_index`]).
    pub keys: Vec<Key>,
    /// Who sent the bytes, when the caller knows (e.g. from which end opened the TCP
    /// connection); enables the `seq-parity` check.
    pub expected_direction: Option<Direction>,
    /// The bytes came over TLS (TACACS+ over TLS 1.3, RFC 9887): TAC_PLUS_UNENCRYPTED_FLAG is
    /// then required rather than a finding (`unencrypted` is not reported), and an obfuscated
    /// body is reported as `obfuscated-over-tls`.
    pub over_tls: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_length: DEFAULT_MAX_LENGTH,
            keys: Vec::new(),
            expected_direction: None,
            over_tls: false,
        }
    }
}

impl DecodeOptions {
    /// Options with one key.
    pub fn with_key(key: Key) -> Self {
        Self {
            keys: vec![key],
            ..Self::default()
        }
    }
}

/// Whether and how the body bytes in [`Pdu::body_clear`] were de-obfuscated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyState {
    /// `TAC_PLUS_UNENCRYPTED_FLAG` set: the body was sent in clear.
    Clear,
    /// De-obfuscated with the key [`Pdu::key_index`].
    Deobfuscated,
    /// Obfuscated and no key was given: `body_clear` holds the bytes as on the wire.
    Obfuscated,
    /// No given key made the field lengths add up; `body_clear` is the attempt with the
    /// first key.
    WrongKey,
}

/// One decoded PDU (header + body), with everything the decoder noticed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pdu {
    /// Absolute offset of the first header byte in the input.
    pub offset: usize,
    /// False when the input ended inside this PDU (only from [`decode_all`]; header fields
    /// past the end of the input are 0 and their spans empty).
    pub complete: bool,
    /// Sender, from `seq_no` parity.
    pub direction: Direction,
    /// The header as on the wire.
    pub header: Header,
    /// Index into [`DecodeOptions::keys`] of the key that de-obfuscated the body (for an
    /// incomplete PDU: the first key, unverified).
    pub key_index: Option<usize>,
    /// How `body_clear` came to be.
    pub body_state: BodyState,
    /// The body bytes after de-obfuscation (see [`BodyState`]).
    pub body_clear: Vec<u8>,
    /// The decoded body.
    pub body: Body,
    /// Findings, in input order of discovery.
    pub diagnostics: Vec<Diagnostic>,
    /// The bytes of this PDU in the input (header + body present).
    pub span: Span,
}

/// `Debug` shows `body_clear` as its length only: it may hold a cleartext password.
impl core::fmt::Debug for Pdu {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pdu")
            .field("offset", &self.offset)
            .field("complete", &self.complete)
            .field("direction", &self.direction)
            .field("header", &self.header)
            .field("key_index", &self.key_index)
            .field("body_state", &self.body_state)
            .field("body_clear", &authen::Redacted(&self.body_clear))
            .field("body", &self.body)
            .field("diagnostics", &self.diagnostics)
            .field("span", &self.span)
            .finish()
    }
}

impl Pdu {
    /// The body kind from the header.
    pub fn kind(&self) -> BodyKind {
        BodyKind::of_header(&self.header)
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        diag::has_errors(&self.diagnostics)
    }

    /// Strict validation for servers and clients: `Err` with every finding that a strict
    /// peer must reject (all errors, plus unencrypted flag, unknown/removed values and
    /// non-printable text; see [`Diagnostic::rejects_in_strict_mode`]).
    pub fn validate(&self) -> Result<(), Vec<Diagnostic>> {
        self.validate_with(false)
    }

    /// [`Pdu::validate`], optionally tolerating `TAC_PLUS_UNENCRYPTED_FLAG` (for tests).
    pub fn validate_with(&self, allow_unencrypted: bool) -> Result<(), Vec<Diagnostic>> {
        let mut bad: Vec<Diagnostic> = self
            .diagnostics
            .iter()
            .filter(|d| {
                d.rejects_in_strict_mode() && !(allow_unencrypted && d.code == codes::UNENCRYPTED)
            })
            .cloned()
            .collect();
        if !self.complete && !bad.iter().any(|d| d.code == codes::TRUNCATED_BODY) {
            bad.push(Diagnostic {
                code: codes::TRUNCATED_BODY,
                severity: Severity::Error,
                message: "incomplete PDU".into(),
                offset: self.offset,
            });
        }
        if bad.is_empty() { Ok(()) } else { Err(bad) }
    }
}

/// Result of [`decode_pdu`].
///
/// A header whose `length` is over [`DecodeOptions::max_length`] gives `Complete` at once
/// when the body is not all in the input (a `length-over-max` error, empty body, `span`
/// covering the header only): the decoder never waits for, or allocates, an over-long body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Decoded {
    /// A whole PDU; it occupies `pdu.span` of the input.
    Complete(Pdu),
    /// The input ends inside a PDU: `needed` more bytes are required (not an error).
    Partial {
        /// How many more bytes are needed (at least; for a short header, to complete it).
        needed: usize,
        /// The header, when all 12 bytes were there.
        header: Option<Header>,
        /// Findings so far (`truncated-header` / `truncated-body`, header checks).
        diagnostics: Vec<Diagnostic>,
    },
}

/// Decodes one PDU from the front of `input` (offsets relative to `input`).
pub fn decode_pdu(input: &[u8], opts: &DecodeOptions) -> Decoded {
    decode_pdu_at(input, 0, opts)
}

/// Decodes one PDU starting at `offset` in `input`; spans and diagnostic offsets are
/// absolute in `input`.
pub fn decode_pdu_at(input: &[u8], offset: usize, opts: &DecodeOptions) -> Decoded {
    let rest = input.get(offset..).unwrap_or_default();
    let mut r = Reader::at(rest, offset);
    let header = match Header::decode(&mut r) {
        Ok(h) => h,
        Err(_) => {
            let needed = Header::LEN.saturating_sub(rest.len());
            return Decoded::Partial {
                needed,
                header: None,
                diagnostics: vec![Diagnostic::new(
                    codes::TRUNCATED_HEADER,
                    offset,
                    format!(
                        "header is {} of 12 bytes: need {needed} more byte(s)",
                        rest.len()
                    ),
                )],
            };
        }
    };
    let mut diags = Vec::new();
    check_header(&header, opts, &mut diags);
    let body_start = offset.saturating_add(Header::LEN);
    let declared = header.length as usize;
    let available = r.remaining();
    if header.length > opts.max_length && available < declared {
        // Over the maximum and not all there: do not wait for it (§4.1).
        return Decoded::Complete(Pdu {
            offset,
            complete: true,
            direction: Direction::of_seq_no(header.seq_no),
            header,
            key_index: None,
            body_state: initial_state(&header),
            body_clear: Vec::new(),
            body: Body::Unknown(UnknownBody {
                data: Vec::new(),
                span: Span::new(body_start, 0),
            }),
            diagnostics: diags,
            span: Span::new(offset, Header::LEN),
        });
    }
    if available < declared {
        let needed = declared - available;
        diags.push(truncated_body(body_start, needed));
        return Decoded::Partial {
            needed,
            header: Some(header),
            diagnostics: diags,
        };
    }
    let raw = match r.take(declared, "body") {
        Ok((b, _)) => b,
        Err(_) => &[],
    };
    Decoded::Complete(decode_body_of(offset, header, raw, true, opts, diags))
}

/// Decodes every PDU in `input`, one after the other. A trailing incomplete PDU is
/// returned too, with `complete: false` and a `truncated-header` / `truncated-body`
/// diagnostic; a PDU whose length is over the maximum and not all there ends the walk.
pub fn decode_all(input: &[u8], opts: &DecodeOptions) -> Vec<Pdu> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < input.len() {
        match decode_pdu_at(input, at, opts) {
            Decoded::Complete(pdu) => {
                let next = pdu.span.end;
                let stop = pdu.header.length > opts.max_length
                    && next < at + Header::LEN + pdu.header.length as usize;
                out.push(pdu);
                if stop || next <= at {
                    break;
                }
                at = next;
            }
            Decoded::Partial {
                header,
                diagnostics,
                ..
            } => {
                out.push(partial_pdu(input, at, header, diagnostics, opts));
                break;
            }
        }
    }
    out
}

fn initial_state(h: &Header) -> BodyState {
    if h.is_unencrypted() {
        BodyState::Clear
    } else {
        BodyState::Obfuscated
    }
}

fn truncated_body(body_start: usize, needed: usize) -> Diagnostic {
    Diagnostic::new(
        codes::TRUNCATED_BODY,
        body_start,
        format!("body shorter than the header's length: need {needed} more byte(s)"),
    )
}

/// A `Pdu` for input that ends inside a PDU (for [`decode_all`]).
fn partial_pdu(
    input: &[u8],
    at: usize,
    header: Option<Header>,
    diagnostics: Vec<Diagnostic>,
    opts: &DecodeOptions,
) -> Pdu {
    let rest = input.get(at..).unwrap_or_default();
    let header = match header {
        Some(h) => h,
        None => {
            // Fill what is there; missing bytes are 0 and their spans empty.
            let mut b = [0u8; Header::LEN];
            for (d, s) in b.iter_mut().zip(rest) {
                *d = *s;
            }
            let mut r = Reader::at(&b, at);
            let mut h =
                Header::decode(&mut r).unwrap_or_else(|_| Header::new(PacketType(0), 0, 0, 0));
            let clip = |s: Span| Span {
                start: s.start.min(at + rest.len()),
                end: s.end.min(at + rest.len()),
            };
            h.spans.version = clip(h.spans.version);
            h.spans.packet_type = clip(h.spans.packet_type);
            h.spans.seq_no = clip(h.spans.seq_no);
            h.spans.flags = clip(h.spans.flags);
            h.spans.session_id = clip(h.spans.session_id);
            h.spans.length = clip(h.spans.length);
            h
        }
    };
    let body_raw = rest.get(Header::LEN..).unwrap_or_default();
    let mut pdu = decode_body_of(at, header, body_raw, false, opts, diagnostics);
    pdu.complete = false;
    pdu.span = Span::new(at, rest.len());
    pdu
}

/// Header checks (§4.1).
fn check_header(h: &Header, opts: &DecodeOptions, diags: &mut Vec<Diagnostic>) {
    let sp = &h.spans;
    if h.major != Header::MAJOR_VER {
        diags.push(Diagnostic::new(
            codes::BAD_MAJOR_VERSION,
            sp.version.start,
            format!("major_version is 0x{:x}, TACACS+ is 0xc (§4.1)", h.major),
        ));
    }
    if h.minor > Header::MINOR_VER_ONE {
        diags.push(Diagnostic::new(
            codes::BAD_MINOR_VERSION,
            sp.version.start,
            format!(
                "minor_version is {}, only 0 (DEFAULT) and 1 (ONE) exist (§4.1)",
                h.minor
            ),
        ));
    } else if h.minor != Header::MINOR_VER_DEFAULT
        && matches!(h.packet_type, PacketType::AUTHOR | PacketType::ACCT)
    {
        diags.push(Diagnostic::new(
            codes::MINOR_VERSION_MISMATCH,
            sp.version.start,
            format!(
                "{} packets use minor_version 0, the header has {} (§5.4.1)",
                h.packet_type, h.minor
            ),
        ));
    }
    if h.packet_type.name().is_none() {
        diags.push(Diagnostic::new(
            codes::UNKNOWN_TYPE,
            sp.packet_type.start,
            format!(
                "type 0x{:02x} is not AUTHEN (1), AUTHOR (2) or ACCT (3) (§4.1)",
                h.packet_type.0
            ),
        ));
    }
    if h.seq_no == 0 {
        diags.push(Diagnostic::new(
            codes::SEQ_NO_ZERO,
            sp.seq_no.start,
            "seq_no is 0; the first packet of a session has seq_no 1 (§4.1)",
        ));
    } else if matches!(h.packet_type, PacketType::AUTHOR | PacketType::ACCT) && h.seq_no > 2 {
        diags.push(Diagnostic::new(
            codes::SEQ_UNEXPECTED,
            sp.seq_no.start,
            format!(
                "seq_no {} in a {} session, which is one request (1) and one reply (2) (§6, §7)",
                h.seq_no, h.packet_type
            ),
        ));
    }
    if let Some(dir) = opts.expected_direction {
        let got = Direction::of_seq_no(h.seq_no);
        if got != dir && h.seq_no != 0 {
            diags.push(Diagnostic::new(
                codes::SEQ_PARITY,
                sp.seq_no.start,
                format!(
                    "seq_no {} is {} but the packet was sent {} (clients send odd, servers even, §4.1)",
                    h.seq_no,
                    if h.seq_no % 2 == 1 { "odd" } else { "even" },
                    match dir {
                        Direction::ClientToServer => "by the client",
                        Direction::ServerToClient => "by the server",
                    }
                ),
            ));
        }
    }
    let reserved = h.flags.undefined_bits();
    if reserved != 0 {
        diags.push(Diagnostic::new(
            codes::RESERVED_FLAGS,
            sp.flags.start,
            format!("reserved flag bits 0x{reserved:02x} set; they are ignored and SHOULD be zero (§4.1)"),
        ));
    }
    match (h.is_unencrypted(), opts.over_tls) {
        (true, false) => diags.push(Diagnostic::new(
            codes::UNENCRYPTED,
            sp.flags.start,
            "TAC_PLUS_UNENCRYPTED_FLAG is set: the body is not obfuscated; MUST NOT be used in production (§4.5)",
        )),
        (false, true) => diags.push(Diagnostic::new(
            codes::OBFUSCATED_OVER_TLS,
            sp.flags.start,
            "TAC_PLUS_UNENCRYPTED_FLAG is clear inside TLS: RFC 9887 forbids obfuscation over TLS, the peer must refuse it",
        )),
        _ => {}
    }
    if h.length > opts.max_length {
        diags.push(Diagnostic::new(
            codes::LENGTH_OVER_MAX,
            sp.length.start,
            format!(
                "length {} exceeds the maximum {} (§4.1)",
                h.length, opts.max_length
            ),
        ));
    }
}

/// True when the structural diagnostics say the field lengths add up (§4.5).
fn lengths_consistent(diags: &[Diagnostic]) -> bool {
    !diags.iter().any(|d| {
        matches!(
            d.code,
            codes::LENGTH_MISMATCH
                | codes::TRAILING_BYTES
                | codes::ARG_OVERFLOW
                | codes::BODY_TOO_SHORT
        )
    })
}

/// One key tried on a body.
struct Attempt {
    index: usize,
    clear: Vec<u8>,
    body: Body,
    structural: Vec<Diagnostic>,
    semantic: Vec<Diagnostic>,
    /// Field lengths add up to the body length (§4.5).
    consistent: bool,
    /// No enumerated value outside RFC 8907.
    plausible: bool,
}

impl Attempt {
    /// The body read as it is on the wire, when it is consistent and plausible there (a body
    /// sent in clear without the UNENCRYPTED flag, §4.5).
    fn in_clear(header: &Header, raw: &[u8], kind: BodyKind, body_start: usize) -> Option<Self> {
        let mut structural = Vec::new();
        let body = Body::decode(kind, raw, body_start, &mut structural);
        if raw.is_empty() || !lengths_consistent(&structural) {
            return None;
        }
        let mut semantic = Vec::new();
        body.check(header, &mut semantic);
        let plausible = !semantic.iter().any(|x| x.code == codes::UNKNOWN_VALUE);
        plausible.then(|| Self {
            index: 0,
            clear: raw.to_vec(),
            body,
            structural,
            semantic,
            consistent: true,
            plausible,
        })
    }

    fn new(
        index: usize,
        key: &Key,
        header: &Header,
        raw: &[u8],
        kind: BodyKind,
        body_start: usize,
    ) -> Self {
        let mut clear = raw.to_vec();
        obfuscate_body(header, key, &mut clear);
        let mut structural = Vec::new();
        let body = Body::decode(kind, &clear, body_start, &mut structural);
        let consistent = lengths_consistent(&structural);
        let mut semantic = Vec::new();
        if consistent {
            body.check(header, &mut semantic);
        }
        let plausible = !semantic.iter().any(|x| x.code == codes::UNKNOWN_VALUE);
        Self {
            index,
            clear,
            body,
            structural,
            semantic,
            consistent,
            plausible,
        }
    }
}

/// De-obfuscates (trying keys) and decodes the body of a PDU whose header is known.
/// `raw` is the body as on the wire (possibly a prefix when `complete` is false).
fn decode_body_of(
    offset: usize,
    header: Header,
    raw: &[u8],
    complete: bool,
    opts: &DecodeOptions,
    mut diags: Vec<Diagnostic>,
) -> Pdu {
    let body_start = offset.saturating_add(Header::LEN);
    let kind = BodyKind::of_header(&header);
    let span = Span::new(offset, Header::LEN.saturating_add(raw.len()));
    let unknown = |data: Vec<u8>| {
        Body::Unknown(UnknownBody {
            span: Span::new(body_start, data.len()),
            data,
        })
    };
    let mut pdu = Pdu {
        offset,
        complete,
        direction: Direction::of_seq_no(header.seq_no),
        header,
        key_index: None,
        body_state: initial_state(&header),
        body_clear: Vec::new(),
        body: Body::Unknown(UnknownBody::default()),
        diagnostics: Vec::new(),
        span,
    };

    if header.is_unencrypted() {
        pdu.body_clear = raw.to_vec();
    } else if opts.keys.is_empty() {
        pdu.body_clear = raw.to_vec();
        pdu.body = unknown(raw.to_vec());
        if complete && !raw.is_empty() {
            diags.push(Diagnostic::new(
                codes::NO_KEY,
                body_start,
                "the body is obfuscated and no key was given (§4.5)",
            ));
        }
        pdu.diagnostics = diags;
        return pdu;
    } else if !complete {
        // A prefix can be de-obfuscated (the pad is positional) but not checked: use key 0.
        let mut clear = raw.to_vec();
        if let Some(k) = opts.keys.first() {
            obfuscate_body(&header, k, &mut clear);
        }
        pdu.body_clear = clear;
        pdu.key_index = Some(0);
        pdu.body_state = BodyState::Deobfuscated;
    } else {
        // Try each key; the first consistent one with only known enumerated values wins,
        // else the first consistent one, else "probably wrong key" with key 0's attempt.
        let mut first: Option<Attempt> = None;
        let mut first_consistent: Option<Attempt> = None;
        let mut chosen: Option<Attempt> = None;
        for (i, k) in opts.keys.iter().enumerate() {
            let a = Attempt::new(i, k, &header, raw, kind, body_start);
            if a.consistent {
                if a.plausible {
                    chosen = Some(a);
                    break;
                }
                if first_consistent.is_none() {
                    first_consistent = Some(a);
                }
            } else if first.is_none() {
                first = Some(a);
            }
        }
        let (attempt, wrong) = match chosen.or(first_consistent) {
            Some(a) => (a, false),
            None => match first {
                Some(a) => (a, true),
                None => {
                    pdu.diagnostics = diags;
                    return pdu;
                }
            },
        };
        if wrong && let Some(clear) = Attempt::in_clear(&header, raw, kind, body_start) {
            // §4.5: no key fits, but the body reads as it is: sent in clear without the flag
            diags.push(Diagnostic::new(
                codes::CLEAR_WITHOUT_FLAG,
                body_start,
                "no key de-obfuscates the body, but it reads in clear: sent without TAC_PLUS_UNENCRYPTED_FLAG (§4.5)",
            ));
            diags.extend(clear.structural);
            diags.extend(clear.semantic);
            pdu.body_state = BodyState::Clear;
            pdu.body_clear = clear.clear;
            pdu.body = clear.body;
            pdu.diagnostics = diags;
            return pdu;
        }
        if wrong {
            diags.push(Diagnostic::new(
                codes::WRONG_KEY,
                body_start,
                format!(
                    "field lengths do not add up after de-obfuscation with {} key(s): probably wrong key (§4.5)",
                    opts.keys.len()
                ),
            ));
            pdu.body_state = BodyState::WrongKey;
            diags.extend(attempt.structural);
        } else {
            pdu.key_index = Some(attempt.index);
            pdu.body_state = BodyState::Deobfuscated;
            diags.extend(attempt.structural);
            diags.extend(attempt.semantic);
        }
        pdu.body_clear = attempt.clear;
        pdu.body = attempt.body;
        pdu.diagnostics = diags;
        return pdu;
    }

    if !complete {
        pdu.body = unknown(pdu.body_clear.clone());
        pdu.diagnostics = diags;
        return pdu;
    }
    let body = Body::decode(kind, &pdu.body_clear, body_start, &mut diags);
    if pdu.body_state != BodyState::WrongKey {
        body.check(&header, &mut diags);
    }
    pdu.body = body;
    pdu.diagnostics = diags;
    pdu
}
