//! Capture ingestion: from whatever a user has — a `tcpdump -X` paste, a Wireshark hex dump, hex,
//! base64, raw bytes, a pcap or pcapng file — to TACACS+ PDUs with their place in the capture.
//!
//! ```text
//! input ─ detect ─┬─ pcap / pcapng (in place) ──────────────┐
//!                 ├─ text: hex, base64, tcpdump, hex dump ──┼─ frames ─ link/IP/TCP ─ TCP reassembly ─┐
//!                 └─ raw bytes ─────────────────────────────┘      (payload-only frames: one stream) ─┴─ PDU framing
//! ```
//!
//! - The input form is detected ([`detect`]) unless [`Options::format`] forces one; the result says
//!   which ([`FormatInfo`]). A hex or base64 dump of a pcap file is read as that file.
//! - TCP is reassembled per connection and direction ([`Stream`]): reordering, retransmissions,
//!   overlaps, lost segments (reported as [`Gap`]s), FIN/RST, a new connection on a reused 4-tuple.
//! - TACACS+ is recognised on any port by header plausibility; port 49 is trusted. TLS is
//!   recognised on any port by its first record, port 300 is TLS from its first byte (TACACS+
//!   over TLS, RFC 9887): [`tls`] shows the handshake and, with a key log
//!   ([`Options::keylog`]), decrypts TLS 1.3 and hands the plaintext to the same PDU framing.
//!   Client and server follow from the seq_no parity (RFC 8907 §4.1: odd from the client),
//!   checked against port 49.
//! - Every [`Pdu`] keeps its span in its stream and its [`SegmentRef`]s: frame, offset in the
//!   frame, and the bytes of the original input (for text: the hex digits) it came from.
//! - Every PDU is decoded by the codec ([`crate::tacacs`]) with the candidate keys and the
//!   direction the capture shows; the analysis keeps its header, key, findings and a one-line
//!   [`Pdu::summary`], groups PDUs into [`Session`]s (connection + session_id, seq_no gaps,
//!   duplicates, replies without request, single-connect §4.3, concurrency) and says per
//!   connection which key decodes it ([`Connection::keys_ok`]). The full decode of a PDU is
//!   made again when it is shown ([`decode`], [`Analysis::pdu_lines`]) unless
//!   [`Options::keep_decoded`] asks to keep them all.
//! - Scale: one pass over the frames in linear time; packet bytes are never copied except into
//!   the PDUs cut out; out-of-order data waiting for a hole is bounded
//!   ([`Options::max_out_of_order`]); a closed connection keeps only a summary; only frames with
//!   TACACS+ bytes are listed ([`Options::all_frames`]); repeated diagnostics are capped. A 100 MB
//!   pcap of dense TACACS+ traffic peaks at 1.9x its size in heap (tests/capture_scale.rs).
//!   [`analyze_with_progress`] reports progress and can be cancelled.
//!
//! ```
//! use casplus::capture::{self, Options};
//! use casplus::tacacs::Key;
//!
//! // a PAP START pasted as hex (unencrypted flag set, so no key is needed to read it)
//! let paste = "c1 01 01 01 00 00 30 39 00 00 00 0d 01 01 02 01 05 00 00 00 61 6c 69 63 65";
//! let a = capture::analyze(paste.as_bytes(), &Options { keys: vec![Key::from_text("k")], ..Options::default() });
//! assert_eq!(a.format.form, capture::InputFormat::Hex);
//! assert_eq!(&*a.pdus[0].summary, "AUTHEN START login pap user=alice");
//! assert_eq!(a.sessions.len(), 1);
//! ```
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod diag;
mod flow;
mod framing;
mod model;
mod packet;
pub mod paste;
mod pcap;
mod reassembler;
mod source;
mod tcp;
mod text;
pub mod tls;

use core::ops::ControlFlow;

pub use model::{
    Analysis, Cancelled, CaptureDiagnostic, Connection, ConnectionEnd, ConnectionKind, Endpoint,
    FormatInfo, Frame, FrameTcp, FrameTime, Gap, Header, InputFormat, Link, Pdu, PduLine, Progress,
    RoleBasis, SegmentRef, Severity, Stats, Stream, TcpFlags,
};

use crate::codec::Span;
use crate::tacacs::{self, Direction, Key};

