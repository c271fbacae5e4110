//! The result of a capture analysis: plain, owned, serde-serialisable values (the CLI prints them,
//! the inspector receives them through wasm). No behaviour lives here.

use core::fmt;
use core::net::IpAddr;

use serde::Serialize;

use crate::codec::Span;
use crate::tacacs::Direction;

use super::Options;

/// How the input was given (the form is detected unless [`super::Options::format`] forces one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputFormat {
    /// Raw bytes: TACACS+ PDUs back to back, or one link-layer frame.
    Raw,
    /// Hex digits (whitespace, `:`, `,`, `0x` and `\x` prefixes and line breaks tolerated).
    Hex,
    /// Base64 (standard or URL-safe alphabet, padding optional, line breaks tolerated).
    Base64,
    /// `tcpdump -x/-xx/-X/-XX` text (`\t0x0010:  4500 0044 ...`), with or without the summary lines.
    Tcpdump,
    /// Wireshark/tshark hex dump (`0000  c0 01 01 00 ...   ascii`): `tshark -x`, "Copy as Hex Dump".
    /// Named `hexdump` everywhere (command line, JSON, npm), like [`InputFormat::name`].
    #[serde(rename = "hexdump", alias = "hex_dump")]
    HexDump,
    /// libpcap file (either byte order, micro- or nanosecond timestamps).
    Pcap,
    /// pcapng file (any number of sections and interfaces).
    Pcapng,
}

impl InputFormat {
    /// Every form, in detection order.
    pub const ALL: [Self; 7] = [
        Self::Pcap,
        Self::Pcapng,
        Self::Raw,
        Self::Tcpdump,
        Self::HexDump,
        Self::Hex,
        Self::Base64,
    ];

    /// The name used on the command line and in JSON (`tcpdump`, `hexdump`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Hex => "hex",
            Self::Base64 => "base64",
            Self::Tcpdump => "tcpdump",
            Self::HexDump => "hexdump",
            Self::Pcap => "pcap",
            Self::Pcapng => "pcapng",
        }
    }

    /// Parses a name as printed by [`InputFormat::name`] (also accepts `hex-dump`, `tshark`, `pcap-ng`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "raw" | "bin" | "binary" => Self::Raw,
            "hex" => Self::Hex,
            "base64" | "b64" => Self::Base64,
            "tcpdump" => Self::Tcpdump,
            "hexdump" | "hex-dump" | "tshark" | "wireshark" => Self::HexDump,
            "pcap" => Self::Pcap,
            "pcapng" | "pcap-ng" => Self::Pcapng,
            _ => return None,
        })
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The detected (or forced) input form and what was learnt about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FormatInfo {
    /// The outer form of the input.
    pub form: InputFormat,
    /// True when [`super::Options::format`] forced the form.
    pub forced: bool,
    /// When the text form decoded to a pcap/pcapng file (a hex or base64 dump of a file): that form.
    pub inner: Option<InputFormat>,
    /// Human-readable details: byte order, timestamp resolution, link types, ...
    pub detail: String,
}

/// Link-layer framing of a frame (pcap `LINKTYPE_*`, or sniffed from a text dump).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Link {
    /// Ethernet II, with any 802.1Q/802.1ad tags (`LINKTYPE_ETHERNET` = 1).
    Ethernet,
    /// Linux cooked capture v1 (`LINKTYPE_LINUX_SLL` = 113).
    LinuxSll,
    /// Linux cooked capture v2 (`LINKTYPE_LINUX_SLL2` = 276).
    LinuxSll2,
    /// Raw IPv4 or IPv6 (`LINKTYPE_RAW` = 101, also 12/14, 228, 229).
    RawIp,
    /// BSD loopback: a 4-byte address family in host byte order (`LINKTYPE_NULL` = 0).
    Null,
    /// OpenBSD loopback: the address family in network byte order (`LINKTYPE_LOOP` = 108).
    Loop,
    /// No link layer: the bytes are TCP payload (TACACS+ PDUs) without addresses.
    Payload,
    /// A link type casplus does not dissect (the number as in the file).
    Other(u32),
}

