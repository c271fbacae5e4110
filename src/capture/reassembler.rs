//! Frames to PDUs: the one pass over a capture's frames that follows TCP connections,
//! reassembles each direction ([`tcp::HalfStream`]), cuts TACACS+ PDUs out of the streams
//! ([`Extractor`]) and, at the end, builds the [`Analysis`] (sessions by [`flow`]).

use core::ops::{ControlFlow, Range};
use std::collections::BTreeMap;

use crate::codec::Span;
use crate::tacacs::{self, Direction};

use super::diag::{Diags, codes};
use super::framing::{Event, Extractor, FoundPdu, Piece, PieceRef, Policy};
use super::model::{
    Analysis, Cancelled, CaptureDiagnostic, Connection, ConnectionEnd, ConnectionKind, Endpoint,
    FormatInfo, Frame, FrameTcp, FrameTime, Gap, InputFormat, Link, Pdu, Progress, RoleBasis,
    SegmentRef, Severity, Stats, Stream, TcpFlags,
};
use super::packet::{self, Dissected, Segment};
use super::source::Origin;
use super::{Decoder, Options, TACACS_TLS_PORT, flow, pcap, push_growing, tcp, tls};

/// Bytes of a TLS direction kept when no key log could decrypt it: enough for the handshake.
const TLS_HANDSHAKE_BUDGET: usize = 64 << 10;

/// A frame as the pipeline sees it, whatever the input form.
pub(super) struct FrameIn {
    pub data: Range<usize>,
    pub input: Span,
    pub original_len: u32,
    pub time: Option<FrameTime>,
    pub link: Link,
    pub interface: Option<u32>,
}

impl FrameIn {
    pub(super) fn from_raw(f: &pcap::RawFrame, origin: &Origin<'_>) -> Self {
        Self {
            data: f.data.clone(),
            input: origin.span(f.block.start, f.block.len()),
            original_len: f.original_len,
            time: f.time,
            link: f.link,
            interface: f.interface,
        }
    }
}

/// One TCP connection while frames are read.
struct Conn {
    /// `ends[0]` sent the first frame seen.
    ends: [Endpoint; 2],
    /// Reassembly state while the connection is open (boxed: closed connections are many).
    live: Option<Box<[tcp::HalfStream; 2]>>,
    /// What remains of each direction once closed.
    done: [DirDone; 2],
    streams: [u32; 2],
    first_frame: u32,
    last_frame: u32,
    syn_from: Option<usize>,
    end: ConnectionEnd,
    tls: bool,
    /// The TLS pass's result, once the connection is closed.
    tls_info: Option<Box<tls::TlsInfo>>,
}

/// What is kept of a direction once its connection is closed and its PDUs cut out.
#[derive(Clone, Debug, Default)]
struct DirDone {
    delivered: u64,
    base: Option<u32>,
    out_of_order: u32,
    retransmitted: u64,
    conflicting: u64,
    skipped: u64,
    found: bool,
    off: bool,
    gaps: Vec<(Gap, u32)>,
    before_start: u64,
}

impl DirDone {
    fn of(d: &tcp::HalfStream) -> Self {
        Self {
            delivered: d.delivered(),
            base: d.base(),
            out_of_order: d.out_of_order,
            retransmitted: d.retransmitted,
            conflicting: d.conflicting,
            skipped: d.ext.skipped,
            found: d.ext.found,
            off: d.ext.is_off(),
            gaps: d.gaps.clone(),
            before_start: d.before_start,
        }
    }
}

/// The pseudo stream of payload-only frames.
struct Loose {
    stream: u32,
    ext: Extractor,
    next: u64,
}

struct StreamMeta {
    conn: Option<u32>,
    dir: usize,
}

/// Reads frames one at a time into connections, streams and PDUs.
pub(super) struct Reassembler<'o, 'p> {
    opts: &'p Options,
    origin: Origin<'o>,
    /// Frames kept so far.
    pub frames: Vec<Frame>,
    /// Frames read so far.
    frame_count: u32,
    conns: Vec<Conn>,
    by_tuple: BTreeMap<(Endpoint, Endpoint), u32>,
    /// The connection of the last TCP frame and its key in `by_tuple`: a connection's frames
    /// come in runs (a segment, its ACK, the next segment), so most frames skip the tree walk.
    last_conn: Option<((Endpoint, Endpoint), u32)>,
    streams: Vec<StreamMeta>,
    loose: Option<Loose>,
    pdus: Vec<Pdu>,
    /// Findings so far.
    pub diags: Diags,
    stats: Stats,
    total: u64,
}