use diag::Diags;
pub use diag::codes;
pub use flow::{Session, SingleConnectSeen, Step, pdu_summary};
use reassembler::{FrameIn, Reassembler};
use source::Origin;

/// The TACACS+ port (RFC 8907 §4).
pub const TACACS_PORT: u16 = 49;
/// The TACACS+ over TLS port (RFC 9887 §4).
pub const TACACS_TLS_PORT: u16 = 300;

/// How to analyse a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Force an input form instead of detecting it.
    pub format: Option<InputFormat>,
    /// Largest body length taken for a header (RFC 8907 leaves it open; the codec's default).
    pub max_pdu_len: u32,
    /// Out-of-order bytes held per direction while waiting for a hole to fill; past this the hole
    /// is declared a gap.
    pub max_out_of_order: usize,
    /// On a port other than 49 with the connection's start not captured: bytes searched for a
    /// TACACS+ header before the direction is judged not TACACS+.
    pub probe_budget: u64,
    /// Report progress every this many frames.
    pub progress_every: u32,
    /// Candidate keys, tried in order for every obfuscated PDU (RFC 8907 §4.5); the result
    /// says which one decodes each connection consistently ([`Connection::keys_ok`]).
    pub keys: Vec<Key>,
    /// Keys of one peer (RFC 8907 §4.5: the shared secret is configured per client, so a server
    /// may have one per device): each names a key of [`Options::keys`] and an address. On a
    /// connection with that address at either end, its keys are tried first; on the others they
    /// are not tried at all. Keys no entry names are tried on every connection, after the
    /// peer's. `key_index` keeps counting in [`Options::keys`].
    pub peer_keys: Vec<PeerKey>,
    /// Ports whose connections are TACACS+ without probing (default: 49, RFC 8907 §4); on
    /// other ports TACACS+ is recognised by header plausibility.
    pub ports: Vec<u16>,
    /// List every frame in [`Analysis::frames`]. Off by default: only frames carrying bytes of
    /// TACACS+ (or TLS) streams are listed; the others are counted in [`Stats`].
    pub all_frames: bool,
    /// Keep the codec's full decode of every PDU in [`Pdu::decoded`]. Off by default: big
    /// captures would need several times their size; decode a PDU when it is shown instead
    /// ([`decode`], [`Analysis::pdu_lines`]). Small pastes can afford it.
    pub keep_decoded: bool,
    /// TLS secrets (NSS key log, [`tls::KeyLog`]) to decrypt TLS 1.3 connections (RFC 9887
    /// TACACS+ over TLS) on any port; their PDUs are then decoded like plain ones. Without
    /// secrets only the first 64 KiB of each TLS direction are kept (for the handshake facts).
    pub keylog: tls::KeyLog,
    /// The cryptography that opens TLS 1.3 records ([`tls::RecordProtection`]): RustCrypto's
    /// ([`tls::RUST_CRYPTO`]) by default with the feature `tls-decrypt`, else none, and then a
    /// connection the key log could decrypt gets the diagnostic [`codes::TLS_NO_DECRYPTION`]
    /// (the inspector page analyses again once its TLS module is loaded).
    pub tls: Option<tls::RecordProtection>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            format: None,
            max_pdu_len: 65_536,
            max_out_of_order: 4 << 20,
            probe_budget: 64 << 10,
            progress_every: 4096,
            keys: Vec::new(),
            peer_keys: Vec::new(),
            ports: vec![TACACS_PORT],
            all_frames: false,
            keep_decoded: false,
            keylog: tls::KeyLog::default(),
            #[cfg(feature = "tls-decrypt")]
            tls: Some(tls::RUST_CRYPTO),
            #[cfg(not(feature = "tls-decrypt"))]
            tls: None,
        }
    }
}

/// A key of one peer ([`Options::peer_keys`]), e.g. `--key 10.0.0.5=secret`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerKey {
    /// The peer's address (client or server end of a connection).
    pub peer: core::net::IpAddr,
    /// Index of the key in [`Options::keys`].
    pub key: usize,
}

impl PeerKey {
    /// Reads `ADDRESS=SECRET` (IPv4 or IPv6 address): the address and the secret's text, or
    /// `None` when the text before the first `=` is not an address (then it is a plain key).
    pub fn split(text: &str) -> Option<(core::net::IpAddr, &str)> {
        let (addr, secret) = text.split_once('=')?;
        Some((addr.trim().parse().ok()?, secret))
    }
}

