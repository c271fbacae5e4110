//! What the exports return, and the TypeScript declarations of it.
//!
//! [`DecodeOut`] is what `decode` serialises: the capture [`capture::Analysis`] with its PDUs
//! as the codec renders them ([`capture::PduLine`], the `casplus decode --json` schema).
//! The core renders its JSON with hand-written `Serialize` impls, which `tsify` cannot read, so
//! the declarations come from the mirror types below: `#[derive(Tsify)]` only, never built at
//! run time. The tests deserialise real results into them with `deny_unknown_fields`, so a
//! field added, renamed or retyped in the core fails here instead of drifting from the types.
#![allow(missing_docs)] // the mirror fields are documented where the core defines them
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[cfg(test)]
use serde::Deserialize;
use serde::Serialize;
use tsify::Tsify;

use crate::capture::{self, Analysis, PduLine};

#[path = "schema_tls.rs"]
mod tls;
pub use tls::{TlsAlert, TlsInfo};

/// The result of `decode`, as serialised: the analysis with its PDUs rendered one at a time
/// (never all decoded at once), or without them (`pdus: []`) when the caller renders them.
pub struct DecodeOut<'a> {
    analysis: &'a Analysis,
    opts: &'a capture::Options,
    with_pdus: bool,
}

impl<'a> DecodeOut<'a> {
    /// The result for an analysis made with `opts` (its PDUs decoded with the same keys).
    pub fn new(analysis: &'a Analysis, opts: &'a capture::Options) -> Self {
        Self {
            analysis,
            opts,
            with_pdus: true,
        }
    }

    /// The same with `pdus: []`, for a caller that renders [`DecodeOut::pdu_lines`] itself.
    pub fn without_pdus(analysis: &'a Analysis, opts: &'a capture::Options) -> Self {
        Self {
            with_pdus: false,
            ..Self::new(analysis, opts)
        }
    }

    /// The PDUs as the codec renders them, decoded one at a time.
    pub fn pdu_lines(&self) -> impl Iterator<Item = PduLine<'a>> + 'a {
        self.analysis.pdu_lines(self.opts)
    }
}

impl Serialize for DecodeOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Lines<'b>(&'b DecodeOut<'b>);
        impl Serialize for Lines<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if self.0.with_pdus {
                    s.collect_seq(self.0.pdu_lines())
                } else {
                    s.collect_seq(core::iter::empty::<()>())
                }
            }
        }
        let a = self.analysis;
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("format", &a.format)?;
        m.serialize_entry("pdus", &Lines(self))?;
        m.serialize_entry("sessions", &a.sessions)?;
        m.serialize_entry("connections", &a.connections)?;
        m.serialize_entry("keys_ok", &a.keys_ok)?;
        m.serialize_entry("diagnostics", &a.diagnostics)?;
        m.serialize_entry("stats", &a.stats)?;
        m.end()
    }
}

/// What `decode` returns. Field names follow RFC 8907 and the CLI's JSON schema (snake_case).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct DecodeResult {
    /// The input form, detected or forced.
    pub format: FormatInfo,
    /// TACACS+ PDUs in the order they were completed.
    pub pdus: Vec<Pdu>,
    /// Sessions (connection + session_id), in order of their first PDU.
    pub sessions: Vec<Session>,
    /// TCP connections (empty for input without TCP: hex or raw PDUs).
    pub connections: Vec<Connection>,
    /// Indexes into `options.keys` of the keys that decode every obfuscated PDU consistently.
    pub keys_ok: Vec<u32>,
    /// Findings about the capture (each PDU has its own `diagnostics` too).
    pub diagnostics: Vec<CaptureDiagnostic>,
    /// Counters.
    pub stats: Stats,
}

/// How the input was given.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct FormatInfo {
    /// The outer form.
    pub form: InputFormat,
    /// True when `inputFormat` forced it.
    pub forced: bool,
    /// For a hex or base64 dump of a pcap/pcapng file: that file's form.
    pub inner: Option<InputFormat>,
    /// Byte order, timestamp resolution, link types, ...
    pub detail: String,
}

/// An input form, as `decode` reports it.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    Raw,
    Hex,
    Base64,
    Tcpdump,
    #[serde(rename = "hexdump")]
    HexDump,
    Pcap,
    Pcapng,
}