impl<'o, 'p> Reassembler<'o, 'p> {
    pub(super) fn new(opts: &'p Options, origin: Origin<'o>, diags: Diags, total: u64) -> Self {
        Self {
            opts,
            origin,
            frames: Vec::new(),
            frame_count: 0,
            conns: Vec::new(),
            by_tuple: BTreeMap::new(),
            last_conn: None,
            streams: Vec::new(),
            loose: None,
            pdus: Vec::new(),
            diags,
            stats: Stats {
                input_bytes: total,
                ..Stats::default()
            },
            total,
        }
    }

    /// Reads one frame of `buf`.
    pub(super) fn frame(
        &mut self,
        buf: &[u8],
        fr: FrameIn,
        progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
    ) -> Result<(), Cancelled> {
        let idx = self.frame_count;
        self.frame_count = self.frame_count.saturating_add(1);
        let number = idx.saturating_add(1);
        let bytes = buf.get(fr.data.clone()).unwrap_or_default();
        self.stats.frames += 1;
        let mut frame = Frame {
            number,
            time: fr.time,
            input: fr.input,
            captured_len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            original_len: fr.original_len,
            link: fr.link,
            interface: fr.interface,
            tcp: None,
        };
        match fr.link {
            Link::Payload => self.loose_bytes(buf, fr.data.start, bytes.len(), idx),
            Link::Other(_) => self.stats.non_tcp_frames += 1,
            link => match packet::dissect(bytes, link) {
                Dissected::Tcp(seg) => {
                    self.stats.tcp_segments += 1;
                    frame.tcp = Some(self.tcp(buf, fr.data.start, seg, idx));
                }
                Dissected::Other => self.stats.non_tcp_frames += 1,
                Dissected::Fragment => {
                    self.stats.non_tcp_frames += 1;
                    self.diags.push(
                        CaptureDiagnostic::new(
                            codes::IP_FRAGMENT,
                            Severity::Warning,
                            format!(
                                "frame {number}: fragmented IP carrying TCP is not reassembled"
                            ),
                        )
                        .frame(number)
                        .at(fr.input.start),
                    );
                }
                Dissected::Malformed(why) => {
                    self.stats.non_tcp_frames += 1;
                    self.diags.push(
                        CaptureDiagnostic::new(
                            codes::MALFORMED_FRAME,
                            Severity::Warning,
                            format!("frame {number}: {why}"),
                        )
                        .frame(number)
                        .at(fr.input.start),
                    );
                }
            },
        }
        // The table keeps frames with TCP payload (and, at the end, only those of TACACS+
        // connections); ACKs and other traffic are counted, not listed, unless asked for.
        let keep = self.opts.all_frames
            || frame.link == Link::Payload
            || frame.tcp.as_ref().is_some_and(|t| t.payload_len > 0);
        if keep {
            push_growing(&mut self.frames, frame);
        }
        let every = u64::from(self.opts.progress_every.max(1));
        if self.stats.frames.is_multiple_of(every) {
            let p = Progress {
                done: (fr.input.end as u64).min(self.total),
                total: self.total,
                frames: self.stats.frames,
                pdus: self.pdus.len() as u64,
            };
            if progress(&p).is_break() {
                return Err(Cancelled);
            }
        }
        Ok(())
    }

    fn new_stream(&mut self, conn: Option<u32>, dir: usize) -> u32 {
        self.streams.push(StreamMeta { conn, dir });
        u32::try_from(self.streams.len() - 1).unwrap_or(u32::MAX)
    }

    fn loose_bytes(&mut self, buf: &[u8], pos: usize, len: usize, frame: u32) {
        if self.loose.is_none() {
            let stream = self.new_stream(None, 0);
            self.loose = Some(Loose {
                stream,
                ext: Extractor::new(Policy::Trusted, self.opts.max_pdu_len),
                next: 0,
            });
        }
        let Some(mut l) = self.loose.take() else {
            return;
        };
        l.ext.push(Piece {
            off: l.next,
            pos,
            len,
            frame,
            frame_start: pos,
        });
        l.next = l.next.saturating_add(len as u64);
        let (mut out, mut events) = (Vec::new(), Vec::new());
        l.ext.pump(buf, &mut out, &mut events);
        self.emit(None, l.stream, out, events);
        self.loose = Some(l);
    }

