//! libpcap and pcapng files, read in place (no copy of packet data).
//!
//! - pcap: the 24-byte file header (magic `a1b2c3d4` µs or `a1b23c4d` ns, in either byte order;
//!   also the "modified" `a1b2cd34` with 24-byte records) and 16-byte record headers
//!   (draft-ietf-opsawg-pcap §4, §5).
//! - pcapng: sections (SHB, either byte order), interface description blocks with `if_tsresol` and
//!   `if_tsoffset`, enhanced, simple and obsolete packet blocks; every other block is skipped
//!   (draft-ietf-opsawg-pcapng §3, §4).
//!
//! Both readers are total: a bad length ends the file with a diagnostic that has the byte offset;
//! nothing is allocated in proportion to a length field.

use core::ops::Range;

use crate::codec::{Reader, Span};

use super::diag::{Diags, codes};
use super::model::{CaptureDiagnostic, FrameTime, InputFormat, Link, Severity};
use super::source::Origin;

/// A frame found in a capture file: where its bytes are and what framing they have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawFrame {
    /// The frame's bytes, as offsets into the buffer the reader was given.
    pub data: Range<usize>,
    /// The whole record/block, as offsets into the buffer.
    pub block: Span,
    /// Length on the wire.
    pub original_len: u32,
    /// Capture time.
    pub time: Option<FrameTime>,
    /// Link-layer framing.
    pub link: Link,
    /// pcapng interface (numbered across sections).
    pub interface: Option<u32>,
}

/// The pcap magic numbers, as read big-endian from the first four bytes.
const PCAP_US: u32 = 0xa1b2_c3d4;
const PCAP_NS: u32 = 0xa1b2_3c4d;
const PCAP_MODIFIED: u32 = 0xa1b2_cd34;
/// pcapng section header block type (a palindrome) and byte-order magic.
const SHB: u32 = 0x0a0d_0d0a;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

/// The container format the first bytes announce, if any.
pub(crate) fn sniff(buf: &[u8]) -> Option<InputFormat> {
    let magic = buf.first_chunk::<4>().map(|m| u32::from_be_bytes(*m))?;
    match magic {
        PCAP_US | PCAP_NS | PCAP_MODIFIED => Some(InputFormat::Pcap),
        m if m.swap_bytes() == PCAP_US
            || m.swap_bytes() == PCAP_NS
            || m.swap_bytes() == PCAP_MODIFIED =>
        {
            Some(InputFormat::Pcap)
        }
        SHB => Some(InputFormat::Pcapng),
        _ => None,
    }
}

fn u16_of(b: [u8; 2], be: bool) -> u16 {
    if be {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    }
}

