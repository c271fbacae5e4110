//! Cutting a byte stream into TACACS+ PDUs by their 12-byte header (RFC 8907 §4.1).
//!
//! The stream arrives as pieces (ranges of the capture's bytes, never copied until a PDU is cut
//! out) and gaps (bytes the capture lost). A PDU is `12 + length` bytes. When the bytes at the
//! expected place are not a header, or after a gap that hides where the next header is, the
//! extractor searches for the next *plausible* header: major version 0xc, minor 0 or 1, type 1-3,
//! seq_no ≥ 1, only known flag bits, a length within the limit and at least the body's fixed part.

use std::collections::VecDeque;

use super::model::Header;
use super::tls::RawDir;

/// Length of the TACACS+ header (RFC 8907 §4.1).
pub(crate) const HEADER_LEN: usize = 12;

/// Reads the header fields from 12 bytes.
pub(crate) fn peek(b: [u8; HEADER_LEN]) -> Header {
    let [v, kind, seq_no, flags, s0, s1, s2, s3, l0, l1, l2, l3] = b;
    Header {
        major: v >> 4,
        minor: v & 0x0f,
        kind,
        seq_no,
        flags,
        session_id: u32::from_be_bytes([s0, s1, s2, s3]),
        length: u32::from_be_bytes([l0, l1, l2, l3]),
    }
}

/// The smallest body of each packet kind: its fixed fields (RFC 8907 §5.1-§5.3, §6.1-§6.2,
/// §7.1-§7.2). Odd seq_no: from the client.
const fn min_body(kind: u8, seq_no: u8) -> u32 {
    match (kind, seq_no % 2 == 1, seq_no == 1) {
        (1, true, true) => 8,  // AUTHEN START
        (1, true, false) => 5, // AUTHEN CONTINUE
        (1, false, _) => 6,    // AUTHEN REPLY
        (2, true, _) => 8,     // AUTHOR REQUEST
        (2, false, _) => 6,    // AUTHOR RESPONSE
        (3, true, _) => 9,     // ACCT REQUEST
        (3, false, _) => 5,    // ACCT REPLY
        _ => 0,
    }
}

/// How hard to look at a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// Where a stream trusted to be TACACS+ starts: major version 0xc and a length within the
    /// limit, so that a malformed first PDU still reaches the codec and its diagnostics.
    Lenient,
    /// Where the previous PDU ended: also minor version, type, seq_no and flags.
    Synced,
    /// When searching: also a length of at least the body's fixed fields.
    Strict,
}

/// Whether `h` can be taken as a header at the given level.
pub(crate) fn check(h: &Header, max_len: u32, level: Level) -> Result<(), &'static str> {
    if h.major != 0xc {
        return Err("major version is not 0xc");
    }
    if h.length > max_len {
        return Err("length over the limit");
    }
    if level >= Level::Synced {
        if h.minor > 1 {
            return Err("minor version is not 0 or 1");
        }
        if !(1..=3).contains(&h.kind) {
            return Err("type is not 1-3");
        }
        if h.seq_no == 0 {
            return Err("seq_no is 0");
        }
        if h.kind != 1 && h.seq_no > 2 {
            return Err("authorization/accounting seq_no above 2");
        }
        if h.flags & !0x05 != 0 {
            return Err("unknown flag bits");
        }
    }
    if level == Level::Strict && h.length < min_body(h.kind, h.seq_no) {
        return Err("body shorter than its fixed fields");
    }
    Ok(())
}

/// A run of stream bytes in the capture's byte buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Stream offset of the first byte.
    pub off: u64,
    /// Offset of the first byte in the capture's byte buffer.
    pub pos: usize,
    /// Number of bytes.
    pub len: usize,
    /// Index of the frame the bytes came from (0-based).
    pub frame: u32,
    /// Offset of that frame's first byte in the buffer.
    pub frame_start: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Data(Piece),
    Gap { off: u64, len: u64 },
}

impl Item {
    const fn off(&self) -> u64 {
        match *self {
            Self::Data(p) => p.off,
            Self::Gap { off, .. } => off,
        }
    }

    fn len(&self) -> u64 {
        match *self {
            Self::Data(p) => p.len as u64,
            Self::Gap { len, .. } => len,
        }
    }
}

/// Part of a PDU: `len` bytes at `pos` in the buffer (frame `frame`), at `pdu_offset` in the PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PieceRef {
    pub frame: u32,
    pub frame_start: usize,
    pub pos: usize,
    pub len: usize,
    pub pdu_offset: usize,
}