impl Link {
    /// The link for a pcap/pcapng `LINKTYPE_*` number.
    pub const fn from_linktype(lt: u32) -> Self {
        match lt {
            0 => Self::Null,
            1 => Self::Ethernet,
            12 | 14 | 101 | 228 | 229 => Self::RawIp,
            108 => Self::Loop,
            113 => Self::LinuxSll,
            276 => Self::LinuxSll2,
            n => Self::Other(n),
        }
    }
}

/// When a frame was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FrameTime {
    /// Nanoseconds since the Unix epoch (UTC), or since midnight when `time_of_day`.
    pub ns: i64,
    /// True when only the time of day is known (the default `tcpdump` timestamp).
    pub time_of_day: bool,
}

impl FrameTime {
    /// An absolute time, nanoseconds since the Unix epoch.
    pub const fn epoch_ns(ns: i64) -> Self {
        Self {
            ns,
            time_of_day: false,
        }
    }
}

impl fmt::Display for FrameTime {
    /// `2023-11-14T22:13:20.000250000Z`, or `22:13:20.000250000` for a time of day.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.ns.div_euclid(1_000_000_000);
        let frac = self.ns.rem_euclid(1_000_000_000);
        let s = secs.rem_euclid(86_400);
        // One line of output per PDU shows a time: digits go into a stack buffer, handed to
        // the formatter once.
        let mut out = Digits::default();
        if !self.time_of_day {
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            if !(0..=9999).contains(&y) {
                return write!(
                    f,
                    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
                    s / 3600,
                    s % 3600 / 60,
                    s % 60
                );
            }
            out.fixed(y, 4);
            out.byte(b'-');
            out.fixed(m, 2);
            out.byte(b'-');
            out.fixed(d, 2);
            out.byte(b'T');
        }
        out.fixed(s / 3600, 2);
        out.byte(b':');
        out.fixed(s % 3600 / 60, 2);
        out.byte(b':');
        out.fixed(s % 60, 2);
        out.byte(b'.');
        out.fixed(frac, 9);
        if !self.time_of_day {
            out.byte(b'Z');
        }
        f.write_str(out.as_str())
    }
}

/// ASCII digits in a stack buffer (the hot text of [`FrameTime`] and [`Endpoint`]).
#[derive(Default)]
struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl Digits {
    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// `v` (0 ≤ v < 10^width) zero-padded to `width` digits, as `{v:0width$}` writes it.
    fn fixed(&mut self, v: i64, width: u32) {
        // from the last digit back: one division per digit (issue 18: a time per output line)
        let start = self.len;
        let end = start.saturating_add(width as usize).min(self.buf.len());
        let mut v = v;
        for slot in self
            .buf
            .get_mut(start..end)
            .unwrap_or_default()
            .iter_mut()
            .rev()
        {
            *slot = b'0' + u8::try_from(v % 10).unwrap_or(0);
            v /= 10;
        }
        self.len = end;
    }

    /// `v` without padding, as `{v}` writes it.
    fn num(&mut self, v: u32) {
        let width = v.checked_ilog10().unwrap_or(0) + 1;
        self.fixed(i64::from(v), width);
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(self.buf.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day) (Hinnant's civil_from_days).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        yoe.saturating_add(era.saturating_mul(400)) + i64::from(m <= 2),
        m,
        d,
    )
}

/// An IP address and TCP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Endpoint {
    /// IPv4 or IPv6 address (serialised as text).
    pub ip: IpAddr,
    /// TCP port.
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(ip) => {
                let mut out = Digits::default();
                for (i, octet) in ip.octets().into_iter().enumerate() {
                    if i > 0 {
                        out.byte(b'.');
                    }
                    out.num(octet.into());
                }
                out.byte(b':');
                out.num(self.port.into());
                f.write_str(out.as_str())
            }
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// TCP header flags as on the wire (RFC 9293 §3.1), low 8 bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronize sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push function.
    pub const PSH: u8 = 0x08;
    /// Acknowledgment field is significant.
    pub const ACK: u8 = 0x10;

    /// True when every bit of `mask` is set.
    pub const fn has(self, mask: u8) -> bool {
        self.0 & mask == mask
    }
}