/// The candidate keys of one connection, in the order tried, and where each is in
/// [`Options::keys`]; the decode options of both directions with those keys.
struct Candidates {
    order: Vec<usize>,
    to_server: tacacs::DecodeOptions,
    to_client: tacacs::DecodeOptions,
}

impl Candidates {
    fn new(order: Vec<usize>, opts: &Options) -> Self {
        let keys = order
            .iter()
            .filter_map(|&i| opts.keys.get(i).cloned())
            .collect();
        let to_server = tacacs::DecodeOptions {
            max_length: opts.max_pdu_len,
            keys,
            expected_direction: Some(tacacs::Direction::ClientToServer),
            over_tls: false,
        };
        let to_client = tacacs::DecodeOptions {
            expected_direction: Some(tacacs::Direction::ServerToClient),
            ..to_server.clone()
        };
        Self {
            order,
            to_server,
            to_client,
        }
    }
}

/// Decoder settings for the three directions a PDU can have, per connection when some keys
/// belong to one peer ([`Options::peer_keys`]).
pub(crate) struct Decoder {
    unknown: tacacs::DecodeOptions,
    /// `candidates[0]`: every key in order (no peer keys); with peer keys, one entry per
    /// distinct order, and `per_conn[c]` says which one connection `c` uses.
    candidates: Vec<Candidates>,
    per_conn: Vec<u32>,
}

impl Decoder {
    /// `conns`: the analysis' connections (their addresses choose the peer keys); a PDU of a
    /// connection not in it is tried with every key in order.
    pub(crate) fn new(opts: &Options, conns: &[Connection]) -> Self {
        let unknown = tacacs::DecodeOptions {
            max_length: opts.max_pdu_len,
            keys: opts.keys.clone(),
            expected_direction: None,
            over_tls: false,
        };
        let all: Vec<usize> = (0..opts.keys.len()).collect();
        let mut candidates = vec![Candidates::new(all, opts)];
        let mut per_conn = Vec::new();
        if !opts.peer_keys.is_empty() {
            let scoped = |i: &usize| opts.peer_keys.iter().any(|p| p.key == *i);
            let global: Vec<usize> = (0..opts.keys.len()).filter(|i| !scoped(i)).collect();
            for c in conns {
                let mut order: Vec<usize> = (0..opts.keys.len())
                    .filter(|&i| {
                        opts.peer_keys
                            .iter()
                            .any(|p| p.key == i && (p.peer == c.client.ip || p.peer == c.server.ip))
                    })
                    .collect();
                order.extend_from_slice(&global);
                let at = match candidates.iter().position(|k| k.order == order) {
                    Some(at) => at,
                    None => {
                        candidates.push(Candidates::new(order, opts));
                        candidates.len() - 1
                    }
                };
                per_conn.push(u32::try_from(at).unwrap_or(0));
            }
        }
        Self {
            unknown,
            candidates,
            per_conn,
        }
    }

    /// The codec's decode of a PDU's bytes (RFC 8907), told the direction the capture shows so
    /// that it checks the seq_no parity (§4.1), with its connection's candidate keys (its key
    /// index counted in [`Options::keys`]); an incomplete PDU decodes as far as it goes.
    pub(crate) fn decode(&self, p: &Pdu) -> Option<tacacs::Pdu> {
        let cands = p.conn.map(|c| {
            let at = self.per_conn.get(c as usize).copied().unwrap_or(0);
            self.candidates.get(at as usize).or(self.candidates.first())
        });
        let (opts, order) = match (cands.flatten(), p.direction) {
            (None, _) => (&self.unknown, None),
            (Some(k), Direction::ClientToServer) => (&k.to_server, Some(&k.order)),
            (Some(k), Direction::ServerToClient) => (&k.to_client, Some(&k.order)),
        };
        let mut d = self.decode_with(p, opts)?;
        if let Some(order) = order {
            d.key_index = d.key_index.and_then(|k| order.get(k).copied());
        }
        Some(d)
    }