/// A PDU cut out of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FoundPdu {
    /// Stream offset of its first byte.
    pub off: u64,
    pub header: Header,
    /// The captured bytes (a prefix of the PDU when incomplete).
    pub wire: Vec<u8>,
    pub pieces: Vec<PieceRef>,
    /// Bytes of the PDU the capture does not have.
    pub missing: u64,
    /// Why it is incomplete: the capture ended, or a gap.
    pub cut_by_gap: bool,
}

/// Something the extractor wants said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// Bytes skipped because no plausible header was there; `at` is (frame, buffer position) of
    /// the first skipped byte when it was data.
    Skipped {
        off: u64,
        len: u64,
        why: &'static str,
        at: Option<(u32, usize)>,
    },
    /// The stream starts with TLS (a TLS record header).
    Tls,
    /// The first bytes are not TACACS+ and the stream is not on a TACACS+ port: ignored.
    NotTacacs,
}

/// A run of skipped stream bytes not yet reported.
#[derive(Clone, Copy, Debug)]
struct Skip {
    /// Stream offset of the first byte.
    off: u64,
    /// Stream bytes covered (gaps included).
    span: u64,
    /// Data bytes skipped (gaps excluded).
    len: u64,
    why: &'static str,
    /// (frame, buffer position) of the first skipped byte when it was data.
    at: Option<(u32, usize)>,
}

/// How much the extractor trusts a stream to be TACACS+.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Port 49 or a payload-only input: a lenient header check at the start, search on failure.
    Trusted,
    /// Another port, stream start seen: a strict check at the start, else not TACACS+.
    Probe,
    /// Another port, stream start not captured: search the first `n` bytes, else not TACACS+.
    ProbeSearch(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Start,
    Synced,
    Searching,
    Off,
    /// TLS (RFC 8446 records): the bytes go to [`Extractor::tls`] for the TLS pass.
    Tls,
}

/// Cuts PDUs out of one stream as its bytes arrive in order.
#[derive(Debug)]
pub(crate) struct Extractor {
    queue: VecDeque<Item>,
    /// Stream offset of the queue's first byte.
    front: u64,
    /// Stream offset one past the last queued byte.
    end: u64,
    mode: Mode,
    policy: Policy,
    max_len: u32,
    /// Skipped bytes not yet reported.
    skipping: Option<Skip>,
    /// A strict header check at the start (the stream's start was not captured).
    strict_start: bool,
    /// Why the bytes where a header was expected were not one.
    first_miss: Option<&'static str>,
    /// At least one PDU was found.
    pub found: bool,
    /// Bytes skipped in total.
    pub skipped: u64,
    /// The stream's bytes once it is TLS, for the TLS pass ([`super::tls`]).
    pub tls: Option<Box<RawDir>>,
    /// Bytes of a TLS stream kept at most.
    tls_budget: usize,
}

impl Extractor {
    pub(crate) fn new(policy: Policy, max_len: u32) -> Self {
        Self {
            queue: VecDeque::new(),
            front: 0,
            end: 0,
            mode: Mode::Start,
            policy,
            max_len,
            skipping: None,
            strict_start: false,
            first_miss: None,
            found: false,
            skipped: 0,
            tls: None,
            tls_budget: 0,
        }
    }

    /// Bytes kept of a TLS stream (for its handshake, or all of it to decrypt).
    pub(crate) fn set_tls_budget(&mut self, budget: usize) {
        self.tls_budget = budget;
    }

    /// The stream is TLS from its start (TACACS+ over TLS port, RFC 9887).
    pub(crate) fn force_tls(&mut self) {
        self.mode = Mode::Tls;
        self.tls.get_or_insert_default();
    }

    /// True once the stream was judged not TACACS+ (or TLS): its bytes are dropped.
    pub(crate) fn is_off(&self) -> bool {
        self.mode == Mode::Off
    }

    /// The stream's first bytes are not its start (no SYN captured): check the first header
    /// strictly, and on a non-TACACS+ port only search a bounded prefix.
    pub(crate) fn mid_stream(&mut self, budget: u64) {
        self.strict_start = true;
        if self.policy == Policy::Probe {
            self.policy = Policy::ProbeSearch(budget);
        }
    }

    /// The other direction of the connection is TACACS+: trust this one too.
    pub(crate) fn trust(&mut self) {
        if self.policy != Policy::Trusted {
            self.policy = Policy::Trusted;
        }
    }