fn u32_of(b: [u8; 4], be: bool) -> u32 {
    if be {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// Reads a `u32` in the file's byte order.
fn read_u32(r: &mut Reader<'_>, be: bool, what: &'static str) -> Option<u32> {
    r.take_array::<4>(what).ok().map(|(b, _)| u32_of(b, be))
}

/// Seconds + sub-second ticks → nanoseconds since the epoch, saturating.
fn ns_from(secs: i64, frac_ns: i64) -> i64 {
    secs.saturating_mul(1_000_000_000).saturating_add(frac_ns)
}

/// A reader over a libpcap file.
#[derive(Debug)]
pub(crate) struct PcapReader<'a> {
    r: Reader<'a>,
    be: bool,
    nanos: bool,
    record_len: usize,
    link: Link,
    snaplen: u32,
    done: bool,
}

impl<'a> PcapReader<'a> {
    /// Reads the file header; `None` (with a diagnostic) when it is not a usable pcap header.
    pub(crate) fn open(
        buf: &'a [u8],
        origin: &Origin<'_>,
        diags: &mut Diags,
    ) -> Option<(Self, String)> {
        let mut r = Reader::new(buf);
        let Ok((magic, _)) = r.take_array::<4>("pcap magic") else {
            diags.push(
                CaptureDiagnostic::new(
                    codes::PCAP_TRUNCATED,
                    Severity::Error,
                    "pcap file header: need 24 bytes",
                )
                .at(origin.input(0)),
            );
            return None;
        };
        let (be, m) = match u32::from_be_bytes(magic) {
            m @ (PCAP_US | PCAP_NS | PCAP_MODIFIED) => (true, m),
            _ => (false, u32::from_le_bytes(magic)),
        };
        let (nanos, record_len) = match m {
            PCAP_US => (false, 16),
            PCAP_NS => (true, 16),
            PCAP_MODIFIED => (false, 24),
            _ => {
                diags.push(
                    CaptureDiagnostic::new(
                        codes::PCAP_BAD_MAGIC,
                        Severity::Error,
                        "not a pcap file: unknown magic number",
                    )
                    .at(origin.input(0)),
                );
                return None;
            }
        };
        let Ok((h, _)) = r.take_array::<20>("pcap file header") else {
            diags.push(
                CaptureDiagnostic::new(
                    codes::PCAP_TRUNCATED,
                    Severity::Error,
                    format!(
                        "pcap file header: need 24 bytes, the input has {}",
                        buf.len()
                    ),
                )
                .at(origin.input(0)),
            );
            return None;
        };
        let [
            v0,
            v1,
            v2,
            v3,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            _,
            s0,
            s1,
            s2,
            s3,
            l0,
            l1,
            l2,
            l3,
        ] = h;
        let major = u16_of([v0, v1], be);
        let minor = u16_of([v2, v3], be);
        let snaplen = u32_of([s0, s1, s2, s3], be);
        // The low 16 bits are the link type; the upper bits carry FCS information (pcap §4).
        let linktype = u32_of([l0, l1, l2, l3], be) & 0xffff;
        let link = Link::from_linktype(linktype);
        if major != 2 {
            diags.push(
                CaptureDiagnostic::new(
                    codes::PCAP_VERSION,
                    Severity::Warning,
                    format!("pcap version {major}.{minor} (expected 2.4); reading it as 2.4"),
                )
                .at(origin.input(4)),
            );
        }
        if let Link::Other(n) = link {
            diags.push(
                CaptureDiagnostic::new(
                    codes::UNSUPPORTED_LINK_TYPE,
                    Severity::Error,
                    format!("pcap link type {n} is not supported (Ethernet, Linux SLL/SLL2, raw IP, NULL/LOOP are)"),
                )
                .at(origin.input(20)),
            );
        }
        let detail = format!(
            "pcap {major}.{minor}, {}, {} timestamps{}, link type {linktype}, snaplen {snaplen}",
            if be { "big-endian" } else { "little-endian" },
            if nanos { "nanosecond" } else { "microsecond" },
            if record_len == 24 {
                " (modified pcap)"
            } else {
                ""
            },
        );
        Some((
            Self {
                r,
                be,
                nanos,
                record_len,
                link,
                snaplen,
                done: false,
            },
            detail,
        ))
    }

    /// The next frame, or `None` at the end (or at the first unreadable record, with a diagnostic).
    pub(crate) fn next_frame(
        &mut self,
        origin: &Origin<'_>,
        diags: &mut Diags,
    ) -> Option<RawFrame> {
        if self.done || self.r.is_empty() {
            return None;
        }
        let start = self.r.offset();
        let mut rec = match self.r.sub(self.record_len, "pcap record header") {
            Ok(rec) => rec,
            Err(_) => {
                self.done = true;
                diags.push(
                    CaptureDiagnostic::new(
                        codes::PCAP_TRUNCATED,
                        Severity::Error,
                        format!(
                            "pcap record header at offset {start}: need {} bytes, {} left",
                            self.record_len,
                            self.r.remaining()
                        ),
                    )
                    .at(origin.input(start)),
                );
                return None;
            }
        };
        let be = self.be;
        let secs = read_u32(&mut rec, be, "ts_sec").unwrap_or(0);
        let frac = read_u32(&mut rec, be, "ts_frac").unwrap_or(0);
        let incl = read_u32(&mut rec, be, "incl_len").unwrap_or(0);
        let orig = read_u32(&mut rec, be, "orig_len").unwrap_or(0);
        let data_start = self.r.offset();
        let want = usize::try_from(incl).unwrap_or(usize::MAX);
        let data = match self.r.take(want, "pcap packet data") {
            Ok((_, span)) => span,
            Err(_) => {
                // The file was cut (a capture copied while being written): keep what is there.
                self.done = true;
                let (_, span) = self.r.take_up_to(want);
                diags.push(
                    CaptureDiagnostic::new(
                        codes::PCAP_TRUNCATED,
                        Severity::Error,
                        format!(
                            "pcap record at offset {start}: incl_len {incl} but only {} bytes left; file cut short",
                            span.len()
                        ),
                    )
                    .at(origin.input(start)),
                );
                if span.is_empty() {
                    return None;
                }
                span
            }
        };
        if incl > self.snaplen && self.snaplen != 0 {
            diags.push(
                CaptureDiagnostic::new(
                    codes::PCAP_CAPLEN_OVER_SNAPLEN,
                    Severity::Warning,
                    format!(
                        "pcap record at offset {start}: incl_len {incl} exceeds the snaplen {}",
                        self.snaplen
                    ),
                )
                .at(origin.input(start)),
            );
        }
        let frac_ns = if self.nanos {
            i64::from(frac)
        } else {
            i64::from(frac).saturating_mul(1000)
        };
        Some(RawFrame {
            data: data_start..data.end,
            block: Span {
                start,
                end: data.end,
            },
            original_len: orig.max(u32::try_from(data.len()).unwrap_or(u32::MAX)),
            time: Some(FrameTime::epoch_ns(ns_from(i64::from(secs), frac_ns))),
            link: self.link,
            interface: None,
        })
    }
}

/// Timestamp resolution of a pcapng interface (`if_tsresol`, pcapng §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resolution {
    /// Units of 10^-n seconds.
    Pow10(u8),
    /// Units of 2^-n seconds.
    Pow2(u8),
}