    fn tcp(&mut self, buf: &[u8], frame_start: usize, seg: Segment, frame: u32) -> FrameTcp {
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let syn_only = seg.flags.has(TcpFlags::SYN) && !seg.flags.has(TcpFlags::ACK);
        let found = match self.last_conn {
            Some((k, c)) if k == key => Some(c),
            _ => self.by_tuple.get(&key).copied(),
        };
        let existing = found.filter(|&c| {
            // a SYN on a finished connection opens a new one (4-tuple reuse)
            let Some(conn) = self.conns.get(c as usize) else {
                return false;
            };
            let delivered = match &conn.live {
                Some(l) => l.iter().any(|d| d.delivered() > 0),
                None => true,
            };
            !(syn_only && (conn.end != ConnectionEnd::Open || delivered))
        });
        let c = match existing {
            Some(c) => c,
            None => self.new_conn(key, &seg, frame),
        };
        self.last_conn = Some((key, c));
        let number = frame.saturating_add(1);
        let Some(conn) = self.conns.get_mut(c as usize) else {
            return FrameTcp {
                conn: c,
                to_server: true,
                rel_seq: 0,
                flags: seg.flags,
                payload_len: 0,
                payload_offset: 0,
            };
        };
        conn.last_frame = number;
        let d = usize::from(seg.src != conn.ends[0]);
        if syn_only && conn.syn_from.is_none() {
            conn.syn_from = Some(d);
        }
        if seg.flags.has(TcpFlags::RST) {
            conn.end = ConnectionEnd::Reset;
        } else if seg.flags.has(TcpFlags::FIN) && conn.end == ConnectionEnd::Open {
            conn.end = ConnectionEnd::Fin;
        }
        let stream = conn.streams.get(d).copied().unwrap_or(0);
        let other_stream = conn.streams.get(1 - d).copied().unwrap_or(0);
        let (mut out, mut events) = (Vec::new(), Vec::new());
        let (mut out_other, mut events_other) = (Vec::new(), Vec::new());
        let len = seg.payload.len();
        let pos = frame_start + seg.payload.start;
        let Some(dir) = conn.live.as_mut().and_then(|l| l.get_mut(d)) else {
            // a late segment of a closed connection: counted, not reassembled
            let done = conn.done.get_mut(d);
            let rel_seq = done
                .as_ref()
                .and_then(|x| x.base)
                .map_or(0, |b| seg.seq.wrapping_sub(b));
            if let Some(x) = done {
                x.retransmitted = x.retransmitted.saturating_add(len as u64);
            }
            return FrameTcp {
                conn: c,
                to_server: d == 0,
                rel_seq,
                flags: seg.flags,
                payload_len: u32::try_from(len).unwrap_or(u32::MAX),
                payload_offset: u32::try_from(seg.payload.start).unwrap_or(u32::MAX),
            };
        };
        dir.segment(
            seg.seq,
            seg.flags.has(TcpFlags::SYN),
            seg.flags.has(TcpFlags::FIN),
            pos,
            len,
            seg.missing,
            frame,
            frame_start,
            buf,
            &mut out,
            &mut events,
        );
        let rel_seq = dir.relative(seg.seq);
        let found = dir.ext.found;
        if let Some(other) = conn.live.as_mut().and_then(|l| l.get_mut(1 - d)) {
            if found {
                other.ext.trust();
            }
            if seg.flags.has(TcpFlags::ACK) {
                other.acked(seg.ack, frame, buf, &mut out_other, &mut events_other);
            }
        }
        if seg.missing > 0 {
            self.diags.push(
                CaptureDiagnostic::new(
                    codes::FRAME_TRUNCATED,
                    Severity::Warning,
                    format!("frame {number}: {} bytes of TCP payload not captured (snaplen); treated as a gap", seg.missing),
                )
                .frame(number)
                .conn(Some(c)),
            );
        }
        self.emit(Some(c), stream, out, events);
        self.emit(Some(c), other_stream, out_other, events_other);
        // RST, or FIN both ways: nothing more is coming; cut what is left and keep a summary
        let closed = self.conns.get(c as usize).is_some_and(|k| {
            k.end == ConnectionEnd::Reset
                || k.live.as_ref().is_some_and(|l| l.iter().all(|d| d.fin))
        });
        if closed {
            self.close(c, buf);
        }
        FrameTcp {
            conn: c,
            to_server: d == 0,
            rel_seq,
            flags: seg.flags,
            payload_len: u32::try_from(len).unwrap_or(u32::MAX),
            payload_offset: u32::try_from(seg.payload.start).unwrap_or(u32::MAX),
        }
    }

