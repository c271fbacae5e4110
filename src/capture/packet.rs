//! From a frame's bytes to a TCP segment: link layer (Ethernet with VLAN tags, Linux SLL/SLL2, BSD
//! NULL/LOOP, raw IP), IPv4/IPv6 and TCP, sliced by `etherparse` (lax mode: a frame cut by the
//! snaplen still yields what it holds). Also the sniffing of frames in text dumps, which carry no
//! link type.

use core::net::IpAddr;
use core::ops::Range;

use etherparse::err::ip::LaxHeaderSliceError;
use etherparse::err::packet::SliceError;
use etherparse::err::{Layer, LenError};
use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice, ip_number};

use super::model::{Endpoint, Link, TcpFlags};

/// A TCP segment found in a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Sender.
    pub src: Endpoint,
    /// Receiver.
    pub dst: Endpoint,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful with the ACK flag).
    pub ack: u32,
    /// TCP flags.
    pub flags: TcpFlags,
    /// The captured payload, as offsets in the frame.
    pub payload: Range<usize>,
    /// Payload bytes on the wire that the capture did not keep (snaplen).
    pub missing: usize,
}

/// What a frame turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Dissected {
    /// A TCP segment.
    Tcp(Segment),
    /// IP, but not TCP (UDP, ICMP, ...), or not IP at all (ARP, ...): not interesting.
    Other,
    /// An IP fragment: TCP over fragmented IP is not reassembled.
    Fragment,
    /// The headers are broken; the message says how.
    Malformed(String),
}

/// Offset of `inner` inside `outer`, when `inner` is a sub-slice of it.
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let off = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (off.checked_add(inner.len())? <= outer.len()).then_some(off)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)?
        .first_chunk::<2>()
        .map(|a| u16::from_be_bytes(*a))
}

/// The address family of a BSD NULL header (host byte order, so both orders are tried).
fn null_is_ip(header: [u8; 4]) -> bool {
    let le = u32::from_le_bytes(header);
    let be = u32::from_be_bytes(header);
    // AF_INET 2; AF_INET6 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS)
    [2, 10, 24, 28, 30].contains(&le) || [2, 10, 24, 28, 30].contains(&be)
}

// Errors are described here rather than with etherparse's `Display`, which would bring the text
// of every error of every protocol it knows into the wasm build.

fn layer_name(l: Layer) -> &'static str {
    match l {
        Layer::LinuxSllHeader => "Linux cooked header",
        Layer::Ethernet2Header | Layer::EtherPayload => "Ethernet header",
        Layer::VlanHeader => "VLAN tag",
        Layer::IpHeader | Layer::Ipv4Header | Layer::Ipv4Packet => "IP header",
        Layer::Ipv6Header | Layer::Ipv6Packet => "IPv6 header",
        Layer::IpAuthHeader
        | Layer::Ipv6ExtHeader
        | Layer::Ipv6HopByHopHeader
        | Layer::Ipv6DestOptionsHeader
        | Layer::Ipv6RouteHeader
        | Layer::Ipv6FragHeader => "IP extension header",
        Layer::TcpHeader => "TCP header",
        _ => "header",
    }
}

fn truncated(e: &LenError) -> String {
    format!(
        "{} cut short: needs {} bytes, {} there",
        layer_name(e.layer),
        e.required_len,
        e.len
    )
}

fn ip_error(e: &LaxHeaderSliceError) -> String {
    match e {
        LaxHeaderSliceError::Len(l) => truncated(l),
        LaxHeaderSliceError::Content(_) => {
            "IP header invalid (version or header length)".to_owned()
        }
    }
}

fn slice_error(e: &SliceError, layer: Layer) -> String {
    match e {
        SliceError::Len(l) => truncated(l),
        _ => format!("{} invalid", layer_name(layer)),
    }
}