impl Resolution {
    fn from_option(v: u8) -> Self {
        if v & 0x80 == 0 {
            Self::Pow10(v)
        } else {
            Self::Pow2(v & 0x7f)
        }
    }

    /// Timestamp units since the epoch → nanoseconds, saturating.
    fn to_ns(self, ts: u64) -> i64 {
        let ns: u128 = match self {
            Self::Pow10(e) if e <= 9 => u128::from(ts).saturating_mul(10u128.pow(9 - u32::from(e))),
            Self::Pow10(e) => match 10u128.checked_pow(u32::from(e) - 9) {
                Some(div) => u128::from(ts) / div,
                None => 0,
            },
            Self::Pow2(e) => {
                let scaled = u128::from(ts).saturating_mul(1_000_000_000);
                scaled.checked_shr(u32::from(e)).unwrap_or(0)
            }
        };
        i64::try_from(ns).unwrap_or(i64::MAX)
    }
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    link: Link,
    resolution: Resolution,
    offset_secs: i64,
    snaplen: u32,
    /// Global interface number across sections.
    global: u32,
}

/// A reader over a pcapng file.
#[derive(Debug)]
pub(crate) struct PcapngReader<'a> {
    r: Reader<'a>,
    be: bool,
    interfaces: Vec<Interface>,
    next_global: u32,
    sections: u32,
    unknown_reported: Vec<u32>,
    done: bool,
}