    /// Appends bytes at the end of the stream.
    pub(crate) fn push(&mut self, p: Piece) {
        if p.len == 0 {
            return;
        }
        if self.mode == Mode::Off {
            self.front = p.off.saturating_add(p.len as u64);
            self.end = self.front;
            return;
        }
        if self.queue.is_empty() {
            self.front = p.off;
        }
        self.end = p.off.saturating_add(p.len as u64);
        self.queue.push_back(Item::Data(p));
    }

    /// Records missing bytes at the end of the stream.
    pub(crate) fn gap(&mut self, off: u64, len: u64) {
        if len == 0 {
            return;
        }
        if self.mode == Mode::Off {
            self.front = off.saturating_add(len);
            self.end = self.front;
            return;
        }
        if self.queue.is_empty() {
            self.front = off;
        }
        self.end = off.saturating_add(len);
        self.queue.push_back(Item::Gap { off, len });
    }

    /// Counts bytes of `bytes` (at stream offset `off`) that differ from the queued copy of the
    /// same stream bytes (a retransmission with other content); bytes no longer queued are not
    /// compared.
    pub(crate) fn compare(&self, data: &[u8], off: u64, bytes: &[u8]) -> u64 {
        let end = off.saturating_add(bytes.len() as u64);
        let mut differ = 0u64;
        for it in &self.queue {
            let Item::Data(p) = it else { continue };
            let p_end = p.off.saturating_add(p.len as u64);
            let (from, to) = (p.off.max(off), p_end.min(end));
            if from >= to {
                continue;
            }
            let (Ok(a), Ok(b), Ok(n)) = (
                usize::try_from(from - p.off),
                usize::try_from(from - off),
                usize::try_from(to - from),
            ) else {
                continue;
            };
            let (Some(x), Some(y)) = (data.get(p.pos + a..p.pos + a + n), bytes.get(b..b + n))
            else {
                continue;
            };
            differ += x.iter().zip(y).filter(|(u, v)| u != v).count() as u64;
        }
        differ
    }

    /// Number of contiguous data bytes at the front (up to the first gap).
    fn contiguous(&self) -> u64 {
        let mut n = 0u64;
        for it in &self.queue {
            match it {
                Item::Data(p) => n = n.saturating_add(p.len as u64),
                Item::Gap { .. } => break,
            }
        }
        n
    }

    /// Copies `out.len()` bytes starting `skip` bytes after the front, if they are contiguous data.
    fn gather(&self, data: &[u8], skip: u64, out: &mut [u8]) -> bool {
        self.gather_from(0, data, skip, out)
    }

    /// Like [`Extractor::gather`], starting at queue item `first` (`skip` counted from it). Gaps
    /// may be skipped over; a gap inside the gathered bytes fails.
    fn gather_from(&self, first: usize, data: &[u8], mut skip: u64, out: &mut [u8]) -> bool {
        let mut filled = 0usize;
        for it in self.queue.range(first..) {
            let len = it.len();
            if skip >= len {
                skip -= len;
                continue;
            }
            let Item::Data(p) = it else { return false };
            let k = usize::try_from(skip).unwrap_or(usize::MAX);
            let from = p.pos.saturating_add(k);
            let want = (out.len() - filled).min(p.len.saturating_sub(k));
            let (Some(src), Some(dst)) = (
                data.get(from..from.saturating_add(want)),
                out.get_mut(filled..filled + want),
            ) else {
                return false;
            };
            dst.copy_from_slice(src);
            filled += want;
            skip = 0;
            if filled == out.len() {
                return true;
            }
        }
        false
    }

    /// Drops `n` bytes (data or gap) from the front.
    fn drop_front(&mut self, mut n: u64) {
        while n > 0 {
            let Some(it) = self.queue.front_mut() else {
                break;
            };
            let len = it.len();
            if n >= len {
                n -= len;
                self.queue.pop_front();
            } else {
                match it {
                    Item::Data(p) => {
                        let k = usize::try_from(n).unwrap_or(0);
                        p.pos += k;
                        p.len -= k;
                        p.off += n;
                    }
                    Item::Gap { off, len } => {
                        *off += n;
                        *len -= n;
                    }
                }
                n = 0;
            }
        }
        self.front = self.queue.front().map_or(self.end, Item::off);
    }