impl fmt::Debug for TcpFlags {
    /// `SYN,ACK` like Wireshark's column.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Self::SYN, "SYN"),
            (Self::FIN, "FIN"),
            (Self::RST, "RST"),
            (Self::PSH, "PSH"),
            (Self::ACK, "ACK"),
            (0x20, "URG"),
            (0x40, "ECE"),
            (0x80, "CWR"),
        ];
        let mut first = true;
        for (bit, name) in names {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// What a frame carried at the TCP layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameTcp {
    /// Index into [`Analysis::connections`].
    pub conn: u32,
    /// True when sent by the connection's client (see [`Connection::client`]).
    pub to_server: bool,
    /// Sequence number relative to the direction's initial sequence number (Wireshark's "Seq").
    pub rel_seq: u32,
    /// TCP flags.
    pub flags: TcpFlags,
    /// Bytes of TCP payload captured in this frame.
    pub payload_len: u32,
    /// Offset of the TCP payload inside the frame's bytes.
    pub payload_offset: u32,
}

/// One captured frame (packet), numbered from 1 like Wireshark does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// 1-based frame number.
    pub number: u32,
    /// Capture time, when the input has one.
    pub time: Option<FrameTime>,
    /// The bytes of the original input this frame came from (for text input: its text block).
    pub input: Span,
    /// Bytes captured.
    pub captured_len: u32,
    /// Length on the wire (larger than `captured_len` when the capture cut the frame).
    pub original_len: u32,
    /// Link-layer framing.
    pub link: Link,
    /// pcapng interface id (per section), when the input has interfaces.
    pub interface: Option<u32>,
    /// TCP details when the frame is a TCP segment over IPv4/IPv6.
    pub tcp: Option<FrameTcp>,
}

/// What a TCP connection carries, as far as casplus can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConnectionKind {
    /// TACACS+ in the clear (RFC 8907): PDUs were found.
    Tacacs,
    /// TACACS+ over TLS (RFC 9887, port 300) or TLS on the TACACS+ port: opaque without TLS keys.
    TacacsTls,
    /// No TACACS+ header found: other traffic (ignored).
    Other,
}

/// How the client/server roles of a connection were decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RoleBasis {
    /// One side uses the TACACS+ port 49 (or 300 for TLS): that side is the server (no PDUs).
    Port,
    /// The seq_no parity of the PDUs (odd from the client, RFC 8907 §4.1).
    SeqParity,
    /// The seq_no parity, and the server side uses port 49.
    SeqParityAndPort,
    /// The side that sent the SYN.
    Syn,
    /// Nothing better: the side seen first is taken as the client.
    FirstSeen,
}

/// A TCP connection (by 4-tuple; a new SYN after the end starts a new one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// Index in [`Analysis::connections`].
    pub id: u32,
    /// The TACACS+ client (NAS) side.
    pub client: Endpoint,
    /// The TACACS+ server side.
    pub server: Endpoint,
    /// How `client`/`server` were decided.
    pub role_basis: RoleBasis,
    /// What the connection carries.
    pub kind: ConnectionKind,
    /// Frame numbers of the first and last frame.
    pub first_frame: u32,
    /// Frame number of the last frame.
    pub last_frame: u32,
    /// Stream index (in [`Analysis::streams`]) of the client → server direction.
    pub to_server: u32,
    /// Stream index of the server → client direction.
    pub to_client: u32,
    /// True when the SYN was seen (the capture has the connection's start).
    pub syn_seen: bool,
    /// How the connection ended in the capture.
    pub end: ConnectionEnd,
    /// Candidate keys that decoded every PDU of this connection consistently (indexes into
    /// [`super::Options::keys`]); empty when none did or no key was given.
    pub keys_ok: Vec<u32>,
    /// Single Connection Mode negotiation (RFC 8907 §4.3), when TACACS+ was seen.
    pub single_connect: Option<super::flow::SingleConnectSeen>,
    /// For TLS: what the handshake shows and how much was decrypted with the key log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Box<super::tls::TlsInfo>>,
}

/// How a connection ended in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionEnd {
    /// Still open when the capture ended.
    Open,
    /// FIN seen (from one or both sides).
    Fin,
    /// RST seen.
    Reset,
}

/// A missing piece of a byte stream (segments never captured).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Stream offset where bytes are missing.
    pub offset: u64,
    /// Number of missing bytes.
    pub len: u64,
}