    fn new_conn(&mut self, key: (Endpoint, Endpoint), seg: &Segment, frame: u32) -> u32 {
        let c = u32::try_from(self.conns.len()).unwrap_or(u32::MAX);
        let ports = [seg.src.port, seg.dst.port];
        let tacacs_port = ports.iter().any(|p| self.opts.ports.contains(p));
        let tls = ports.contains(&TACACS_TLS_PORT) && !tacacs_port;
        let policy = if tacacs_port {
            Policy::Trusted
        } else {
            Policy::Probe
        };
        let s0 = self.new_stream(Some(c), 0);
        let s1 = self.new_stream(Some(c), 1);
        let budget = if self.opts.keylog.entries.is_empty() {
            TLS_HANDSHAKE_BUDGET
        } else {
            usize::MAX
        };
        let dir = || {
            let mut ext = Extractor::new(policy, self.opts.max_pdu_len);
            ext.set_tls_budget(budget);
            if tls {
                // RFC 9887: port 300 is TLS from the first byte
                ext.force_tls();
            }
            tcp::HalfStream::new(ext, self.opts.max_out_of_order, self.opts.probe_budget)
        };
        let number = frame.saturating_add(1);
        push_growing(
            &mut self.conns,
            Conn {
                ends: [seg.src, seg.dst],
                live: Some(Box::new([dir(), dir()])),
                done: [DirDone::default(), DirDone::default()],
                streams: [s0, s1],
                first_frame: number,
                last_frame: number,
                syn_from: None,
                end: ConnectionEnd::Open,
                tls,
                tls_info: None,
            },
        );
        self.by_tuple.insert(key, c);
        c
    }

    /// Ends the reassembly of connection `c`: holes become gaps, PDUs in progress are cut as
    /// they are, and only a summary of each direction is kept.
    fn close(&mut self, c: u32, buf: &[u8]) {
        let Some(conn) = self.conns.get_mut(c as usize) else {
            return;
        };
        let Some(mut live) = conn.live.take() else {
            return;
        };
        let streams = conn.streams;
        let mut raw: [Option<Box<tls::RawDir>>; 2] = [None, None];
        for (d, dir) in live.iter_mut().enumerate() {
            let (mut out, mut events) = (Vec::new(), Vec::new());
            dir.finish(buf, &mut out, &mut events);
            if let Some(k) = self.conns.get_mut(c as usize)
                && let Some(slot) = k.done.get_mut(d)
            {
                *slot = DirDone::of(dir);
            }
            if let Some(r) = raw.get_mut(d) {
                *r = dir.ext.tls.take();
            }
            self.emit(Some(c), streams.get(d).copied().unwrap_or(0), out, events);
        }
        if raw.iter().any(Option::is_some) {
            let [a, b] = raw;
            self.tls_pass(c, streams, [a.unwrap_or_default(), b.unwrap_or_default()]);
        }
    }