    /// Takes `n` bytes from the front into a PDU (up to the first gap), dropping the rest.
    fn take_pdu(&mut self, data: &[u8], n: u64) -> (Vec<u8>, Vec<PieceRef>, u64) {
        let mut wire = Vec::with_capacity(usize::try_from(n.min(self.contiguous())).unwrap_or(0));
        let mut pieces = Vec::new();
        let mut left = n;
        let mut in_gap = false;
        let mut missing = 0u64;
        while left > 0 {
            let Some(it) = self.queue.front().copied() else {
                break;
            };
            let take = it.len().min(left);
            match it {
                Item::Data(p) if !in_gap => {
                    let k = usize::try_from(take).unwrap_or(0);
                    pieces.push(PieceRef {
                        frame: p.frame,
                        frame_start: p.frame_start,
                        pos: p.pos,
                        len: k,
                        pdu_offset: wire.len(),
                    });
                    wire.extend_from_slice(data.get(p.pos..p.pos + k).unwrap_or_default());
                }
                Item::Data(_) => missing += take,
                Item::Gap { .. } => {
                    in_gap = true;
                    missing += take;
                }
            }
            self.drop_front(take);
            left -= take;
        }
        (wire, pieces, missing.saturating_add(left))
    }

    /// Data bytes (gaps excluded) among the first `n` stream bytes of the queue.
    fn data_in_front(&self, mut n: u64) -> u64 {
        let mut d = 0u64;
        for it in &self.queue {
            if n == 0 {
                break;
            }
            let take = it.len().min(n);
            if matches!(it, Item::Data(_)) {
                d += take;
            }
            n -= take;
        }
        d
    }

    /// Notes that the `span` stream bytes at the front (at `off`) are about to be dropped.
    fn note_skip(&mut self, events: &mut Vec<Event>, off: u64, span: u64, why: &'static str) {
        let len = self.data_in_front(span);
        if span == 0 {
            return;
        }
        self.skipped = self.skipped.saturating_add(len);
        let at = match self.queue.front() {
            Some(Item::Data(p)) => Some((p.frame, p.pos)),
            _ => None,
        };
        let new = Skip {
            off,
            span,
            len,
            why,
            at,
        };
        self.skipping = match self.skipping {
            Some(mut k) if k.off.saturating_add(k.span) == off => {
                k.span += span;
                k.len += len;
                Some(k)
            }
            Some(k) => {
                if k.len > 0 {
                    events.push(Event::Skipped {
                        off: k.off,
                        len: k.len,
                        why: k.why,
                        at: k.at,
                    });
                }
                Some(new)
            }
            None => Some(new),
        };
    }

    /// Cuts every PDU that is complete; returns PDUs and events in stream order.
    pub(crate) fn pump(&mut self, data: &[u8], out: &mut Vec<FoundPdu>, events: &mut Vec<Event>) {
        loop {
            match self.mode {
                Mode::Tls => {
                    let raw = self.tls.get_or_insert_default();
                    for it in self.queue.drain(..) {
                        match it {
                            Item::Data(p) => {
                                raw.push(
                                    data,
                                    p.pos,
                                    p.len,
                                    p.frame,
                                    p.frame_start,
                                    self.tls_budget,
                                );
                            }
                            Item::Gap { .. } => raw.gap(),
                        }
                    }
                    self.front = self.end;
                    return;
                }
                Mode::Off => {
                    self.queue.clear();
                    self.front = self.end;
                    return;
                }
                Mode::Start | Mode::Synced => {
                    if let Some(Item::Gap { len, .. }) = self.queue.front().copied() {
                        // A gap where a header should be: where the next header is is unknown.
                        self.drop_front(len);
                        self.mode = Mode::Searching;
                        self.first_miss = Some("missing segment before it");
                        continue;
                    }
                    // A TLS record header where TACACS+ should start (RFC 9887 §3): opaque.
                    let mut tls = [0u8; 3];
                    if self.mode == Mode::Start && self.gather(data, 0, &mut tls) {
                        let [b0, b1, b2] = tls;
                        if b0 == 0x16 && b1 == 0x03 && b2 <= 4 {
                            self.force_tls();
                            events.push(Event::Tls);
                            continue;
                        }
                    }
                    let mut hb = [0u8; HEADER_LEN];
                    if self.contiguous() < HEADER_LEN as u64 {
                        if self.queue.iter().any(|i| matches!(i, Item::Gap { .. })) {
                            // the header is cut by a gap
                            let n = self.contiguous();
                            self.note_skip(
                                events,
                                self.front,
                                n,
                                "header cut by a missing segment",
                            );
                            self.drop_front(n);
                            self.mode = Mode::Searching;
                            continue;
                        }
                        return;
                    }
                    if !self.gather(data, 0, &mut hb) {
                        return;
                    }
                    let h = peek(hb);
                    let level = match self.mode {
                        Mode::Start if self.policy != Policy::Trusted || self.strict_start => {
                            Level::Strict
                        }
                        Mode::Start => Level::Lenient,
                        _ => Level::Synced,
                    };
                    if let Err(why) = check(&h, self.max_len, level) {
                        match (self.mode, self.policy) {
                            (Mode::Start, Policy::Probe) if !self.found => {
                                self.mode = Mode::Off;
                                events.push(Event::NotTacacs);
                            }
                            _ => {
                                self.mode = Mode::Searching;
                                self.first_miss = Some(why);
                            }
                        }
                        continue;
                    }
                    let total = HEADER_LEN as u64 + u64::from(h.length);
                    // wait until the whole PDU (data or gaps) is queued
                    if self.end.saturating_sub(self.front) < total {
                        return;
                    }
                    let off = self.front;
                    let (wire, pieces, missing) = self.take_pdu(data, total);
                    self.found = true;
                    self.mode = Mode::Synced;
                    self.flush_skip(events);
                    out.push(FoundPdu {
                        off,
                        header: h,
                        wire,
                        pieces,
                        missing,
                        cut_by_gap: missing > 0,
                    });
                }
                Mode::Searching => {
                    if let Some(found) = self.search(data) {
                        let off = self.front;
                        let why = self.first_miss.take().unwrap_or("not a TACACS+ header");
                        self.note_skip(events, off, found, why);
                        self.drop_front(found);
                        self.flush_skip(events);
                        self.mode = Mode::Synced;
                        continue;
                    }
                    // keep the last 11 bytes: they may start a header
                    let keep = (HEADER_LEN - 1) as u64;
                    let avail = self.end.saturating_sub(self.front);
                    if avail > keep {
                        let n = avail - keep;
                        let off = self.front;
                        let why = self.first_miss.unwrap_or("not a TACACS+ header");
                        self.note_skip(events, off, n, why);
                        self.drop_front(n);
                    }
                    if let Policy::ProbeSearch(budget) = self.policy
                        && !self.found
                        && self.skipped > budget
                    {
                        self.mode = Mode::Off;
                        self.skipping = None;
                        events.retain(|e| !matches!(e, Event::Skipped { .. }));
                        events.push(Event::NotTacacs);
                        continue;
                    }
                    return;
                }
            }
        }
    }