    fn decode_with(&self, p: &Pdu, opts: &tacacs::DecodeOptions) -> Option<tacacs::Pdu> {
        let tls_opts;
        let opts = if p.tls {
            // RFC 9887: no obfuscation inside TLS, the UNENCRYPTED flag is the rule
            tls_opts = tacacs::DecodeOptions {
                over_tls: true,
                ..opts.clone()
            };
            &tls_opts
        } else {
            opts
        };
        match tacacs::decode_pdu(&p.wire, opts) {
            tacacs::Decoded::Complete(d) => Some(d),
            tacacs::Decoded::Partial { .. } => tacacs::decode_all(&p.wire, opts).into_iter().next(),
        }
    }
}

/// Decodes one PDU with the codec (with `opts.keys`, every key tried in order: peer keys need
/// the connections, see [`Analysis::decode`]). Spans and offsets in the result count from the
/// PDU's first byte ([`Pdu::wire`]).
pub fn decode(pdu: &Pdu, opts: &Options) -> Option<tacacs::Pdu> {
    Decoder::new(opts, &[]).decode(pdu)
}

/// The input form the bytes are in, or `None` when they look like no supported form (text that is
/// not a dump). Binary that is not a capture file is [`InputFormat::Raw`].
pub fn detect(input: &[u8]) -> Option<InputFormat> {
    if let Some(f) = pcap::sniff(input) {
        return Some(f);
    }
    if let Some(h) = input.first_chunk::<{ framing::HEADER_LEN }>()
        && framing::check(&framing::peek(*h), u32::MAX, framing::Level::Strict).is_ok()
    {
        return Some(InputFormat::Raw);
    }
    if looks_textual(input) {
        return text::classify(input);
    }
    Some(InputFormat::Raw)
}

/// True when the first 4 KiB are printable ASCII/UTF-8 text with line breaks.
fn looks_textual(input: &[u8]) -> bool {
    let head = input.get(..input.len().min(4096)).unwrap_or_default();
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    let printable = head
        .iter()
        .filter(|&&b| b.is_ascii_graphic() || b.is_ascii_whitespace() || b >= 0x80)
        .count();
    printable * 100 >= head.len() * 97
}

/// Analyses a whole capture. Never fails: unreadable parts become [`CaptureDiagnostic`]s.
pub fn analyze(input: &[u8], opts: &Options) -> Analysis {
    match run(input, opts, &mut |_| ControlFlow::Continue(())) {
        Ok(a) => a,
        // the callback above never breaks
        Err(Cancelled) => Analysis {
            format: FormatInfo {
                form: InputFormat::Raw,
                forced: false,
                inner: None,
                detail: String::new(),
            },
            frames: Vec::new(),
            connections: Vec::new(),
            streams: Vec::new(),
            pdus: Vec::new(),
            sessions: Vec::new(),
            keys_ok: Vec::new(),
            diagnostics: Vec::new(),
            stats: Stats::default(),
        },
    }
}

/// Like [`analyze`], calling `progress` every [`Options::progress_every`] frames (and once at
/// the end); returning `ControlFlow::Break(())` from it stops the analysis with [`Cancelled`].
pub fn analyze_with_progress(
    input: &[u8],
    opts: &Options,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Analysis, Cancelled> {
    run(input, opts, progress)
}

/// Pushes onto a vector that grows by a quarter when full (not double): the big tables of an
/// analysis would otherwise hold up to 3x their size while being copied.
pub(crate) fn push_growing<T>(v: &mut Vec<T>, x: T) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 4).max(64));
    }
    v.push(x);
}