/// One direction of a TCP connection reassembled into a byte stream, or (for inputs without TCP)
/// the bytes of the input in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stream {
    /// Index in [`Analysis::streams`].
    pub id: u32,
    /// The connection, or `None` for payload-only input (no addresses).
    pub conn: Option<u32>,
    /// True for client → server, false for server → client, `None` when unknown.
    pub to_server: Option<bool>,
    /// Bytes delivered in order (gaps excluded).
    pub bytes: u64,
    /// Segments that arrived before earlier data (reordered).
    pub out_of_order: u32,
    /// Bytes received again (retransmissions and overlaps), dropped.
    pub retransmitted_bytes: u64,
    /// Retransmitted bytes that differed from the first copy (first copy kept).
    pub conflicting_bytes: u64,
    /// Bytes skipped because they were not TACACS+ (before a plausible header).
    pub skipped_bytes: u64,
    /// Missing pieces.
    pub gaps: Vec<Gap>,
    /// Number of PDUs found.
    pub pdus: u32,
}

/// `serialize_with` for the direction of a PDU in capture JSON: the side it goes to,
/// `"to_server"` or `"to_client"` (the codec's own JSON says `"client_to_server"`).
pub(crate) fn serialize_direction<S: serde::Serializer>(
    d: &Direction,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(match d {
        Direction::ClientToServer => "to_server",
        Direction::ServerToClient => "to_client",
    })
}

/// The 12-byte TACACS+ header as on the wire (RFC 8907 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Header {
    /// Major version (0xc).
    pub major: u8,
    /// Minor version (0 or 1).
    pub minor: u8,
    /// Packet type: 1 authentication, 2 authorization, 3 accounting.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Sequence number of the packet in its session (starts at 1).
    pub seq_no: u8,
    /// Flags: 0x01 unencrypted, 0x04 single-connect.
    pub flags: u8,
    /// Session id.
    pub session_id: u32,
    /// Body length.
    pub length: u32,
}

/// A piece of a PDU and where it was in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentRef {
    /// Frame number (1-based).
    pub frame: u32,
    /// Offset of the piece inside the frame's bytes.
    pub frame_offset: u32,
    /// Number of bytes.
    pub len: u32,
    /// Offset of the piece inside the PDU.
    pub pdu_offset: u32,
    /// Where the piece is in the original input (for text input: from the first to the last hex
    /// digit or base64 character of the piece).
    pub input: Span,
}

/// A TACACS+ PDU found in a stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pdu {
    /// Index in [`Analysis::pdus`].
    pub index: u32,
    /// The stream it was found in.
    pub stream: u32,
    /// The connection, when the input had TCP.
    pub conn: Option<u32>,
    /// Direction: from the stream's role, else from the seq_no parity.
    #[serde(serialize_with = "serialize_direction")]
    pub direction: Direction,
    /// First frame holding a byte of the PDU.
    pub frame: u32,
    /// Frame holding the last byte (where a dissector would show the PDU).
    pub last_frame: u32,
    /// Position in the reassembled stream (stream offsets).
    pub stream_span: Span,
    /// Pieces by frame, in PDU order.
    pub segments: Box<[SegmentRef]>,
    /// The header.
    pub header: Header,
    /// Bytes as captured: header and (obfuscated) body, possibly incomplete.
    #[serde(serialize_with = "crate::codec::hex::serialize")]
    pub wire: Box<[u8]>,
    /// False when the body is incomplete (capture ended, or segments missing).
    pub complete: bool,
    /// Index into [`super::Options::keys`] of the key that de-obfuscated the body.
    pub key_index: Option<u32>,
    /// Whether the body was clear, de-obfuscated, obfuscated (no key) or wrong-keyed.
    pub body_state: crate::tacacs::BodyState,
    /// The codec's findings (RFC 8907 checks; offsets relative to `wire`).
    pub codec_diagnostics: Box<[crate::tacacs::Diagnostic]>,
    /// The codec's whole decode (offsets and spans relative to `wire`), only with
    /// [`super::Options::keep_decoded`]; otherwise see [`super::decode`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Box<crate::tacacs::Pdu>>,
    /// One line: `AUTHEN START login pap user=alice`, `AUTHOR RESPONSE PASS_ADD priv-lvl=15`.
    pub summary: Box<str>,
    /// Index in [`Analysis::sessions`].
    pub session: Option<u32>,
    /// Decrypted from TLS (RFC 9887): `stream_span` counts in the decrypted stream, the
    /// segments are the TLS records that carried it.
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    pub tls: bool,
}