/// A half-open byte range `[start, end)`.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// A TACACS+ PDU: the codec's decode (offsets and spans count from the PDU's first byte)
/// and where it was in the capture.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct Pdu {
    /// 0: spans count from the PDU's first byte.
    pub offset: u32,
    /// False when the capture ended inside the PDU (or segments were missing).
    pub complete: bool,
    /// From the seq_no parity (§4.1).
    pub direction: PduDirection,
    pub header: Header,
    /// Index into `options.keys` of the key that de-obfuscated the body.
    pub key_index: Option<u32>,
    pub body_state: BodyState,
    /// The body after de-obfuscation (as on the wire when `body_state` is `obfuscated`), hex.
    pub body_clear_hex: String,
    pub body: Body,
    /// The codec's findings (offsets from the PDU's first byte).
    pub diagnostics: Vec<PduDiagnostic>,
    pub span: Span,
    /// Offset of the PDU's first byte in the input (for text: its first hex digit).
    pub input_offset: Option<u32>,
    /// First frame (1-based) holding a byte of the PDU.
    pub frame: u32,
    /// Frame holding its last byte.
    pub last_frame: u32,
    /// Capture time of `last_frame`: RFC 3339, or a time of day for default tcpdump text.
    pub time: Option<String>,
    /// Sender `ip:port` (`[v6]:port`), when the input had TCP.
    pub src: Option<String>,
    /// Receiver `ip:port`.
    pub dst: Option<String>,
    /// Index in `connections`.
    pub conn: Option<u32>,
    /// Index in `sessions`.
    pub session: Option<u32>,
    /// One line: `AUTHEN START login pap user=alice`.
    pub summary: String,
}

/// Who sent a PDU, from the seq_no parity (odd: the client, §4.1).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum PduDirection {
    ClientToServer,
    ServerToClient,
}

/// How the body bytes came to be.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum BodyState {
    /// UNENCRYPTED flag set (§4.5).
    Clear,
    /// De-obfuscated with `key_index`.
    Deobfuscated,
    /// No key was given.
    Obfuscated,
    /// No key made the field lengths add up: probably the wrong key.
    WrongKey,
}

/// An enumerated value: the RFC 8907 name without the `TAC_PLUS_` prefix, or the number
/// when the RFC names no such value.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(untagged)]
pub enum Wire {
    Name(String),
    Number(u8),
}

/// The 12-byte header (§4.1), every value as on the wire.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// 12 for TACACS+.
    pub major: u8,
    /// 0 (DEFAULT) or 1 (ONE).
    pub minor: u8,
    /// `AUTHEN`, `AUTHOR`, `ACCT`, or the number.
    #[serde(rename = "type")]
    pub packet_type: Wire,
    pub seq_no: u8,
    /// `UNENCRYPTED`, `SINGLE_CONNECT`, undefined bits as `"0x.."`.
    pub flags: Vec<String>,
    pub session_id: u32,
    /// The body length the header declares.
    pub length: u32,
    pub spans: HeaderSpans,
}

/// Where each header field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct HeaderSpans {
    pub version: Span,
    #[serde(rename = "type")]
    pub packet_type: Span,
    pub seq_no: Span,
    pub flags: Span,
    pub session_id: Span,
    pub length: Span,
}

/// A codec finding.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct PduDiagnostic {
    /// Stable kebab-case code (`wrong-key`, `length-mismatch`, ...).
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// Byte offset from the PDU's first byte.
    pub offset: u32,
}

