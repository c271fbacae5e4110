//! TCP reassembly of one direction of a connection (RFC 9293 §3.4 sequence numbers).
//!
//! Segments are placed by sequence number relative to the initial sequence number (the SYN's + 1,
//! or the first segment seen when the capture missed the SYN). In-order bytes go straight to the
//! [`Extractor`]; early segments wait (bounded); bytes seen before are dropped as retransmissions
//! (and compared with the first copy while it is still held); a hole that is never filled becomes
//! a gap when the waiting data exceeds its bound or the stream ends. Nothing is copied: pieces are
//! ranges of the capture's buffer.

use std::collections::BTreeMap;

use super::framing::{Event, Extractor, FoundPdu, Piece};
use super::model::Gap;

#[derive(Clone, Copy, Debug)]
struct Early {
    pos: usize,
    len: usize,
    frame: u32,
    frame_start: usize,
}

/// One direction of a connection: its TCP byte stream being reassembled.
#[derive(Debug)]
pub(crate) struct HalfStream {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// Stream offset expected next.
    next: u64,
    early: BTreeMap<u64, Early>,
    early_bytes: usize,
    max_early: usize,
    probe_budget: u64,
    /// The PDU cutter.
    pub ext: Extractor,
    /// Segments that came before earlier data.
    pub out_of_order: u32,
    /// Bytes seen again.
    pub retransmitted: u64,
    /// Retransmitted bytes that differ from the first copy.
    pub conflicting: u64,
    /// Missing pieces, with the frame (0-based) that revealed each.
    pub gaps: Vec<(Gap, u32)>,
    /// Data arrived that lies before the stream's start (capture began mid-connection).
    pub before_start: u64,
    /// A SYN was seen.
    pub syn: bool,
    /// A FIN was seen.
    pub fin: bool,
    /// Stream offset of the FIN.
    fin_at: Option<u64>,
}

impl HalfStream {
    pub(crate) fn new(ext: Extractor, max_early: usize, probe_budget: u64) -> Self {
        Self {
            base: None,
            next: 0,
            early: BTreeMap::new(),
            early_bytes: 0,
            max_early,
            probe_budget,
            ext,
            out_of_order: 0,
            retransmitted: 0,
            conflicting: 0,
            gaps: Vec::new(),
            before_start: 0,
            syn: false,
            fin: false,
            fin_at: None,
        }
    }

    /// Bytes delivered so far (stream length, gaps included).
    pub(crate) fn delivered(&self) -> u64 {
        self.next
    }

    /// Sequence number of stream offset 0, once known.
    pub(crate) fn base(&self) -> Option<u32> {
        self.base
    }

    /// Relative sequence number for display (Wireshark's relative "Seq").
    pub(crate) fn relative(&self, seq: u32) -> u32 {
        self.base.map_or(0, |b| seq.wrapping_sub(b))
    }

    /// Stream offset of `seq`: the 64-bit offset nearest to `next` with those low 32 bits.
    fn offset_of(&self, seq: u32, base: u32) -> Option<u64> {
        let rel = seq.wrapping_sub(base);
        let delta = i64::from(rel.wrapping_sub(self.next as u32) as i32);
        let off = i64::try_from(self.next).ok()?.checked_add(delta)?;
        u64::try_from(off).ok()
    }