pub use crate::tacacs::Severity;

/// A finding about the capture, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaptureDiagnostic {
    /// Stable code, one of [`super::codes`] (e.g. `tcp-gap`).
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// One-line explanation.
    pub message: String,
    /// Byte offset into the original input.
    pub offset: Option<usize>,
    /// Frame number.
    pub frame: Option<u32>,
    /// Connection.
    pub conn: Option<u32>,
    /// Stream.
    pub stream: Option<u32>,
    /// PDU index.
    pub pdu: Option<u32>,
}

/// Counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Input length in bytes.
    pub input_bytes: u64,
    /// Frames read.
    pub frames: u64,
    /// TCP segments.
    pub tcp_segments: u64,
    /// Frames that were not TCP/IP (ARP, UDP, unknown link types, ...).
    pub non_tcp_frames: u64,
    /// Diagnostics dropped because a code repeated too often.
    pub diagnostics_dropped: u64,
}

/// The whole result: serialise it to JSON for the inspector or print it from the CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// Detected or forced input form.
    pub format: FormatInfo,
    /// Frames carrying bytes of TACACS+ (or TLS) streams, or every frame with
    /// [`super::Options::all_frames`]; in input order, found by [`Frame::number`].
    pub frames: Vec<Frame>,
    /// TCP connections.
    pub connections: Vec<Connection>,
    /// Byte streams (two per connection, one for payload-only input).
    pub streams: Vec<Stream>,
    /// TACACS+ PDUs in the order they were completed.
    pub pdus: Vec<Pdu>,
    /// Sessions (connection + session_id), in order of their first PDU.
    pub sessions: Vec<super::flow::Session>,
    /// Candidate keys (indexes into [`super::Options::keys`]) that decode every obfuscated PDU
    /// of the capture consistently.
    pub keys_ok: Vec<u32>,
    /// Findings, in the order found.
    pub diagnostics: Vec<CaptureDiagnostic>,
    /// Counters.
    pub stats: Stats,
}

/// Where an analysis is, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Input bytes processed.
    pub done: u64,
    /// Input bytes in total.
    pub total: u64,
    /// Frames read so far.
    pub frames: u64,
    /// PDUs found so far.
    pub pdus: u64,
}

/// The progress callback asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("capture analysis cancelled")]
pub struct Cancelled;

/// One PDU as a `casplus decode --json` line: the codec's object (RFC 8907 fields, offsets and
/// spans relative to the PDU's bytes) with the capture's fields added around it.
#[derive(Clone, Debug, Serialize)]
pub struct PduLine<'a> {
    /// The codec's decode (its `offset` is 0: spans count from the PDU's first byte).
    #[serde(flatten)]
    pub pdu: std::borrow::Cow<'a, crate::tacacs::Pdu>,
    /// Where the PDU's first byte is in the original input.
    pub input_offset: Option<usize>,
    /// First frame holding a byte of the PDU.
    pub frame: u32,
    /// Frame holding its last byte.
    pub last_frame: u32,
    /// Capture time of `last_frame` (RFC 3339, or time of day for default tcpdump text).
    pub time: Option<String>,
    /// Sender `ip:port`, when the input had TCP.
    pub src: Option<String>,
    /// Receiver `ip:port`.
    pub dst: Option<String>,
    /// Connection index.
    pub conn: Option<u32>,
    /// Session index.
    pub session: Option<u32>,
    /// One-line summary.
    pub summary: &'a str,
}

impl Analysis {
    /// The frame with this number, if it is in [`Analysis::frames`].
    pub fn frame(&self, number: u32) -> Option<&Frame> {
        let i = self
            .frames
            .binary_search_by_key(&number, |f| f.number)
            .ok()?;
        self.frames.get(i)
    }

    /// Decodes one of this analysis' PDUs with the codec as the analysis did (`opts` are its
    /// options: peer keys chosen by the PDU's connection, [`Options::peer_keys`]). Spans and
    /// offsets in the result count from the PDU's first byte ([`Pdu::wire`]).
    pub fn decode(&self, pdu: &Pdu, opts: &Options) -> Option<crate::tacacs::Pdu> {
        super::Decoder::new(opts, &self.connections).decode(pdu)
    }