/// Block types (pcapng §4 and §10.1).
mod block {
    pub const IDB: u32 = 1;
    pub const OPB: u32 = 2;
    pub const SPB: u32 = 3;
    pub const NRB: u32 = 4;
    pub const ISB: u32 = 5;
    pub const EPB: u32 = 6;
    pub const DSB: u32 = 0x0a;
    pub const CUSTOM: u32 = 0x0bad;
    pub const CUSTOM_NOCOPY: u32 = 0x4000_0bad;
}

impl<'a> PcapngReader<'a> {
    /// Starts reading; the first block must be a section header (checked by the first
    /// [`PcapngReader::next_frame`] call).
    pub(crate) fn open(buf: &'a [u8]) -> Self {
        Self {
            r: Reader::new(buf),
            be: false,
            interfaces: Vec::new(),
            next_global: 0,
            sections: 0,
            unknown_reported: Vec::new(),
            done: false,
        }
    }

    /// A summary for [`super::model::FormatInfo::detail`], once the file has been read.
    pub(crate) fn detail(&self) -> String {
        format!(
            "pcapng, {} section(s), {} interface(s), last section {}",
            self.sections,
            self.next_global,
            if self.be {
                "big-endian"
            } else {
                "little-endian"
            }
        )
    }

    fn fail(
        &mut self,
        diags: &mut Diags,
        origin: &Origin<'_>,
        at: usize,
        msg: String,
    ) -> Option<RawFrame> {
        self.done = true;
        diags.push(
            CaptureDiagnostic::new(codes::PCAPNG_BAD_BLOCK, Severity::Error, msg)
                .at(origin.input(at)),
        );
        None
    }