fn run(
    input: &[u8],
    opts: &Options,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Analysis, Cancelled> {
    let mut diags = Diags::default();
    let detected = opts.format.or_else(|| detect(input));
    let form = detected.unwrap_or(InputFormat::Raw);
    if detected.is_none() {
        diags.push(CaptureDiagnostic::new(
            codes::UNRECOGNISED_INPUT,
            Severity::Error,
            "the input is not a pcap/pcapng file, not TACACS+ bytes, and not hex, base64, tcpdump or hex dump text",
        ));
    }
    let mut info = FormatInfo {
        form,
        forced: opts.format.is_some(),
        inner: None,
        detail: String::new(),
    };
    let total = input.len() as u64;
    let text = match form {
        InputFormat::Hex => Some(text::parse_hex(input, &packet::is_whole_frame, &mut diags)),
        InputFormat::Base64 => Some(text::parse_base64(input, &mut diags)),
        InputFormat::Tcpdump => Some(text::parse_tcpdump(input, &mut diags)),
        InputFormat::HexDump => Some(text::parse_hexdump(input, &mut diags)),
        InputFormat::Raw | InputFormat::Pcap | InputFormat::Pcapng => None,
    };
    let (data, map, width): (&[u8], Option<&[u32]>, usize) = match &text {
        Some(t) => (&t.data, Some(&t.origin), t.width),
        None => (input, None, 1),
    };
    // A text dump of a whole capture file is read as that file.
    let container = match (&text, form) {
        (None, InputFormat::Pcap | InputFormat::Pcapng) => Some(form),
        (Some(t), _) if t.frames.len() == 1 => {
            let inner = t
                .frames
                .first()
                .and_then(|f| data.get(f.data.clone()))
                .and_then(pcap::sniff);
            info.inner = inner;
            inner
        }
        _ => None,
    };
    let (buf, base) = match (&text, container) {
        (Some(t), Some(_)) => match t.frames.first() {
            Some(f) => (data.get(f.data.clone()).unwrap_or_default(), f.data.start),
            None => (data, 0),
        },
        _ => (data, 0),
    };
    // positions below are offsets in `buf`
    let origin = match map {
        Some(m) => Origin::text(m.get(base..).unwrap_or_default(), width, input.len()),
        None => Origin::identity(),
    };
    let mut reassembler = Reassembler::new(opts, origin, diags, total);
    match container {
        Some(InputFormat::Pcap) => {
            if let Some((mut r, detail)) =
                pcap::PcapReader::open(buf, &origin, &mut reassembler.diags)
            {
                info.detail = detail;
                while let Some(f) = r.next_frame(&origin, &mut reassembler.diags) {
                    reassembler.frame(buf, FrameIn::from_raw(&f, &origin), progress)?;
                }
            }
        }
        Some(_) => {
            let mut r = pcap::PcapngReader::open(buf);
            while let Some(f) = r.next_frame(&origin, &mut reassembler.diags) {
                reassembler.frame(buf, FrameIn::from_raw(&f, &origin), progress)?;
            }
            info.detail = r.detail();
        }
        None => match &text {
            Some(t) => {
                // Blocks that are not frames are TCP payload only when no block is a frame.
                let links: Vec<Link> = t
                    .frames
                    .iter()
                    .map(|f| packet::sniff_link(data.get(f.data.clone()).unwrap_or_default()))
                    .collect();
                let any_frame = links.iter().any(|l| *l != Link::Payload);
                for (f, link) in t.frames.iter().zip(links) {
                    let link = if any_frame && link == Link::Payload {
                        Link::Other(0)
                    } else {
                        link
                    };
                    let fr = FrameIn {
                        data: f.data.clone(),
                        input: f.text,
                        original_len: u32::try_from(f.data.len()).unwrap_or(u32::MAX),
                        time: f.time,
                        link,
                        interface: None,
                    };
                    reassembler.frame(buf, fr, progress)?;
                }
                info.detail = t.detail.clone();
            }
            None => {
                if !input.is_empty() {
                    let link = packet::sniff_link(input);
                    info.detail = match link {
                        Link::Payload => format!("raw TACACS+ bytes, {} bytes", input.len()),
                        l => format!("raw frame ({l:?})"),
                    };
                    let fr = FrameIn {
                        data: 0..input.len(),
                        input: Span::new(0, input.len()),
                        original_len: u32::try_from(input.len()).unwrap_or(u32::MAX),
                        time: None,
                        link,
                        interface: None,
                    };
                    reassembler.frame(buf, fr, progress)?;
                }
            }
        },
    }
    if reassembler.frames.is_empty() {
        reassembler.diags.push(CaptureDiagnostic::new(
            codes::NO_FRAMES,
            Severity::Error,
            "no frame or byte could be read from the input",
        ));
    }
    let mut analysis = reassembler.finish(buf);
    analysis.format = info;
    let p = Progress {
        done: total,
        total,
        frames: analysis.stats.frames,
        pdus: analysis.pdus.len() as u64,
    };
    if progress(&p).is_break() {
        return Err(Cancelled);
    }
    Ok(analysis)
}