    /// Every PDU as a [`PduLine`], in order, decoded one at a time with `opts.keys` (use the
    /// options of the analysis) unless the analysis kept its decodes.
    pub fn pdu_lines<'a>(&'a self, opts: &Options) -> impl Iterator<Item = PduLine<'a>> + 'a {
        let decoder = super::Decoder::new(opts, &self.connections);
        self.pdus.iter().filter_map(move |p| {
            let pdu = match &p.decoded {
                Some(d) => std::borrow::Cow::Borrowed(&**d),
                None => std::borrow::Cow::Owned(decoder.decode(p)?),
            };
            let conn = p.conn.and_then(|c| self.connections.get(c as usize));
            let (src, dst) = match (conn, p.direction) {
                (Some(c), Direction::ClientToServer) => {
                    (Some(c.client.to_string()), Some(c.server.to_string()))
                }
                (Some(c), Direction::ServerToClient) => {
                    (Some(c.server.to_string()), Some(c.client.to_string()))
                }
                (None, _) => (None, None),
            };
            Some(PduLine {
                pdu,
                input_offset: p.segments.first().map(|s| s.input.start),
                frame: p.frame,
                last_frame: p.last_frame,
                time: self
                    .frame(p.last_frame)
                    .and_then(|f| f.time)
                    .map(|t| t.to_string()),
                src,
                dst,
                conn: p.conn,
                session: p.session,
                summary: &p.summary,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{FrameTime, InputFormat};

    #[test]
    fn input_format_has_one_name_everywhere() {
        for f in InputFormat::ALL {
            let json = serde_json::to_string(&f).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", f.name()));
            assert_eq!(InputFormat::from_name(f.name()), Some(f));
            assert_eq!(serde_json::from_str::<InputFormat>(&json).ok(), Some(f));
        }
        // The old JSON spelling is still read.
        assert_eq!(
            serde_json::from_str::<InputFormat>("\"hex_dump\"").ok(),
            Some(InputFormat::HexDump)
        );
    }

    #[test]
    fn frame_times_format_like_rfc3339_with_nanoseconds() {
        let t = FrameTime::epoch_ns(1_700_000_000_000_250_000);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.000250000Z");
        assert_eq!(
            FrameTime::epoch_ns(951_782_400_000_000_001).to_string(),
            "2000-02-29T00:00:00.000000001Z"
        );
        assert_eq!(
            FrameTime::epoch_ns(-1).to_string(),
            "1969-12-31T23:59:59.999999999Z"
        );
        let tod = FrameTime {
            ns: (22 * 3600 + 13 * 60 + 20) * 1_000_000_000 + 5,
            time_of_day: true,
        };
        assert_eq!(tod.to_string(), "22:13:20.000000005");
        for ns in [i64::MIN, i64::MAX] {
            let _ = FrameTime::epoch_ns(ns).to_string();
        }
        // the digits written by hand are what `{:02}`/`{:09}` would write
        for ns in [
            0,
            59_999_999_999,
            86_399_999_999_999,
            9_000_000_000_123_456_789,
        ] {
            let t = FrameTime::epoch_ns(ns);
            let (secs, frac) = (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000));
            let (y, m, d) = super::civil_from_days(secs.div_euclid(86_400));
            let s = secs.rem_euclid(86_400);
            let want = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:09}Z",
                s / 3600,
                s % 3600 / 60,
                s % 60
            );
            assert_eq!(t.to_string(), want);
        }
    }

    #[test]
    fn endpoints_read_like_socket_addresses() {
        use super::Endpoint;
        use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
        for (ip, port) in [
            (IpAddr::V4(Ipv4Addr::new(0, 0, 0, 0)), 0),
            (IpAddr::V4(Ipv4Addr::new(10, 200, 3, 255)), 49),
            (IpAddr::V4(Ipv4Addr::new(255, 255, 255, 255)), 65535),
            (IpAddr::V6(Ipv6Addr::LOCALHOST), 300),
        ] {
            let e = Endpoint { ip, port };
            assert_eq!(e.to_string(), SocketAddr::new(ip, port).to_string());
        }
    }
}