/// Slices a frame with the given link type down to TCP.
pub(crate) fn dissect(frame: &[u8], link: Link) -> Dissected {
    let sliced = match link {
        Link::Ethernet => match LaxSlicedPacket::from_ethernet(frame) {
            Ok(p) => p,
            Err(e) => return Dissected::Malformed(truncated(&e)),
        },
        Link::LinuxSll | Link::LinuxSll2 => {
            let (proto_at, hdr) = if link == Link::LinuxSll {
                (14, 16)
            } else {
                (0, 20)
            };
            let (Some(proto), Some(rest)) = (be16(frame, proto_at), frame.get(hdr..)) else {
                return Dissected::Malformed(format!(
                    "Linux cooked header: need {hdr} bytes, frame has {}",
                    frame.len()
                ));
            };
            LaxSlicedPacket::from_ether_type(EtherType(proto), rest)
        }
        Link::Null | Link::Loop => {
            let (Some(head), Some(rest)) = (frame.first_chunk::<4>(), frame.get(4..)) else {
                return Dissected::Malformed("loopback header: need 4 bytes".into());
            };
            if !null_is_ip(*head) {
                return Dissected::Other;
            }
            match LaxSlicedPacket::from_ip(rest) {
                Ok(p) => p,
                Err(e) => return Dissected::Malformed(ip_error(&e)),
            }
        }
        Link::RawIp => match LaxSlicedPacket::from_ip(frame) {
            Ok(p) => p,
            Err(e) => return Dissected::Malformed(ip_error(&e)),
        },
        Link::Payload | Link::Other(_) => return Dissected::Other,
    };
    let (src, dst, declared_end) = match &sliced.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let start = offset_in(frame, h.slice()).unwrap_or(0);
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                start.saturating_add(usize::from(h.total_len())),
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let start = offset_in(frame, h.slice()).unwrap_or(0);
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                start
                    .saturating_add(40)
                    .saturating_add(usize::from(h.payload_length())),
            )
        }
        _ => {
            return match sliced.stop_err {
                Some((e, layer)) => Dissected::Malformed(slice_error(&e, layer)),
                None => Dissected::Other,
            };
        }
    };
    let Some(payload) = sliced.net.as_ref().and_then(LaxNetSlice::ip_payload_ref) else {
        return Dissected::Other;
    };
    if payload.fragmented {
        return if payload.ip_number == ip_number::TCP {
            Dissected::Fragment
        } else {
            Dissected::Other
        };
    }
    if payload.ip_number != ip_number::TCP {
        return Dissected::Other;
    }
    let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
        return match sliced.stop_err {
            Some((e, layer)) => Dissected::Malformed(slice_error(&e, layer)),
            None => Dissected::Malformed("TCP header missing".into()),
        };
    };
    let data = tcp.payload();
    let Some(start) = offset_in(frame, data) else {
        return Dissected::Malformed("TCP payload outside the frame".into());
    };
    let end = start.saturating_add(data.len());
    let missing = if payload.incomplete {
        declared_end.saturating_sub(end)
    } else {
        0
    };
    let mut flags = 0u8;
    for (set, bit) in [
        (tcp.fin(), TcpFlags::FIN),
        (tcp.syn(), TcpFlags::SYN),
        (tcp.rst(), TcpFlags::RST),
        (tcp.psh(), TcpFlags::PSH),
        (tcp.ack(), TcpFlags::ACK),
        (tcp.urg(), 0x20),
        (tcp.ece(), 0x40),
        (tcp.cwr(), 0x80),
    ] {
        if set {
            flags |= bit;
        }
    }
    Dissected::Tcp(Segment {
        src: Endpoint {
            ip: src,
            port: tcp.source_port(),
        },
        dst: Endpoint {
            ip: dst,
            port: tcp.destination_port(),
        },
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: TcpFlags(flags),
        payload: start..end,
        missing,
    })
}

/// True when `b` starts with a plausible IPv4/IPv6 header carrying TCP. With `exact`, the IP
/// length must also account for the bytes (up to Ethernet padding), so a line of a wrapped dump
/// is not taken for a frame.
fn ip_at(b: &[u8], exact: bool) -> bool {
    let Some(&v) = b.first() else { return false };
    match v >> 4 {
        4 => {
            let ihl = usize::from(v & 0x0f) * 4;
            let (Some(total), Some(hdr)) = (be16(b, 2), b.get(..ihl)) else {
                return false;
            };
            let total = usize::from(total);
            if ihl < 20 || total < ihl || b.get(9) != Some(&6) {
                return false;
            }
            // RFC 791 header checksum: the ones' complement sum over the header is 0xffff.
            let sum = hdr.chunks(2).fold(0u32, |acc, c| {
                acc + u32::from(u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ]))
            });
            let folded = (sum & 0xffff) + (sum >> 16);
            let folded = (folded & 0xffff) + (folded >> 16);
            let checksum_ok = folded == 0xffff && be16(b, 10) != Some(0);
            let len_ok = if exact {
                total == b.len() || (total < b.len() && b.len() <= 46)
            } else {
                total <= b.len()
            };
            (checksum_ok && (!exact || len_ok)) || (be16(b, 10) == Some(0) && len_ok)
        }
        6 => {
            let (Some(plen), Some(&nh)) = (be16(b, 4), b.get(6)) else {
                return false;
            };
            let total = 40 + usize::from(plen);
            [6, 0, 43, 44, 60, 51].contains(&nh)
                && b.len() >= 40
                && if exact {
                    total == b.len()
                } else {
                    total <= b.len()
                }
        }
        _ => false,
    }
}