/// How bad a finding is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// The decoded body, by `kind` (from the header's type and seq_no parity, §4.1). Text
/// fields are escaped strings (`\0`, `\n`, `\xNN`, `\\`, ...); `data` also comes as hex.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    /// §5.1.
    AuthenStart {
        action: Wire,
        priv_lvl: u8,
        authen_type: Wire,
        authen_service: Wire,
        user: String,
        port: String,
        rem_addr: String,
        data: String,
        data_hex: String,
        /// For CHAP, MS-CHAP v1 and v2 (§5.4.2.3-5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chap: Option<Chap>,
        spans: AuthenStartSpans,
    },
    /// §5.2.
    AuthenReply {
        status: Wire,
        flags: Vec<String>,
        server_msg: String,
        data: String,
        data_hex: String,
        spans: AuthenReplySpans,
    },
    /// §5.3.
    AuthenContinue {
        user_msg: String,
        data: String,
        data_hex: String,
        flags: Vec<String>,
        spans: AuthenContinueSpans,
    },
    /// §6.1.
    AuthorRequest {
        authen_method: Wire,
        priv_lvl: u8,
        authen_type: Wire,
        authen_service: Wire,
        user: String,
        port: String,
        rem_addr: String,
        args: Vec<String>,
        av_pairs: Vec<AvPair>,
        spans: AuthorRequestSpans,
    },
    /// §6.2.
    AuthorResponse {
        status: Wire,
        server_msg: String,
        data: String,
        data_hex: String,
        args: Vec<String>,
        av_pairs: Vec<AvPair>,
        spans: AuthorResponseSpans,
    },
    /// §7.1.
    AcctRequest {
        flags: Vec<String>,
        record: AcctRecord,
        authen_method: Wire,
        priv_lvl: u8,
        authen_type: Wire,
        authen_service: Wire,
        user: String,
        port: String,
        rem_addr: String,
        args: Vec<String>,
        av_pairs: Vec<AvPair>,
        acct: AcctArgs,
        spans: AcctRequestSpans,
    },
    /// §7.2.
    AcctReply {
        status: Wire,
        server_msg: String,
        data: String,
        data_hex: String,
        spans: AcctReplySpans,
    },
    /// Unknown type, or a body that could not be read (no key, wrong key, too short).
    Unknown {
        data_hex: String,
        spans: UnknownSpans,
    },
}

/// CHAP data split (§5.4.2.3-5).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct Chap {
    pub kind: ChapKind,
    pub id: Option<u8>,
    pub challenge_hex: String,
    pub response_hex: String,
    /// False when the sizes do not fit the kind.
    pub size_ok: bool,
}

/// Which challenge/response layout.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum ChapKind {
    Chap,
    Mschapv1,
    Mschapv2,
}

/// An argument split at its first `=` (mandatory) or `*` (optional), §6.1.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct AvPair {
    pub name: String,
    pub value: String,
    /// Null when the argument has no separator.
    pub mandatory: Option<bool>,
}

/// What the accounting flags mean (§7.2 table).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum AcctRecord {
    Start,
    Stop,
    Watchdog,
    WatchdogUpdate,
    Invalid,
}

/// The well-known accounting arguments (§8.3), present when sent; times as RFC 3339 UTC.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AcctArgs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_in: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_out: Option<f64>,
}

/// Spans of one argument: its length byte and its bytes.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct ArgSpans {
    pub len: Span,
    pub value: Span,
}

/// Where each AUTHEN START field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AuthenStartSpans {
    pub action: Span,
    pub priv_lvl: Span,
    pub authen_type: Span,
    pub authen_service: Span,
    pub user_len: Span,
    pub port_len: Span,
    pub rem_addr_len: Span,
    pub data_len: Span,
    pub user: Span,
    pub port: Span,
    pub rem_addr: Span,
    pub data: Span,
}

/// Where each AUTHEN REPLY field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AuthenReplySpans {
    pub status: Span,
    pub flags: Span,
    pub server_msg_len: Span,
    pub data_len: Span,
    pub server_msg: Span,
    pub data: Span,
}

/// Where each AUTHEN CONTINUE field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AuthenContinueSpans {
    pub user_msg_len: Span,
    pub data_len: Span,
    pub flags: Span,
    pub user_msg: Span,
    pub data: Span,
}

/// Where each AUTHOR REQUEST field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AuthorRequestSpans {
    pub authen_method: Span,
    pub priv_lvl: Span,
    pub authen_type: Span,
    pub authen_service: Span,
    pub user_len: Span,
    pub port_len: Span,
    pub rem_addr_len: Span,
    pub arg_cnt: Span,
    pub user: Span,
    pub port: Span,
    pub rem_addr: Span,
    pub args: Vec<ArgSpans>,
}

/// Where each AUTHOR RESPONSE field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AuthorResponseSpans {
    pub status: Span,
    pub arg_cnt: Span,
    pub server_msg_len: Span,
    pub data_len: Span,
    pub server_msg: Span,
    pub data: Span,
    pub args: Vec<ArgSpans>,
}

/// Where each ACCT REQUEST field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AcctRequestSpans {
    pub flags: Span,
    pub authen_method: Span,
    pub priv_lvl: Span,
    pub authen_type: Span,
    pub authen_service: Span,
    pub user_len: Span,
    pub port_len: Span,
    pub rem_addr_len: Span,
    pub arg_cnt: Span,
    pub user: Span,
    pub port: Span,
    pub rem_addr: Span,
    pub args: Vec<ArgSpans>,
}