    /// The TLS pass over connection `c` (RFC 8446 records, RFC 9887 TACACS+ inside): handshake
    /// facts, decryption with the key log, and the plaintext's PDUs into the analysis.
    fn tls_pass(&mut self, c: u32, streams: [u32; 2], raw: [Box<tls::RawDir>; 2]) {
        let [r0, r1] = &raw;
        let frame_of = |d: usize, off: u64| {
            let r = if d == 0 { r0 } else { r1 };
            r.locate(off).map_or(0, |(f, ..)| f.saturating_add(1))
        };
        let outcome = tls::analyze([r0, r1], &self.opts.keylog, self.opts.tls, &frame_of);
        for f in &outcome.findings {
            let mut d = CaptureDiagnostic::new(
                f.code,
                if f.warning {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                f.message.clone(),
            )
            .conn(Some(c));
            if let Some((dir, off)) = f.at {
                d = d.stream(streams.get(dir).copied().unwrap_or(0));
                let r = if dir == 0 { r0 } else { r1 };
                if let Some((frame, pos, _, _)) = r.locate(off) {
                    d = d.frame(frame.saturating_add(1)).at(self.origin.input(pos));
                }
            }
            self.diags.push(d);
        }
        let [d0, d1] = outcome.info.decrypted;
        if d0 + d1 > 0 {
            let suite = outcome
                .info
                .cipher_suite
                .and_then(|s| s.name())
                .unwrap_or("?");
            self.diags.push(
                CaptureDiagnostic::new(
                    codes::TLS_DECRYPTED,
                    Severity::Info,
                    format!(
                        "TLS 1.3 ({suite}) decrypted with the key log: {d0} byte(s) client → server, {d1} byte(s) server → client; TACACS+ read inside (RFC 9887)"
                    ),
                )
                .conn(Some(c)),
            );
        }
        // The PDUs of both directions, then recorded in capture order (by the frame of their
        // last byte), as the PDUs of a plain connection are: the session rules (RFC 8907 §4.3
        // single-connect) read a reply before the next request.
        let mut found: [std::vec::IntoIter<FoundPdu>; 2] =
            [Vec::new().into_iter(), Vec::new().into_iter()];
        for (d, plain) in outcome.plain.iter().enumerate() {
            if plain.bytes.is_empty() {
                continue;
            }
            let r = if d == 0 { r0 } else { r1 };
            let mut ext = Extractor::new(Policy::Trusted, self.opts.max_pdu_len);
            ext.push(Piece {
                off: 0,
                pos: 0,
                len: plain.bytes.len(),
                frame: 0,
                frame_start: 0,
            });
            let (mut out, mut events) = (Vec::new(), Vec::new());
            ext.finish(&plain.bytes, &mut out, &mut events);
            for p in &mut out {
                p.pieces = place_in_capture(p.off, p.wire.len() as u64, plain, r);
            }
            // skipped-byte events carry plaintext positions: no place in the input
            for ev in &mut events {
                if let Event::Skipped { at, .. } = ev {
                    *at = None;
                }
            }
            self.emit(
                Some(c),
                streams.get(d).copied().unwrap_or(0),
                Vec::new(),
                events,
            );
            if let Some(slot) = found.get_mut(d) {
                *slot = out.into_iter();
            }
        }
        let first = self.pdus.len();
        let last_frame = |p: &FoundPdu| p.pieces.iter().map(|r| r.frame).max();
        let [a, b] = &mut found;
        let (mut a, mut b) = (a.peekable(), b.peekable());
        loop {
            let d = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => usize::from(last_frame(y) < last_frame(x)),
                (Some(_), None) => 0,
                (None, Some(_)) => 1,
                (None, None) => break,
            };
            let next = if d == 0 { a.next() } else { b.next() };
            if let Some(p) = next {
                self.emit(
                    Some(c),
                    streams.get(d).copied().unwrap_or(0),
                    vec![p],
                    Vec::new(),
                );
            }
        }
        // decoded with RFC 9887's rules (Decoder: `over_tls`)
        for p in self.pdus.get_mut(first..).unwrap_or_default() {
            p.tls = true;
        }
        if let Some(k) = self.conns.get_mut(c as usize) {
            // the ClientHello's sender is the client, as a SYN's would be
            if k.syn_from.is_none() {
                k.syn_from = outcome.client;
            }
            k.tls = true;
            k.tls_info = Some(Box::new(outcome.info));
        }
    }