    /// Offset (from the front) of the first strictly plausible header, if one is queued whole.
    fn search(&self, data: &[u8]) -> Option<u64> {
        let mut base = 0u64;
        for (idx, it) in self.queue.iter().enumerate() {
            if let Item::Data(p) = it {
                let bytes = data.get(p.pos..p.pos + p.len).unwrap_or_default();
                for (i, &b) in bytes.iter().enumerate() {
                    if b >> 4 != 0xc {
                        continue;
                    }
                    let mut hb = [0u8; HEADER_LEN];
                    if self.gather_from(idx, data, i as u64, &mut hb)
                        && check(&peek(hb), self.max_len, Level::Strict).is_ok()
                    {
                        return Some(base + i as u64);
                    }
                }
            }
            base += it.len();
        }
        None
    }

    fn flush_skip(&mut self, events: &mut Vec<Event>) {
        if let Some(k) = self.skipping.take()
            && k.len > 0
        {
            events.push(Event::Skipped {
                off: k.off,
                len: k.len,
                why: k.why,
                at: k.at,
            });
        }
    }

    /// The stream ended: a PDU in progress is returned incomplete; skipped bytes are reported.
    pub(crate) fn finish(&mut self, data: &[u8], out: &mut Vec<FoundPdu>, events: &mut Vec<Event>) {
        self.pump(data, out, events);
        if matches!(self.mode, Mode::Start | Mode::Synced) {
            let mut hb = [0u8; HEADER_LEN];
            if self.gather(data, 0, &mut hb) {
                let h = peek(hb);
                let total = HEADER_LEN as u64 + u64::from(h.length);
                let off = self.front;
                let have = self.end.saturating_sub(self.front);
                let (wire, pieces, missing) = self.take_pdu(data, have);
                self.found = true;
                self.flush_skip(events);
                out.push(FoundPdu {
                    off,
                    header: h,
                    wire,
                    pieces,
                    missing: missing.saturating_add(total.saturating_sub(have)),
                    cut_by_gap: missing > 0,
                });
            }
        }
        let rest = self.end.saturating_sub(self.front);
        if rest > 0 && !matches!(self.mode, Mode::Off | Mode::Tls) {
            let off = self.front;
            let n = self.contiguous().min(rest);
            self.note_skip(events, off, n, "capture ended inside a header");
            self.queue.clear();
            self.front = self.end;
        }
        if !matches!(self.mode, Mode::Off | Mode::Tls) {
            self.flush_skip(events);
        }
    }
}