    /// The next packet, skipping non-packet blocks; `None` at the end or at an unreadable block.
    pub(crate) fn next_frame(
        &mut self,
        origin: &Origin<'_>,
        diags: &mut Diags,
    ) -> Option<RawFrame> {
        loop {
            if self.done || self.r.is_empty() {
                return None;
            }
            let start = self.r.offset();
            let Ok((head, _)) = self.r.clone().take_array::<12>("pcapng block header") else {
                let left = self.r.remaining();
                return self.fail(
                    diags,
                    origin,
                    start,
                    format!("pcapng block at offset {start}: need at least 12 bytes, {left} left; file cut short"),
                );
            };
            let [t0, t1, t2, t3, n0, n1, n2, n3, m0, m1, m2, m3] = head;
            let btype_raw = [t0, t1, t2, t3];
            if u32::from_be_bytes(btype_raw) == SHB {
                // The byte order of the section is in its byte-order magic (pcapng §4.1).
                let magic = [m0, m1, m2, m3];
                if u32::from_be_bytes(magic) == BYTE_ORDER_MAGIC {
                    self.be = true;
                } else if u32::from_le_bytes(magic) == BYTE_ORDER_MAGIC {
                    self.be = false;
                } else {
                    return self.fail(
                        diags,
                        origin,
                        start + 8,
                        format!("pcapng section header at offset {start}: bad byte-order magic"),
                    );
                }
            } else if self.sections == 0 {
                return self.fail(
                    diags,
                    origin,
                    start,
                    "pcapng: the file does not start with a section header block".into(),
                );
            }
            let be = self.be;
            let btype = u32_of(btype_raw, be);
            let total = u32_of([n0, n1, n2, n3], be);
            let total_len = usize::try_from(total).unwrap_or(usize::MAX);
            if total < 12 || !total.is_multiple_of(4) {
                return self.fail(
                    diags,
                    origin,
                    start + 4,
                    format!("pcapng block at offset {start}: total length {total} is not a multiple of 4 of at least 12"),
                );
            }
            let Ok(mut blk) = self.r.sub(total_len, "pcapng block") else {
                let left = self.r.remaining();
                // Keep reading what can be read: a cut final packet block still yields its bytes.
                let mut cut = self.r.clone();
                let body = cut.take_up_to(left);
                self.done = true;
                diags.push(
                    CaptureDiagnostic::new(
                        codes::PCAPNG_TRUNCATED,
                        Severity::Error,
                        format!("pcapng block at offset {start}: length {total} but only {left} bytes left; file cut short"),
                    )
                    .at(origin.input(start)),
                );
                let mut blk = Reader::at(body.0, body.1.start);
                let _ = blk.take(8, "pcapng block header");
                return self.packet(btype, blk, start, true, origin, diags);
            };
            let _ = blk.take(8, "pcapng block header");
            // The body ends before the trailing copy of the total length.
            let body_len = total_len.saturating_sub(12);
            let Ok(body) = blk.sub(body_len, "pcapng block body") else {
                continue;
            };
            if let Ok((trailer, _)) = blk.take_array::<4>("pcapng block trailer")
                && u32_of(trailer, be) != total
            {
                diags.push(
                    CaptureDiagnostic::new(
                        codes::PCAPNG_LENGTH_MISMATCH,
                        Severity::Warning,
                        format!("pcapng block at offset {start}: trailing length differs from the leading length {total}"),
                    )
                    .at(origin.input(start + total_len.saturating_sub(4))),
                );
            }
            match btype {
                SHB => {
                    self.sections = self.sections.saturating_add(1);
                    self.interfaces.clear();
                    let mut b = body;
                    let _ = b.take(4, "byte-order magic");
                    let version = b.take_array::<4>("version").ok().map(|(v, _)| v);
                    if let Some([a, b2, c, d]) = version {
                        let major = u16_of([a, b2], be);
                        if major != 1 {
                            let minor = u16_of([c, d], be);
                            diags.push(
                                CaptureDiagnostic::new(
                                    codes::PCAPNG_VERSION,
                                    Severity::Warning,
                                    format!(
                                        "pcapng section version {major}.{minor} (expected 1.0)"
                                    ),
                                )
                                .at(origin.input(start + 12)),
                            );
                        }
                    }
                }
                block::IDB => self.interface(body, start, origin, diags),
                block::EPB | block::SPB | block::OPB => {
                    if let Some(f) = self.packet(btype, body, start, false, origin, diags) {
                        return Some(f);
                    }
                }
                block::NRB | block::ISB | block::DSB | block::CUSTOM | block::CUSTOM_NOCOPY => {}
                other => {
                    if !self.unknown_reported.contains(&other) {
                        self.unknown_reported.push(other);
                        diags.push(
                            CaptureDiagnostic::new(
                                codes::PCAPNG_UNKNOWN_BLOCK,
                                Severity::Info,
                                format!(
                                    "pcapng block type {other:#010x} at offset {start} skipped"
                                ),
                            )
                            .at(origin.input(start)),
                        );
                    }
                }
            }
        }
    }

    fn interface(
        &mut self,
        mut body: Reader<'_>,
        start: usize,
        origin: &Origin<'_>,
        diags: &mut Diags,
    ) {
        let be = self.be;
        let linktype = body
            .take_array::<2>("linktype")
            .map(|(b, _)| u16_of(b, be))
            .unwrap_or(0);
        let _ = body.take(2, "reserved");
        let snaplen = read_u32(&mut body, be, "snaplen").unwrap_or(0);
        let mut iface = Interface {
            link: Link::from_linktype(u32::from(linktype)),
            resolution: Resolution::Pow10(6),
            offset_secs: 0,
            snaplen,
            global: self.next_global,
        };
        // Options (pcapng §3.5): code, length, value padded to 32 bits; opt_endofopt = 0.
        while body.remaining() >= 4 {
            let code = body
                .take_array::<2>("option code")
                .map(|(b, _)| u16_of(b, be))
                .unwrap_or(0);
            let len = body
                .take_array::<2>("option length")
                .map(|(b, _)| u16_of(b, be))
                .unwrap_or(0);
            if code == 0 {
                break;
            }
            let len = usize::from(len);
            let padded = len.saturating_add(3) & !3;
            let Ok(mut v) = body.sub(padded.min(body.remaining()), "option value") else {
                break;
            };
            let value = v.take_up_to(len).0;
            match (code, value) {
                (9, [r]) => iface.resolution = Resolution::from_option(*r),
                (14, v8) if v8.len() == 8 => {
                    if let Some(b) = v8.first_chunk::<8>() {
                        iface.offset_secs = if be {
                            i64::from_be_bytes(*b)
                        } else {
                            i64::from_le_bytes(*b)
                        };
                    }
                }
                _ => {}
            }
        }
        if let Link::Other(n) = iface.link {
            diags.push(
                CaptureDiagnostic::new(
                    codes::UNSUPPORTED_LINK_TYPE,
                    Severity::Error,
                    format!(
                        "pcapng interface {}: link type {n} is not supported (Ethernet, Linux SLL/SLL2, raw IP, NULL/LOOP are)",
                        iface.global
                    ),
                )
                .at(origin.input(start)),
            );
        }
        self.next_global = self.next_global.saturating_add(1);
        self.interfaces.push(iface);
    }