    /// Records PDUs and events from stream `stream` (direction `dir` of `conn`).
    fn emit(&mut self, conn: Option<u32>, stream: u32, out: Vec<FoundPdu>, events: Vec<Event>) {
        for ev in events {
            match ev {
                Event::Skipped { off, len, why, at } => {
                    let mut d = CaptureDiagnostic::new(
                        codes::NOT_TACACS_SKIPPED,
                        Severity::Warning,
                        format!(
                            "{len} byte(s) at stream offset {off} skipped ({why}); decoding resumed at the next plausible TACACS+ header"
                        ),
                    )
                    .conn(conn)
                    .stream(stream);
                    if let Some((frame, pos)) = at {
                        d = d.frame(frame.saturating_add(1)).at(self.origin.input(pos));
                    }
                    self.diags.push(d);
                }
                Event::Tls => {
                    if let Some(c) = conn.and_then(|c| self.conns.get_mut(c as usize)) {
                        c.tls = true;
                    }
                }
                Event::NotTacacs => {}
            }
        }
        for p in out {
            let index = u32::try_from(self.pdus.len()).unwrap_or(u32::MAX);
            let segments: Vec<SegmentRef> = p
                .pieces
                .iter()
                .map(|r| {
                    let start = r.frame_start;
                    SegmentRef {
                        frame: r.frame.saturating_add(1),
                        frame_offset: u32::try_from(r.pos.saturating_sub(start))
                            .unwrap_or(u32::MAX),
                        len: u32::try_from(r.len).unwrap_or(u32::MAX),
                        pdu_offset: u32::try_from(r.pdu_offset).unwrap_or(u32::MAX),
                        input: self.origin.span(r.pos, r.len),
                    }
                })
                .collect();
            let first = segments.first().map_or(self.frame_count, |s| s.frame);
            let last = segments.iter().map(|s| s.frame).max().unwrap_or(first);
            let total = p.wire.len() as u64 + p.missing;
            if p.missing > 0 {
                let (code, why) = if p.cut_by_gap {
                    (codes::PDU_CUT_BY_GAP, "segments missing from the capture")
                } else {
                    (codes::PDU_INCOMPLETE, "the capture ends")
                };
                self.diags.push(
                    CaptureDiagnostic::new(
                        code,
                        Severity::Warning,
                        format!(
                            "PDU at stream offset {}: {} of {total} bytes captured, need {} more ({why})",
                            p.off,
                            p.wire.len(),
                            p.missing
                        ),
                    )
                    .conn(conn)
                    .stream(stream)
                    .pdu(index)
                    .frame(last),
                );
            }
            push_growing(
                &mut self.pdus,
                Pdu {
                    index,
                    stream,
                    conn,
                    direction: Direction::of_seq_no(p.header.seq_no),
                    frame: first,
                    last_frame: last,
                    stream_span: Span::new(
                        usize::try_from(p.off).unwrap_or(usize::MAX),
                        usize::try_from(total).unwrap_or(usize::MAX),
                    ),
                    segments: segments.into_boxed_slice(),
                    header: p.header,
                    wire: p.wire.into_boxed_slice(),
                    complete: p.missing == 0,
                    key_index: None,
                    body_state: tacacs::BodyState::Obfuscated,
                    codec_diagnostics: Box::default(),
                    decoded: None,
                    summary: Box::default(),
                    session: None,
                    tls: false,
                },
            );
        }
    }