    /// Handles one segment: `flags` SYN/FIN, payload `len` bytes at `pos` of `data`, `missing`
    /// more bytes on the wire that the capture cut off.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        pos: usize,
        len: usize,
        missing: usize,
        frame: u32,
        frame_start: usize,
        data: &[u8],
        out: &mut Vec<FoundPdu>,
        events: &mut Vec<Event>,
    ) {
        if syn {
            self.syn = true;
            if self.base.is_none() || self.next == 0 {
                self.base = Some(seq.wrapping_add(1));
            }
            // data on a SYN (TCP Fast Open) starts at seq + 1
            if len == 0 {
                return;
            }
        }
        let total = len.saturating_add(missing);
        let start_seq = if syn { seq.wrapping_add(1) } else { seq };
        if fin {
            self.fin = true;
            if let Some(base) = self.base
                && let Some(off) = self.offset_of(start_seq, base)
            {
                // the FIN occupies the sequence number after the data
                self.fin_at = Some(off.saturating_add(total as u64));
            }
        }
        if total == 0 {
            return;
        }
        if self.base.is_none() {
            self.ext.mid_stream(self.probe_budget);
        }
        let base = *self.base.get_or_insert(start_seq);
        let Some(off) = self.offset_of(start_seq, base) else {
            self.before_start = self.before_start.saturating_add(total as u64);
            return;
        };
        self.place(off, pos, len, frame, frame_start, data, out, events);
        if missing > 0 {
            // bytes the capture cut off (snaplen): a gap right after the captured part
            let gap_at = off.saturating_add(len as u64);
            if gap_at == self.next {
                self.add_gap(gap_at, missing as u64, frame);
                self.drain(data, out, events);
            }
        }
        self.ext.pump(data, out, events);
    }

    #[allow(clippy::too_many_arguments)]
    fn place(
        &mut self,
        off: u64,
        pos: usize,
        len: usize,
        frame: u32,
        frame_start: usize,
        data: &[u8],
        out: &mut Vec<FoundPdu>,
        events: &mut Vec<Event>,
    ) {
        if len == 0 {
            return;
        }
        let end = off.saturating_add(len as u64);
        if end <= self.next {
            self.retransmission(off, pos, len, data);
            return;
        }
        if off > self.next {
            self.out_of_order = self.out_of_order.saturating_add(1);
            let keep = self.early.get(&off).is_none_or(|e| e.len < len);
            if keep {
                let old = self
                    .early
                    .insert(
                        off,
                        Early {
                            pos,
                            len,
                            frame,
                            frame_start,
                        },
                    )
                    .map_or(0, |e| e.len);
                self.early_bytes = self.early_bytes.saturating_sub(old).saturating_add(len);
            }
            while self.early_bytes > self.max_early {
                // too much waits for a hole that is not filled: give the hole up
                let Some((&first, e)) = self.early.iter().next() else {
                    break;
                };
                let f = e.frame;
                self.add_gap(self.next, first - self.next, f);
                self.drain(data, out, events);
                self.ext.pump(data, out, events);
            }
            return;
        }
        // overlaps what was delivered: keep only the new tail
        let dup = usize::try_from(self.next - off).unwrap_or(len).min(len);
        if dup > 0 {
            self.retransmission(off, pos, dup, data);
        }
        let piece = Piece {
            off: self.next,
            pos: pos + dup,
            len: len - dup,
            frame,
            frame_start,
        };
        self.next = self.next.saturating_add((len - dup) as u64);
        self.ext.push(piece);
        self.drain(data, out, events);
    }

    fn retransmission(&mut self, off: u64, pos: usize, len: usize, data: &[u8]) {
        self.retransmitted = self.retransmitted.saturating_add(len as u64);
        if let Some(bytes) = data.get(pos..pos.saturating_add(len)) {
            self.conflicting = self
                .conflicting
                .saturating_add(self.ext.compare(data, off, bytes));
        }
    }

    fn add_gap(&mut self, off: u64, len: u64, frame: u32) {
        if len == 0 {
            return;
        }
        self.gaps.push((Gap { offset: off, len }, frame));
        self.ext.gap(off, len);
        self.next = off.saturating_add(len);
    }

    /// Delivers waiting segments that the stream has reached.
    fn drain(&mut self, data: &[u8], out: &mut Vec<FoundPdu>, events: &mut Vec<Event>) {
        while let Some((&off, &e)) = self.early.iter().next() {
            if off > self.next {
                break;
            }
            self.early.remove(&off);
            self.early_bytes = self.early_bytes.saturating_sub(e.len);
            let end = off.saturating_add(e.len as u64);
            if end <= self.next {
                self.retransmission(off, e.pos, e.len, data);
                continue;
            }
            let dup = usize::try_from(self.next - off).unwrap_or(0).min(e.len);
            if dup > 0 {
                self.retransmission(off, e.pos, dup, data);
            }
            self.ext.push(Piece {
                off: self.next,
                pos: e.pos + dup,
                len: e.len - dup,
                frame: e.frame,
                frame_start: e.frame_start,
            });
            self.next = end;
        }
        let _ = (out, events);
    }

    /// The peer acknowledged everything before `ack` (in frame `frame`): bytes before it that the
    /// capture has not seen will never come (a receiver is not sent what it acknowledged), so a
    /// hole there is a gap now ("ACKed unseen segment").
    pub(crate) fn acked(
        &mut self,
        ack: u32,
        frame: u32,
        data: &[u8],
        out: &mut Vec<FoundPdu>,
        events: &mut Vec<Event>,
    ) {
        let Some(base) = self.base else { return };
        let Some(ack_off) = self.offset_of(ack, base) else {
            return;
        };
        // a FIN takes one sequence number: acknowledging it is not acknowledging data
        let ack_off = self.fin_at.map_or(ack_off, |f| ack_off.min(f));
        if ack_off <= self.next {
            return;
        }
        let limit = self
            .early
            .keys()
            .next()
            .copied()
            .unwrap_or(ack_off)
            .min(ack_off);
        let hole = limit - self.next;
        self.add_gap(self.next, hole, frame);
        self.drain(data, out, events);
        self.ext.pump(data, out, events);
    }

    /// End of the capture (or of the connection): holes still waiting become gaps, the extractor
    /// flushes.
    pub(crate) fn finish(&mut self, data: &[u8], out: &mut Vec<FoundPdu>, events: &mut Vec<Event>) {
        while let Some((&first, e)) = self.early.iter().next() {
            let f = e.frame;
            self.add_gap(self.next, first.saturating_sub(self.next), f);
            self.drain(data, out, events);
        }
        self.ext.finish(data, out, events);
    }
}
