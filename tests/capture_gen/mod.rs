//! Builders for synthetic captures: IPv4/TCP packets (LINKTYPE_RAW), pcap files, TACACS+ PDUs
//! obfuscated per RFC 8907 §4.5 (written out here, independent of the codec under test).
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use md5::{Digest, Md5};

pub const C: [u8; 4] = [10, 0, 0, 1];
pub const S: [u8; 4] = [10, 0, 0, 2];

/// TCP flags.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// A raw IPv4/TCP packet.
#[allow(clippy::too_many_arguments)]
pub fn ip_tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let total = (40 + payload.len()) as u16;
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

/// A little-endian µs pcap; `linktype` 101 (raw IP) or 1 (Ethernet).
pub fn pcap_with(linktype: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::with_capacity(24 + frames.iter().map(|f| f.len() + 16).sum::<usize>());
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&linktype.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        v.extend_from_slice(&(1_700_000_000u32 + (i / 1000) as u32).to_le_bytes());
        v.extend_from_slice(&((i % 1000) as u32 * 1000).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    v
}

/// A raw-IP pcap.
pub fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    pcap_with(101, frames)
}

/// A PDU with the given header fields and body as is (`flags` 0x01 = unencrypted).
pub fn pdu_raw(kind: u8, seq_no: u8, flags: u8, session_id: u32, body: &[u8]) -> Vec<u8> {
    let mut v = vec![0xc1, kind, seq_no, flags];
    v.extend_from_slice(&session_id.to_be_bytes());
    v.extend_from_slice(&(body.len() as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A PDU with a plausible header and an arbitrary body.
pub fn pdu(kind: u8, seq_no: u8, session_id: u32, body: &[u8]) -> Vec<u8> {
    pdu_raw(kind, seq_no, 0, session_id, body)
}

/// RFC 8907 §4.5: body XOR MD5(session_id, key, version, seq_no[, previous]) chain.
pub fn obfuscate(version: u8, seq_no: u8, session_id: u32, key: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut last: Vec<u8> = Vec::new();
    for chunk in body.chunks(16) {
        let mut h = Md5::new();
        h.update(session_id.to_be_bytes());
        h.update(key);
        h.update([version, seq_no]);
        h.update(&last);
        last = h.finalize().to_vec();
        out.extend(chunk.iter().zip(&last).map(|(a, b)| a ^ b));
    }
    out
}

/// A keyed (obfuscated) PDU with version 0xc1.
pub fn pdu_keyed(
    kind: u8,
    seq_no: u8,
    flags: u8,
    session_id: u32,
    key: &[u8],
    clear: &[u8],
) -> Vec<u8> {
    pdu_raw(
        kind,
        seq_no,
        flags,
        session_id,
        &obfuscate(0xc1, seq_no, session_id, key, clear),
    )
}

/// PAP authentication START body (RFC 8907 §5.1, §5.4.2.2).
pub fn pap_start(user: &[u8], port: &[u8], rem: &[u8], password: &[u8]) -> Vec<u8> {
    let mut b = vec![
        1,
        1,
        2,
        1,
        user.len() as u8,
        port.len() as u8,
        rem.len() as u8,
        password.len() as u8,
    ];
    for f in [user, port, rem, password] {
        b.extend_from_slice(f);
    }
    b
}

/// Authentication REPLY body (RFC 8907 §5.2).
pub fn authen_reply(status: u8, flags: u8, server_msg: &[u8]) -> Vec<u8> {
    let mut b = vec![status, flags];
    b.extend_from_slice(&(server_msg.len() as u16).to_be_bytes());
    b.extend_from_slice(&0u16.to_be_bytes());
    b.extend_from_slice(server_msg);
    b
}

/// Authentication CONTINUE body (RFC 8907 §5.3).
pub fn authen_continue(user_msg: &[u8], flags: u8) -> Vec<u8> {
    let mut b = (user_msg.len() as u16).to_be_bytes().to_vec();
    b.extend_from_slice(&0u16.to_be_bytes());
    b.push(flags);
    b.extend_from_slice(user_msg);
    b
}

/// One TCP connection C:cport → S:sport: handshake, then each (to_server, bytes) in its own
/// segment followed by the peer's ACK, then FIN/ACK both ways.
pub fn connection(
    cport: u16,
    sport: u16,
    isn: (u32, u32),
    exchange: &[(bool, Vec<u8>)],
) -> Vec<Vec<u8>> {
    let (mut cs, mut ss) = (isn.0, isn.1);
    let mut f = vec![
        ip_tcp(C, S, cport, sport, cs, 0, SYN, &[]),
        ip_tcp(S, C, sport, cport, ss, cs.wrapping_add(1), SYN | ACK, &[]),
    ];
    cs = cs.wrapping_add(1);
    ss = ss.wrapping_add(1);
    f.push(ip_tcp(C, S, cport, sport, cs, ss, ACK, &[]));
    for (to_server, data) in exchange {
        if *to_server {
            f.push(ip_tcp(C, S, cport, sport, cs, ss, PSH | ACK, data));
            cs = cs.wrapping_add(data.len() as u32);
            f.push(ip_tcp(S, C, sport, cport, ss, cs, ACK, &[]));
        } else {
            f.push(ip_tcp(S, C, sport, cport, ss, cs, PSH | ACK, data));
            ss = ss.wrapping_add(data.len() as u32);
            f.push(ip_tcp(C, S, cport, sport, cs, ss, ACK, &[]));
        }
    }
    f.push(ip_tcp(C, S, cport, sport, cs, ss, FIN | ACK, &[]));
    f.push(ip_tcp(
        S,
        C,
        sport,
        cport,
        ss,
        cs.wrapping_add(1),
        FIN | ACK,
        &[],
    ));
    f.push(ip_tcp(
        C,
        S,
        cport,
        sport,
        cs.wrapping_add(1),
        ss.wrapping_add(1),
        ACK,
        &[],
    ));
    f
}

/// Ethernet II frames around raw IPv4 packets (LINKTYPE_ETHERNET).
pub fn ethernet(frames: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    frames
        .into_iter()
        .map(|ip| {
            let mut f = vec![
                0x00, 0x1c, 0x42, 0x1c, 0x9e, 0xb1, 0x00, 0x1c, 0x42, 0x00, 0x00, 0x08, 0x08, 0x00,
            ];
            f.extend_from_slice(&ip);
            f
        })
        .collect()
}

/// A big capture (Ethernet): `conns` single-connect connections of 5 PAP sessions each (requests split over two
/// segments, every segment ACKed, keyed with `key`), with `noise` UDP frames in between.
/// About 31 frames and 10 PDUs per connection.
pub fn big_pcap(conns: usize, noise: usize, key: &[u8]) -> Vec<u8> {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let per_noise = noise.checked_div(conns).unwrap_or(0);
    for c in 0..conns {
        let cport = 10_000 + (c % 50_000) as u16;
        let (mut cs, mut ss) = (next() as u32, next() as u32);
        frames.push(ip_tcp(C, S, cport, 49, cs, 0, SYN, &[]));
        frames.push(ip_tcp(
            S,
            C,
            49,
            cport,
            ss,
            cs.wrapping_add(1),
            SYN | ACK,
            &[],
        ));
        cs = cs.wrapping_add(1);
        ss = ss.wrapping_add(1);
        frames.push(ip_tcp(C, S, cport, 49, cs, ss, ACK, &[]));
        for s in 0..5 {
            let sid = next() as u32;
            let user = format!("user{c}-{s}");
            let req = pdu_keyed(
                1,
                1,
                0x04,
                sid,
                key,
                &pap_start(user.as_bytes(), b"tty1", b"192.0.2.7", b"hunter2"),
            );
            let half = req.len() / 2;
            frames.push(ip_tcp(C, S, cport, 49, cs, ss, PSH | ACK, &req[..half]));
            frames.push(ip_tcp(
                C,
                S,
                cport,
                49,
                cs.wrapping_add(half as u32),
                ss,
                PSH | ACK,
                &req[half..],
            ));
            cs = cs.wrapping_add(req.len() as u32);
            frames.push(ip_tcp(S, C, 49, cport, ss, cs, ACK, &[]));
            let rep = pdu_keyed(1, 2, 0x04, sid, key, &authen_reply(1, 0, b""));
            frames.push(ip_tcp(S, C, 49, cport, ss, cs, PSH | ACK, &rep));
            ss = ss.wrapping_add(rep.len() as u32);
            frames.push(ip_tcp(C, S, cport, 49, cs, ss, ACK, &[]));
        }
        frames.push(ip_tcp(C, S, cport, 49, cs, ss, FIN | ACK, &[]));
        frames.push(ip_tcp(
            S,
            C,
            49,
            cport,
            ss,
            cs.wrapping_add(1),
            FIN | ACK,
            &[],
        ));
        frames.push(ip_tcp(
            C,
            S,
            cport,
            49,
            cs.wrapping_add(1),
            ss.wrapping_add(1),
            ACK,
            &[],
        ));
        for _ in 0..per_noise {
            // a UDP syslog datagram
            let msg = b"<14>router: line protocol up";
            let total = (28 + msg.len()) as u16;
            let mut u = vec![0x45, 0];
            u.extend_from_slice(&total.to_be_bytes());
            u.extend_from_slice(&[0, 2, 0, 0, 64, 17, 0, 0]);
            u.extend_from_slice(&C);
            u.extend_from_slice(&[10, 0, 0, 9]);
            u.extend_from_slice(&[0xc3, 0x50, 0x02, 0x02]);
            u.extend_from_slice(&((8 + msg.len()) as u16).to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(msg);
            frames.push(u);
        }
    }
    pcap_with(1, &ethernet(frames))
}