    fn packet(
        &mut self,
        btype: u32,
        mut body: Reader<'_>,
        start: usize,
        cut: bool,
        origin: &Origin<'_>,
        diags: &mut Diags,
    ) -> Option<RawFrame> {
        let be = self.be;
        let (if_id, ts, caplen, orig) = match btype {
            block::EPB => {
                let if_id = read_u32(&mut body, be, "interface id")?;
                let hi = read_u32(&mut body, be, "timestamp (high)")?;
                let lo = read_u32(&mut body, be, "timestamp (low)")?;
                let cap = read_u32(&mut body, be, "captured length")?;
                let orig = read_u32(&mut body, be, "original length")?;
                (
                    if_id,
                    Some((u64::from(hi) << 32) | u64::from(lo)),
                    cap,
                    orig,
                )
            }
            block::OPB => {
                let (id, _) = body.take_array::<2>("interface id").ok()?;
                let _ = body.take(2, "drops count");
                let hi = read_u32(&mut body, be, "timestamp (high)")?;
                let lo = read_u32(&mut body, be, "timestamp (low)")?;
                let cap = read_u32(&mut body, be, "captured length")?;
                let orig = read_u32(&mut body, be, "original length")?;
                (
                    u32::from(u16_of(id, be)),
                    Some((u64::from(hi) << 32) | u64::from(lo)),
                    cap,
                    orig,
                )
            }
            _ => {
                // Simple packet block (pcapng §4.4): interface 0, no timestamp; the captured length
                // is the original length cut to the interface's snaplen and to the block.
                let orig = read_u32(&mut body, be, "original length")?;
                let snap = self.interfaces.first().map_or(0, |i| i.snaplen);
                let cap = if snap == 0 { orig } else { orig.min(snap) };
                (0, None, cap, orig)
            }
        };
        let Some(iface) = usize::try_from(if_id)
            .ok()
            .and_then(|i| self.interfaces.get(i))
            .copied()
        else {
            diags.push(
                CaptureDiagnostic::new(
                    codes::PCAPNG_BAD_INTERFACE,
                    Severity::Error,
                    format!("pcapng packet block at offset {start}: interface {if_id} was not described; packet skipped"),
                )
                .at(origin.input(start)),
            );
            return None;
        };
        let want = usize::try_from(caplen).unwrap_or(usize::MAX);
        let avail = body.remaining();
        let (_, data) = body.take_up_to(want);
        if want > avail && !cut {
            diags.push(
                CaptureDiagnostic::new(
                    codes::PCAPNG_BAD_BLOCK,
                    Severity::Error,
                    format!("pcapng packet block at offset {start}: captured length {caplen} exceeds the block ({avail} bytes)"),
                )
                .at(origin.input(start)),
            );
        }
        let time = ts.map(|t| {
            let ns = iface.resolution.to_ns(t);
            FrameTime::epoch_ns(ns.saturating_add(iface.offset_secs.saturating_mul(1_000_000_000)))
        });
        Some(RawFrame {
            data: data.range(),
            block: Span {
                start,
                end: body.offset().max(data.end),
            },
            original_len: orig.max(u32::try_from(data.len()).unwrap_or(u32::MAX)),
            time,
            link: iface.link,
            interface: Some(iface.global),
        })
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pcap_le(records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&PCAP_US.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        for (s, us, d) in records {
            v.extend_from_slice(&s.to_le_bytes());
            v.extend_from_slice(&us.to_le_bytes());
            v.extend_from_slice(&(d.len() as u32).to_le_bytes());
            v.extend_from_slice(&(d.len() as u32).to_le_bytes());
            v.extend_from_slice(d);
        }
        v
    }

    #[test]
    fn pcap_records_and_times() {
        let buf = pcap_le(&[(1_700_000_000, 250, b"abc"), (1_700_000_001, 0, b"de")]);
        let mut d = Diags::default();
        let (mut r, detail) = PcapReader::open(&buf, &Origin::identity(), &mut d).unwrap();
        assert!(detail.contains("little-endian"), "{detail}");
        let f = r.next_frame(&Origin::identity(), &mut d).unwrap();
        assert_eq!(&buf[f.data.clone()], b"abc");
        assert_eq!(f.time.unwrap().ns, 1_700_000_000_000_250_000);
        assert_eq!(f.link, Link::Ethernet);
        let f = r.next_frame(&Origin::identity(), &mut d).unwrap();
        assert_eq!(&buf[f.data], b"de");
        assert!(r.next_frame(&Origin::identity(), &mut d).is_none());
        assert!(d.finish().0.is_empty());
    }

    #[test]
    fn pcap_cut_short_keeps_what_is_there_and_says_where() {
        let mut buf = pcap_le(&[(1, 0, b"abcdef")]);
        buf.truncate(buf.len() - 2);
        let mut d = Diags::default();
        let (mut r, _) = PcapReader::open(&buf, &Origin::identity(), &mut d).unwrap();
        let f = r.next_frame(&Origin::identity(), &mut d).unwrap();
        assert_eq!(&buf[f.data], b"abcd");
        assert!(r.next_frame(&Origin::identity(), &mut d).is_none());
        let (list, _) = d.finish();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].code, codes::PCAP_TRUNCATED);
        assert_eq!(list[0].offset, Some(24));
    }

    #[test]
    fn pcap_huge_incl_len_is_cheap() {
        let mut buf = pcap_le(&[]);
        buf.extend_from_slice(&[
            0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let mut d = Diags::default();
        let (mut r, _) = PcapReader::open(&buf, &Origin::identity(), &mut d).unwrap();
        assert!(r.next_frame(&Origin::identity(), &mut d).is_none());
        assert_eq!(d.count(codes::PCAP_TRUNCATED), 1);
    }

    #[test]
    fn tsresol_conversions() {
        assert_eq!(Resolution::Pow10(6).to_ns(1_500_000), 1_500_000_000);
        assert_eq!(Resolution::Pow10(9).to_ns(7), 7);
        assert_eq!(Resolution::Pow10(12).to_ns(7_000), 7);
        assert_eq!(Resolution::from_option(0x8a).to_ns(1024), 1_000_000_000);
        assert_eq!(Resolution::Pow10(127).to_ns(u64::MAX), 0);
        assert_eq!(Resolution::Pow10(0).to_ns(u64::MAX), i64::MAX);
    }

    #[test]
    fn pcapng_must_start_with_a_section_header() {
        let buf = [1u8, 0, 0, 0, 12, 0, 0, 0, 12, 0, 0, 0];
        let mut d = Diags::default();
        let mut r = PcapngReader::open(&buf);
        assert!(r.next_frame(&Origin::identity(), &mut d).is_none());
        assert_eq!(d.count(codes::PCAPNG_BAD_BLOCK), 1);
    }
}