/// Where each ACCT REPLY field is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct AcctReplySpans {
    pub server_msg_len: Span,
    pub data_len: Span,
    pub status: Span,
    pub server_msg: Span,
    pub data: Span,
}

/// Where an unread body is.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct UnknownSpans {
    pub data: Span,
}

/// A session: connection + session_id (§4.1), its PDUs in order.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct Session {
    /// Index in `sessions`.
    pub id: u32,
    pub conn: Option<u32>,
    pub session_id: u32,
    /// `AUTHEN`, `AUTHOR`, `ACCT` (or the number).
    #[serde(rename = "type")]
    pub packet_type: Wire,
    pub steps: Vec<Step>,
    /// The final status (`PASS`, `FAIL`, `PASS_ADD`, `SUCCESS`, ...), when the session ended.
    pub outcome: Option<String>,
    pub finished: bool,
    /// True when it overlapped another session on the same connection.
    pub concurrent: bool,
    pub first_frame: u32,
    pub last_frame: u32,
}

/// One PDU of a session.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Index in `pdus`.
    pub pdu: u32,
    pub direction: StepDirection,
    pub seq_no: u8,
}

/// Direction of a PDU in its connection.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum StepDirection {
    ToServer,
    ToClient,
}

/// A TCP connection.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct Connection {
    pub id: u32,
    /// The TACACS+ client (NAS).
    pub client: Endpoint,
    pub server: Endpoint,
    pub role_basis: RoleBasis,
    pub kind: ConnectionKind,
    pub first_frame: u32,
    pub last_frame: u32,
    /// Stream index of the client → server direction.
    pub to_server: u32,
    /// Stream index of the server → client direction.
    pub to_client: u32,
    pub syn_seen: bool,
    pub end: ConnectionEnd,
    /// Indexes into `options.keys` of the keys that decoded every PDU of the connection.
    pub keys_ok: Vec<u32>,
    /// Single Connection Mode negotiation (§4.3).
    pub single_connect: Option<SingleConnectSeen>,
    /// For TLS (RFC 9887): what the handshake shows and how much was decrypted; absent for
    /// connections without TLS.
    #[serde(default)]
    #[tsify(optional)]
    pub tls: Option<TlsInfo>,
}

/// An IP address (text) and TCP port.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub ip: String,
    pub port: u16,
}

/// How client and server were told apart.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum RoleBasis {
    Port,
    SeqParity,
    SeqParityAndPort,
    Syn,
    FirstSeen,
}

/// What a connection carries.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    Tacacs,
    /// TACACS+ over TLS (RFC 9887): not decodable without the TLS keys.
    TacacsTls,
    Other,
}

/// How a connection ended in the capture.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionEnd {
    Open,
    Fin,
    Reset,
}

/// What the capture shows of Single Connection Mode (§4.3).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct SingleConnectSeen {
    pub requested: bool,
    pub accepted: Option<bool>,
    pub sessions: u32,
}

/// A finding about the capture.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
#[tsify(missing_as_null)]
pub struct CaptureDiagnostic {
    /// Stable kebab-case code (`tcp-gap`, `pdu-incomplete`, `unrecognised-input`, ...).
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// Byte offset into the input.
    pub offset: Option<u32>,
    pub frame: Option<u32>,
    pub conn: Option<u32>,
    pub stream: Option<u32>,
    pub pdu: Option<u32>,
}

/// Counters.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub input_bytes: f64,
    pub frames: f64,
    pub tcp_segments: f64,
    pub non_tcp_frames: f64,
    pub diagnostics_dropped: f64,
}

/// What `parseCasResponse` returns (camelCase, as the CAS engine renders it).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[tsify(missing_as_null, hashmap_as_object)]
pub struct CasValidation {
    /// True for `authenticationSuccess` and `proxySuccess`.
    pub success: bool,
    pub kind: CasResponseKind,
    pub format: CasResponseFormat,
    /// The authenticated user (successful validation).
    pub user: Option<String>,
    /// Released attributes, every value in document order.
    pub attributes: std::collections::BTreeMap<String, Vec<String>>,
    /// The PGTIOU (CAS protocol §2.5.4).
    pub proxy_granting_ticket: Option<String>,
    /// The proxy chain, most recent first (§2.6.2).
    pub proxies: Vec<String>,
    /// The proxy ticket of a `proxySuccess` (§2.7.2).
    pub proxy_ticket: Option<String>,
    /// Code and description of a failure.
    pub failure: Option<CasFailure>,
}