/// The link framing of a frame from a text dump or a raw file (which carry no link type):
/// a frame shape with a valid IP header wins, else the bytes are taken as TCP payload.
pub(crate) fn sniff_link(b: &[u8]) -> Link {
    sniff(b, false).unwrap_or(Link::Payload)
}

/// True when `b` is exactly one whole frame (used to split a block of hex lines into frames).
pub(crate) fn is_whole_frame(b: &[u8]) -> bool {
    sniff(b, true).is_some()
}

fn sniff(b: &[u8], exact: bool) -> Option<Link> {
    if ip_at(b, exact) {
        return Some(Link::RawIp);
    }
    // Ethernet II, skipping 802.1Q / 802.1ad / QinQ tags.
    let mut at = 12;
    for _ in 0..3 {
        match be16(b, at) {
            Some(0x8100 | 0x88a8 | 0x9100) => at += 4,
            Some(0x0800 | 0x86dd) => {
                if b.get(at + 2..).is_some_and(|ip| ip_at(ip, exact)) {
                    return Some(Link::Ethernet);
                }
                break;
            }
            _ => break,
        }
    }
    // Linux SLL: protocol at 14, IP at 16.
    if matches!(be16(b, 14), Some(0x0800 | 0x86dd))
        && be16(b, 0).is_some_and(|t| t <= 4)
        && b.get(16..).is_some_and(|ip| ip_at(ip, exact))
    {
        return Some(Link::LinuxSll);
    }
    // Linux SLL2: protocol at 0, reserved zero, IP at 20.
    if matches!(be16(b, 0), Some(0x0800 | 0x86dd))
        && be16(b, 2) == Some(0)
        && b.get(20..).is_some_and(|ip| ip_at(ip, exact))
    {
        return Some(Link::LinuxSll2);
    }
    // BSD NULL / LOOP
    if b.first_chunk::<4>().is_some_and(|h| null_is_ip(*h))
        && b.get(4..).is_some_and(|ip| ip_at(ip, exact))
    {
        return Some(Link::Null);
    }
    None
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A minimal IPv4/TCP packet with a correct header checksum.
    pub(crate) fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
        let total = 20 + 20 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            6,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        let sum: u32 = p
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        let sum = (sum & 0xffff) + (sum >> 16);
        let ck = !(sum as u16);
        p[10..12].copy_from_slice(&ck.to_be_bytes());
        p.extend_from_slice(&[
            0x9c, 0x40, 0, 49, 0, 0, 0, 100, 0, 0, 0, 0, 0x50, 0x18, 0xfa, 0xf0, 0, 0, 0, 0,
        ]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn raw_ip_tcp_segment() {
        let p = ipv4_tcp(b"\xc0\x01\x01\x00");
        assert_eq!(sniff_link(&p), Link::RawIp);
        assert!(is_whole_frame(&p));
        let Dissected::Tcp(s) = dissect(&p, Link::RawIp) else {
            panic!()
        };
        assert_eq!(s.src.to_string(), "10.0.0.1:40000");
        assert_eq!(s.dst.port, 49);
        assert_eq!(s.seq, 100);
        assert_eq!(&p[s.payload], b"\xc0\x01\x01\x00");
        assert_eq!(s.missing, 0);
    }

    #[test]
    fn cut_frame_reports_missing_payload() {
        let mut p = ipv4_tcp(&[7; 30]);
        p.truncate(p.len() - 10);
        let Dissected::Tcp(s) = dissect(&p, Link::RawIp) else {
            panic!()
        };
        assert_eq!(s.payload.len(), 20);
        assert_eq!(s.missing, 10);
    }

    #[test]
    fn sniffs_link_headers() {
        let ip = ipv4_tcp(b"x");
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x81, 0, 0, 42, 0x08, 0]);
        eth.extend_from_slice(&ip);
        assert_eq!(sniff_link(&eth), Link::Ethernet);
        let mut sll2 = vec![
            0x08, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        assert_eq!(sniff_link(&sll2), Link::LinuxSll2);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        assert_eq!(sniff_link(&null), Link::Null);
        assert_eq!(
            sniff_link(b"\xc0\x01\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00"),
            Link::Payload
        );
        for l in [
            Link::Ethernet,
            Link::LinuxSll,
            Link::LinuxSll2,
            Link::Null,
            Link::RawIp,
        ] {
            assert!(matches!(
                dissect(&eth[..5], l),
                Dissected::Malformed(_) | Dissected::Other
            ));
        }
    }
}