    pub(super) fn finish(mut self, buf: &[u8]) -> Analysis {
        // close every connection still open
        for c in 0..self.conns.len() {
            self.close(c as u32, buf);
        }
        if let Some(mut l) = self.loose.take() {
            let (mut out, mut events) = (Vec::new(), Vec::new());
            l.ext.finish(buf, &mut out, &mut events);
            self.emit(None, l.stream, out, events);
            self.loose = Some(l);
        }
        // roles, directions, connection records
        let mut scores = vec![0i64; self.conns.len()];
        for p in &self.pdus {
            let (Some(c), Some(meta)) = (p.conn, self.streams.get(p.stream as usize)) else {
                continue;
            };
            if let Some(sc) = scores.get_mut(c as usize) {
                let odd = p.header.seq_no % 2 == 1;
                *sc += if odd == (meta.dir == 0) { 1 } else { -1 };
            }
        }
        let mut connections = Vec::with_capacity(self.conns.len());
        let mut client_of = Vec::with_capacity(self.conns.len());
        for (i, c) in self.conns.iter().enumerate() {
            let id = i as u32;
            let is_port =
                |e: &Endpoint| self.opts.ports.contains(&e.port) || e.port == TACACS_TLS_PORT;
            let port_client = match (is_port(&c.ends[0]), is_port(&c.ends[1])) {
                (false, true) => Some(0usize),
                (true, false) => Some(1),
                _ => None,
            };
            // parity score: positive when ends[0] sends odd seq_no (is the client)
            let score = scores.get(i).copied().unwrap_or(0);
            let parity_client = match score.signum() {
                1 => Some(0usize),
                -1 => Some(1),
                _ => None,
            };
            let (client, basis) = match (parity_client, port_client) {
                (Some(p), Some(q)) if p == q => (p, RoleBasis::SeqParityAndPort),
                (Some(p), Some(_)) => {
                    let srv = c.ends.get(1 - p).copied().unwrap_or(c.ends[0]);
                    self.diags.push(
                        CaptureDiagnostic::new(
                            codes::DIRECTION_MISMATCH,
                            Severity::Warning,
                            format!(
                                "the seq_no parity makes {srv} the server, but the other side uses the TACACS+ port"
                            ),
                        )
                        .conn(Some(id)),
                    );
                    (p, RoleBasis::SeqParity)
                }
                (Some(p), None) => (p, RoleBasis::SeqParity),
                (None, Some(q)) => (q, RoleBasis::Port),
                (None, None) => match c.syn_from {
                    Some(s) => (s, RoleBasis::Syn),
                    None => (0, RoleBasis::FirstSeen),
                },
            };
            client_of.push(client);
            let found = c.done.iter().any(|d| d.found);
            let kind = if c.tls {
                ConnectionKind::TacacsTls
            } else if found {
                ConnectionKind::Tacacs
            } else {
                ConnectionKind::Other
            };
            let s = |d: usize| c.streams.get(d).copied().unwrap_or(0);
            connections.push(Connection {
                id,
                client: c.ends.get(client).copied().unwrap_or(c.ends[0]),
                server: c.ends.get(1 - client).copied().unwrap_or(c.ends[1]),
                role_basis: basis,
                kind,
                first_frame: c.first_frame,
                last_frame: c.last_frame,
                to_server: s(client),
                to_client: s(1 - client),
                syn_seen: c.syn_from.is_some(),
                end: c.end,
                keys_ok: Vec::new(),
                single_connect: None,
                tls: c.tls_info.clone(),
            });
        }
        for f in &mut self.frames {
            if let Some(t) = &mut f.tcp {
                let client = client_of.get(t.conn as usize).copied().unwrap_or(0);
                t.to_server = usize::from(!t.to_server) == client;
            }
        }
        // PDU directions: the stream's role (the codec flags a seq_no parity that disagrees)
        for p in &mut self.pdus {
            let Some(c) = p.conn else { continue };
            let Some(meta) = self.streams.get(p.stream as usize) else {
                continue;
            };
            let client = client_of.get(c as usize).copied().unwrap_or(0);
            let dir = if meta.dir == client {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            };
            p.direction = dir;
        }
        // streams
        let mut per_stream = vec![0u32; self.streams.len()];
        for p in &self.pdus {
            if let Some(n) = per_stream.get_mut(p.stream as usize) {
                *n = n.saturating_add(1);
            }
        }
        let mut streams = Vec::with_capacity(self.streams.len());
        for (i, meta) in self.streams.iter().enumerate() {
            let id = i as u32;
            let pdus = per_stream.get(i).copied().unwrap_or(0);
            let mut s = Stream {
                id,
                conn: meta.conn,
                to_server: None,
                bytes: 0,
                out_of_order: 0,
                retransmitted_bytes: 0,
                conflicting_bytes: 0,
                skipped_bytes: 0,
                gaps: Vec::new(),
                pdus,
            };
            match meta
                .conn
                .and_then(|c| self.conns.get(c as usize).map(|x| (c, x)))
            {
                Some((c, conn)) => {
                    let client = client_of.get(c as usize).copied().unwrap_or(0);
                    s.to_server = Some(meta.dir == client);
                    if let Some(d) = conn.done.get(meta.dir) {
                        let gap_bytes: u64 = d.gaps.iter().map(|(g, _)| g.len).sum();
                        s.bytes = d.delivered.saturating_sub(gap_bytes);
                        s.out_of_order = d.out_of_order;
                        s.retransmitted_bytes = d.retransmitted;
                        s.conflicting_bytes = d.conflicting;
                        s.skipped_bytes = d.skipped;
                        s.gaps = d.gaps.iter().map(|(g, _)| *g).collect();
                        for (g, frame) in &d.gaps {
                            if conn.tls || !d.found && d.off {
                                continue;
                            }
                            self.diags.push(
                                CaptureDiagnostic::new(
                                    codes::TCP_GAP,
                                    Severity::Warning,
                                    format!(
                                        "{} byte(s) missing at stream offset {} (segments not captured; seen at frame {})",
                                        g.len,
                                        g.offset,
                                        frame.saturating_add(1)
                                    ),
                                )
                                .conn(Some(c))
                                .stream(id)
                                .frame(frame.saturating_add(1)),
                            );
                        }
                        if d.conflicting > 0 {
                            self.diags.push(
                                CaptureDiagnostic::new(
                                    codes::TCP_CONFLICTING_RETRANSMISSION,
                                    Severity::Warning,
                                    format!("{} retransmitted byte(s) differ from the first copy (first copy kept)", d.conflicting),
                                )
                                .conn(Some(c))
                                .stream(id),
                            );
                        }
                        if d.before_start > 0 {
                            self.diags.push(
                                CaptureDiagnostic::new(
                                    codes::TCP_BEFORE_START,
                                    Severity::Info,
                                    format!("{} byte(s) lie before the first segment seen (the capture began mid-connection)", d.before_start),
                                )
                                .conn(Some(c))
                                .stream(id),
                            );
                        }
                    }
                }
                None => {
                    if let Some(l) = &self.loose {
                        s.bytes = l.next;
                        s.skipped_bytes = l.ext.skipped;
                    }
                }
            }
            streams.push(s);
        }
        if !self.opts.all_frames {
            let other = |c: u32| {
                connections
                    .get(c as usize)
                    .is_none_or(|k| k.kind == ConnectionKind::Other)
            };
            self.frames
                .retain(|f| f.tcp.as_ref().is_none_or(|t| !other(t.conn)));
            self.frames.shrink_to_fit();
        }
        // the reassembly state is no longer needed: free it before the sessions are built
        self.conns = Vec::new();
        self.by_tuple = BTreeMap::new();
        self.streams = Vec::new();
        // decode every PDU with the codec, knowing who sent it; summaries, sessions
        let decoder = Decoder::new(self.opts, &connections);
        let flows = flow::build(
            &mut self.pdus,
            connections.len(),
            &decoder,
            self.opts.keep_decoded,
            &mut self.diags,
        );
        for (c, sc) in connections.iter_mut().zip(flows.single_connect) {
            c.single_connect = sc;
        }
        let keys_ok = flow::keys(
            &self.pdus,
            &mut connections,
            self.opts.keys.len(),
            &mut self.diags,
        );
        let (diagnostics, dropped) = self.diags.finish();
        self.stats.diagnostics_dropped = dropped;
        Analysis {
            format: FormatInfo {
                form: InputFormat::Raw,
                forced: false,
                inner: None,
                detail: String::new(),
            },
            frames: self.frames,
            connections,
            streams,
            pdus: self.pdus,
            sessions: flows.sessions,
            keys_ok,
            diagnostics,
            stats: self.stats,
        }
    }
}

/// Where the bytes `[off, off + len)` of a decrypted stream came from: one piece per TLS record
/// they lie in, pointing at the record's first bytes in the capture (the ciphertext that
/// carried them); `pdu_offset` counts in the plaintext.
fn place_in_capture(off: u64, len: u64, plain: &tls::Plain, raw: &tls::RawDir) -> Vec<PieceRef> {
    let mut out = Vec::new();
    let end = off.saturating_add(len);
    let mut at = off;
    while at < end {
        let Some((rec_off, rec_len, run_end)) = plain.record_of(at) else {
            break;
        };
        if let Some((frame, pos, frame_start, left)) = raw.locate(rec_off) {
            out.push(PieceRef {
                frame,
                frame_start,
                pos,
                len: (rec_len as usize).min(left),
                pdu_offset: usize::try_from(at - off).unwrap_or(usize::MAX),
            });
        }
        let next = run_end.min(end);
        if next <= at {
            break;
        }
        at = next;
    }
    out
}