/// Which of the four service responses.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub enum CasResponseKind {
    AuthenticationSuccess,
    AuthenticationFailure,
    ProxySuccess,
    ProxyFailure,
}

/// The syntax the response came in.
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum CasResponseFormat {
    Xml,
    Json,
    Text,
}

/// A failure as received (`INVALID_TICKET`, ...; empty for CAS 1.0 `no`).
#[derive(Tsify)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct CasFailure {
    pub code: String,
    pub description: String,
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    //! The declarations must describe what the exports really return: every result below is
    //! rendered by the core and read back into the mirror types, which refuse unknown fields.
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use serde_json::Value;

    use tsify::Tsify as _;

    use super::*;
    use crate::cas::client::parse_validation_response;
    use crate::tacacs::Key;

    fn vectors_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
    }

    /// Every capture of tests/vectors/capture (made by scapy, tcpdump and tshark).
    fn captures() -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(vectors_dir().join("capture"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                !n.ends_with(".json") && !n.ends_with(".py")
            })
            .map(|p| {
                let n = p.file_name().unwrap().to_string_lossy().into_owned();
                (n, std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        assert!(
            v.len() >= 20,
            "expected the capture vectors, found {}",
            v.len()
        );
        v
    }

    /// The codec vectors (tacacs-plus / scapy): hex of one PDU and its key.
    fn pdu_vectors() -> Vec<(String, String, Key)> {
        crate::tacacs::vectors::codec_vectors()
            .into_iter()
            .map(|v| (v.name, crate::codec::hex::encode(&v.wire), v.key))
            .collect()
    }

    fn decode_json(input: &[u8], keys: Vec<Key>) -> Value {
        let opts = capture::Options {
            keys,
            ..capture::Options::default()
        };
        let a = capture::analyze(input, &opts);
        serde_json::to_value(DecodeOut::new(&a, &opts)).unwrap()
    }

    fn check(name: &str, v: &Value) -> DecodeResult {
        serde_json::from_value::<DecodeResult>(v.clone())
            .unwrap_or_else(|e| panic!("{name}: decode result does not fit the declarations: {e}"))
    }

    #[test]
    fn decode_results_of_every_capture_fit_the_declared_types() {
        let mut kinds = BTreeSet::new();
        let mut sessions = 0;
        for (name, bytes) in captures() {
            for keys in [
                vec![Key::from_text("tac_plus_key")],
                vec![],
                vec![Key::from_text("wrong"), Key::from_text("tac_plus_key")],
            ] {
                let v = decode_json(&bytes, keys);
                check(&name, &v);
                for p in v["pdus"].as_array().unwrap() {
                    kinds.insert(p["body"]["kind"].as_str().unwrap().to_owned());
                }
                sessions += v["sessions"].as_array().unwrap().len();
            }
        }
        assert!(sessions > 0);
        assert!(kinds.contains("unknown"), "{kinds:?}");
        assert!(kinds.len() >= 6, "{kinds:?}");
    }

    #[test]
    fn every_body_kind_of_the_codec_vectors_fits_the_declared_types() {
        let mut kinds = BTreeSet::new();
        let mut chap = 0;
        let mut acct_fields = BTreeSet::new();
        for (name, hex, key) in pdu_vectors() {
            let v = decode_json(hex.as_bytes(), vec![key]);
            let r = check(&name, &v);
            assert_eq!(r.pdus.len(), 1, "{name}");
            let body = &v["pdus"][0]["body"];
            kinds.insert(body["kind"].as_str().unwrap().to_owned());
            chap += usize::from(body.get("chap").is_some());
            if let Some(a) = body.get("acct").and_then(Value::as_object) {
                acct_fields.extend(a.keys().cloned());
            }
        }
        assert_eq!(kinds.len(), 7, "{kinds:?}");
        assert!(chap >= 2, "CHAP and MS-CHAP vectors carry a chap object");
        assert!(acct_fields.contains("task_id"), "{acct_fields:?}");
    }

    #[test]
    fn the_check_catches_an_added_a_missing_and_a_retyped_field() {
        let (_, hex, key) = pdu_vectors().into_iter().next().unwrap();
        let v = decode_json(hex.as_bytes(), vec![key]);
        check("as rendered", &v);
        let mut added = v.clone();
        added["pdus"][0]["body"]["surprise"] = Value::from(1);
        assert!(serde_json::from_value::<DecodeResult>(added).is_err());
        let mut missing = v.clone();
        missing["pdus"][0]["header"]
            .as_object_mut()
            .unwrap()
            .remove("seq_no");
        assert!(serde_json::from_value::<DecodeResult>(missing).is_err());
        let mut retyped = v;
        retyped["pdus"][0]["key_index"] = Value::from("0");
        assert!(serde_json::from_value::<DecodeResult>(retyped).is_err());
    }

    #[test]
    fn hostile_input_still_fits_the_declared_types() {
        // Not a capture, an empty input, a truncated header, a header with a huge length.
        for input in [
            &b"hello, world"[..],
            b"",
            b"c0 01 01",
            b"c00101000000000100ffffff",
        ] {
            check(&format!("{input:?}"), &decode_json(input, vec![]));
        }
    }

    #[test]
    fn cas_results_fit_the_declared_types() {
        let xml = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationSuccess>
    <cas:user>alice</cas:user>
    <cas:attributes><cas:memberOf>a</cas:memberOf><cas:memberOf>b</cas:memberOf></cas:attributes>
    <cas:proxyGrantingTicket>PGTIOU-1-abc</cas:proxyGrantingTicket>
    <cas:proxies><cas:proxy>https://p1/cb</cas:proxy></cas:proxies>
  </cas:authenticationSuccess>
</cas:serviceResponse>"#;
        let fail = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationFailure code="INVALID_TICKET">Ticket ST-1 not recognized</cas:authenticationFailure>
</cas:serviceResponse>"#;
        let json = r#"{"serviceResponse":{"authenticationSuccess":{"user":"bob","attributes":{"n":[1,true,"x"]}}}}"#;
        let proxy = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:proxySuccess><cas:proxyTicket>PT-1-x</cas:proxyTicket></cas:proxySuccess></cas:serviceResponse>"#;
        for text in [xml, fail, json, proxy, "yes\nalice\n", "no\n\n"] {
            let r = parse_validation_response(text).unwrap();
            let v = serde_json::to_value(&r).unwrap();
            serde_json::from_value::<CasValidation>(v.clone())
                .unwrap_or_else(|e| panic!("{text}: {e}: {v}"));
        }
    }

    /// The property names a TypeScript declaration gives (doc comments left out).
    fn props(decl: &str) -> BTreeSet<String> {
        let mut text = String::new();
        let mut rest = decl;
        while let Some(a) = rest.find("/*") {
            text.push_str(&rest[..a]);
            rest = rest[a..].find("*/").map_or("", |b| &rest[a + b + 2..]);
        }
        text.push_str(rest);
        text.split(|c: char| c.is_whitespace() || "{};|(".contains(c))
            .filter_map(|t| t.strip_suffix(':'))
            .map(|t| t.trim_end_matches('?'))
            .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_owned)
            .collect()
    }

    fn set(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|k| (*k).to_owned()).collect()
    }

    /// The npm package's declarations carry the decode JSON schema defined once in the core
    /// (`tacacs::json`): a key added to or renamed in the schema fails here until the
    /// declarations follow.
    #[test]
    fn declarations_carry_the_core_decode_schema() {
        use crate::tacacs::json;
        assert!(
            props(Pdu::DECL).is_superset(&set(json::PDU)),
            "{}",
            Pdu::DECL
        );
        assert_eq!(props(Header::DECL), set(json::HEADER), "{}", Header::DECL);
        assert_eq!(props(PduDiagnostic::DECL), set(json::DIAGNOSTIC));
        assert_eq!(props(Chap::DECL), set(json::CHAP), "{}", Chap::DECL);
        assert_eq!(props(AvPair::DECL), set(json::AV_PAIR), "{}", AvPair::DECL);
        assert_eq!(props(AcctArgs::DECL), set(json::ACCT), "{}", AcctArgs::DECL);
        let mut kinds = BTreeSet::new();
        for part in Body::DECL.split("kind: \"").skip(1) {
            let (kind, fields) = part.split_once('"').unwrap();
            let mut got = props(fields);
            got.remove("spans");
            let want = json::body_fields(kind).unwrap_or_else(|| panic!("kind {kind}"));
            assert_eq!(got, set(want), "{kind} in {}", Body::DECL);
            kinds.insert(kind.to_owned());
        }
        let all: Vec<&str> = json::BODY.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, set(&all), "{}", Body::DECL);
    }
}
