#!/usr/bin/env python3
"""Generates the sample captures under tests/vectors/capture/ with independent tools.

- scapy (PyPI, `scapy.contrib.tacacs`) builds and obfuscates the TACACS+ PDUs (RFC 8907) and writes
  pcap files (Ethernet, 802.1Q/802.1ad, Linux SLL/SLL2, raw IP, BSD NULL; IPv4 and IPv6;
  little/big endian, micro/nanosecond timestamps).
- Wireshark's `mergecap` turns several pcaps into one pcapng with several interfaces.
- Debian `tcpdump -r FILE -x/-xx/-X/-XX` and `tshark -r FILE -x` turn them into the text forms users paste;
  `tshark -T fields -e tcp.payload` gives the plain hex stream and coreutils `base64` the base64 form.
- The one format no tool here writes (a pcapng with simple packet blocks, an unknown block and two
  sections of different byte order) is written by `write_handmade_pcapng` from the pcapng spec.

Every capture gets `NAME.expected.json`: the TACACS+ PDUs the generator put on the wire, per TCP
connection and direction, with their de-obfuscated bodies, computed here (not by casplus).

Run: `.venv/bin/python tests/vectors/capture/generate.py` (writes) or `... --check` (regenerates into a
temporary directory and fails if a committed file differs). Deterministic: fixed seeds and clock.
"""

import base64
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

from scapy.all import Ether, IP, IPv6, TCP, Raw, Dot1Q, Dot1AD, wrpcap  # noqa: F401
from scapy.layers.l2 import CookedLinux, CookedLinuxV2
from scapy.utils import RawPcapWriter
import scapy.contrib.tacacs as tac

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "tac_plus_key"
T0 = 1_700_000_000  # 2023-11-14T22:13:20Z

# --------------------------------------------------------------------------------------------
# TACACS+ PDUs (RFC 8907 §4.1 header, §5-§7 bodies), built and obfuscated by scapy.
# --------------------------------------------------------------------------------------------


def md5_pad_xor(body, key, session_id, version, seq):
    """RFC 8907 §4.5, written out here to record the clear body independently of scapy."""
    pad = b""
    last = b""
    while len(pad) < len(body):
        last = hashlib.md5(struct.pack("!I", session_id) + key.encode() + bytes([version, seq]) + last).digest()
        pad += last
    return bytes(a ^ b for a, b in zip(body, pad))


class Pdu:
    def __init__(self, typ, seq, session_id, body, flags=0, version=0xC0, key=KEY, clear_without_flag=False):
        self.typ, self.seq, self.session_id, self.flags, self.version = typ, seq, session_id, flags, version
        self.body = bytes(body)  # clear body
        self.lost = False  # part of it never reaches the capture
        tac.SECRET = key or ""
        hdr = tac.TacacsHeader(version=version, type=typ, seq=seq, flags=flags, session_id=session_id)
        wire = bytes(hdr / Raw(self.body))
        # scapy obfuscates unless the unencrypted flag is set; check it against our own pad.
        expect = self.body if (flags & 1 or not key) else md5_pad_xor(self.body, key, session_id, version, seq)
        assert wire[12:] == expect, "scapy obfuscation differs from RFC 8907 §4.5"
        if clear_without_flag:
            # a body in clear whose header says it is obfuscated (flags byte cleared, §4.5)
            assert flags & 1
            self.flags = flags & ~1
            wire = wire[:3] + bytes([self.flags]) + wire[4:]
        self.wire = wire

    def expected(self):
        return {
            "version": self.version,
            "type": self.typ,
            "seq_no": self.seq,
            "flags": self.flags,
            "session_id": self.session_id,
            "length": len(self.body),
            "body_clear_hex": self.body.hex(),
            "complete": not self.lost,
        }


def authen_start(action=1, priv=1, authen_type=1, service=1, user=b"", port=b"tty1", rem=b"10.9.9.9", data=b""):
    return bytes(tac.TacacsAuthenticationStart(action=action, priv_lvl=priv, authen_type=authen_type,
                                               authen_service=service, user=user, port=port, rem_addr=rem,
                                               data=data))


def authen_reply(status, server_msg=b"", data=b"", flags=0):
    return bytes(tac.TacacsAuthenticationReply(status=status, flags=flags, server_msg=server_msg, data=data))


def authen_continue(user_msg=b"", data=b"", flags=0):
    return bytes(tac.TacacsAuthenticationContinue(user_msg=user_msg, data=data, flags=flags))


def author_request(args, user=b"alice", port=b"tty1", rem=b"10.9.9.9", method=6, priv=1, authen_type=1):
    args = [a.encode() for a in args]
    fixed = bytes(tac.TacacsAuthorizationRequest(authen_method=method, priv_lvl=priv, authen_type=authen_type,
                                                 authen_service=1, user=user, port=port, rem_addr=rem,
                                                 arg_len_list=[len(a) for a in args]))
    return fixed + b"".join(args)


def author_response(status, args=(), server_msg=b"", data=b""):
    args = [a.encode() for a in args]
    fixed = bytes(tac.TacacsAuthorizationReply(status=status, server_msg=server_msg, data=data,
                                               arg_len_list=[len(a) for a in args]))
    # scapy places server_msg/data after the arg lengths; RFC 8907 §6.2 puts the args after them too.
    return fixed + b"".join(args)


def acct_request(flags, args, user=b"alice", port=b"tty1", rem=b"10.9.9.9", priv=15):
    args = [a.encode() for a in args]
    fixed = bytes(tac.TacacsAccountingRequest(flags=flags, authen_method=6, priv_lvl=priv, authen_type=1,
                                              authen_service=1, user=user, port=port, rem_addr=rem,
                                              arg_len_list=[len(a) for a in args]))
    return fixed + b"".join(args)


def acct_reply(status, server_msg=b"", data=b""):
    return bytes(tac.TacacsAccountingReply(status=status, server_msg=server_msg, data=data))


AUTHEN, AUTHOR, ACCT = 1, 2, 3


def login_sessions(rng, single_connect=False):
    """The AAA exchange of a router login (ASCII login, shell authorization, command authorization,
    accounting start/command/stop): a list of sessions, each a list of PDUs in order."""
    sc = 0x04 if single_connect else 0
    sid = [rng.getrandbits(32) for _ in range(6)]
    s = []
    s.append([
        Pdu(AUTHEN, 1, sid[0], authen_start(authen_type=1, user=b""), flags=sc),
        Pdu(AUTHEN, 2, sid[0], authen_reply(4, b"Username: "), flags=sc),
        Pdu(AUTHEN, 3, sid[0], authen_continue(b"alice")),
        Pdu(AUTHEN, 4, sid[0], authen_reply(5, b"Password: ", flags=1)),
        Pdu(AUTHEN, 5, sid[0], authen_continue(b"s3cr3t!")),
        Pdu(AUTHEN, 6, sid[0], authen_reply(1)),
    ])
    s.append([
        Pdu(AUTHOR, 1, sid[1], author_request(["service=shell", "cmd="])),
        Pdu(AUTHOR, 2, sid[1], author_response(1, ["priv-lvl=15"])),
    ])
    s.append([
        Pdu(ACCT, 1, sid[2], acct_request(0x02, ["task_id=1", "start_time=1700000001", "service=shell"])),
        Pdu(ACCT, 2, sid[2], acct_reply(1)),
    ])
    s.append([
        Pdu(AUTHOR, 1, sid[3], author_request(["service=shell", "cmd=show", "cmd-arg=version", "cmd-arg=<cr>"],
                                              priv=15)),
        Pdu(AUTHOR, 2, sid[3], author_response(1)),
    ])
    s.append([
        Pdu(ACCT, 1, sid[4], acct_request(0x04, ["task_id=2", "service=shell", "cmd=show version <cr>"])),
        Pdu(ACCT, 2, sid[4], acct_reply(1)),
    ])
    s.append([
        Pdu(ACCT, 1, sid[5], acct_request(0x04, ["task_id=1", "stop_time=1700000042", "elapsed_time=41",
                                                 "service=shell"])),
        Pdu(ACCT, 2, sid[5], acct_reply(1)),
    ])
    return s


def pap_session(rng, user=b"bob", password=b"hunter2", version=0xC1, key=KEY, status=1):
    sid = rng.getrandbits(32)
    return [
        Pdu(AUTHEN, 1, sid, authen_start(authen_type=2, user=user, data=password), version=version, key=key),
        Pdu(AUTHEN, 2, sid, authen_reply(status), version=version, key=key),
    ]


# --------------------------------------------------------------------------------------------
# TCP flows: handshake, data segments with correct seq/ack, FIN or RST; frames with timestamps.
# --------------------------------------------------------------------------------------------


class Clock:
    """Integer microseconds since the epoch, so µs and ns files carry exactly the same times."""

    def __init__(self, start_secs):
        self.t = start_secs * 1_000_000

    def tick(self, dt_us=250):
        self.t += dt_us
        return self.t


class Flow:
    def __init__(self, rng, clock, link, client, server, cport, sport=49, v6=False):
        self.rng, self.clock, self.link = rng, clock, link
        self.addr = {0: client, 1: server}
        self.port = {0: cport, 1: sport}
        self.v6 = v6
        self.isn = {0: rng.getrandbits(32), 1: rng.getrandbits(32)}
        self.next = {0: self.isn[0], 1: self.isn[1]}
        self.frames = []  # (time, bytes)
        self.expected = {0: [], 1: []}  # direction -> list of PDUs

    def _pkt(self, d, flags, seq, ack, payload=b""):
        ipl = IPv6 if self.v6 else IP
        ip = ipl(src=self.addr[d], dst=self.addr[1 - d])
        tcp = TCP(sport=self.port[d], dport=self.port[1 - d], flags=flags, seq=seq % 2**32, ack=ack % 2**32,
                  window=64240)
        return self.link(ip / tcp / Raw(payload) if payload else ip / tcp)

    def emit(self, pkt):
        self.frames.append((self.clock.tick(), bytes(pkt)))

    def handshake(self):
        self.emit(self._pkt(0, "S", self.next[0], 0))
        self.next[0] += 1
        self.emit(self._pkt(1, "SA", self.next[1], self.next[0]))
        self.next[1] += 1
        self.emit(self._pkt(0, "A", self.next[0], self.next[1]))

    def segment(self, d, payload, at=None, flags="PA"):
        """One data segment; `at` overrides the relative offset (for retransmissions/overlaps)."""
        seq = self.next[d] if at is None else self.isn[d] + 1 + at
        pkt = self._pkt(d, flags, seq, self.next[1 - d], payload)
        if at is None:
            self.next[d] += len(payload)
        return pkt

    def send(self, d, pdus, split=None):
        """Sends PDUs in one or more segments (`split`: payload sizes) and records them."""
        data = b"".join(p.wire for p in pdus)
        self.expected[d].extend(pdus)
        sizes = split or [len(data)]
        pos = 0
        for n in sizes:
            self.emit(self.segment(d, data[pos:pos + n]))
            pos += n
        assert pos == len(data)
        self.emit(self._pkt(1 - d, "A", self.next[1 - d], self.next[d]))

    def close(self, rst=False):
        if rst:
            self.emit(self._pkt(1, "R", self.next[1], 0))
            return
        self.emit(self._pkt(0, "FA", self.next[0], self.next[1]))
        self.next[0] += 1
        self.emit(self._pkt(1, "FA", self.next[1], self.next[0]))
        self.next[1] += 1
        self.emit(self._pkt(0, "A", self.next[0], self.next[1]))

    def run_sessions(self, sessions):
        for sess in sessions:
            for p in sess:
                self.send(0 if p.seq % 2 else 1, [p])

    def expected_json(self):
        out = {
            "client": f"{self.addr[0]}:{self.port[0]}",
            "server": f"{self.addr[1]}:{self.port[1]}",
            "to_server": [p.expected() for p in self.expected[0]],
            "to_client": [p.expected() for p in self.expected[1]],
        }
        if getattr(self, "key", None):
            out["key"] = self.key  # this connection's own key (scenario_peer_keys)
        if getattr(self, "diagnostic", None):
            out["diagnostic"] = self.diagnostic  # the fault it shows (scenario_diagnostics)
        return out


def ether(p):
    return Ether(src="00:1c:42:00:00:08", dst="00:1c:42:1c:9e:b1") / p


def ether_vlan(p):
    return Ether(src="00:1c:42:00:00:08", dst="00:1c:42:1c:9e:b1") / Dot1Q(vlan=42) / p


def ether_qinq(p):
    return Ether(src="00:1c:42:00:00:08", dst="00:1c:42:1c:9e:b1") / Dot1AD(vlan=100) / Dot1Q(vlan=42) / p


def sll(p):
    return CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x00\x1c\x42\x00\x00\x08\x00\x00") / p


def sll2(p):
    return CookedLinuxV2(ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6,
                         src=b"\x00\x1c\x42\x00\x00\x08\x00\x00") / p


def raw_ip(p):
    return p


def bsd_null(p):
    fam = 30 if p.haslayer(IPv6) else 2  # AF_INET6 on macOS / AF_INET, host (little-endian) order
    return Raw(struct.pack("<I", fam)) / p


LINKTYPE = {ether: 1, ether_vlan: 1, ether_qinq: 1, sll: 113, sll2: 276, raw_ip: 101, bsd_null: 0}


def write_pcap(path, frames, linktype, endianness="", nano=False):
    w = RawPcapWriter(path, linktype=linktype, endianness=endianness, nano=nano, snaplen=65535)
    w.write_header(None)
    for t_us, data in frames:
        sec, us = divmod(t_us, 1_000_000)
        w.write_packet(data, sec=sec, usec=us * 1000 if nano else us)
    w.close()
    if linktype == 0:  # scapy takes linktype 0 (BSD NULL) for "unset" and writes Ethernet: patch it
        with open(path, "r+b") as fh:
            fh.seek(20)
            fh.write(struct.pack((endianness or "<") + "I", 0))


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


def scenario_login(rng):
    """Router login: one TCP connection per session (the default of most NAS), Ethernet, port 49."""
    clock = Clock(T0)
    flows = []
    for i, sess in enumerate(login_sessions(rng)):
        f = Flow(rng, clock, ether, "192.0.2.10", "192.0.2.49", 40000 + i)
        f.handshake()
        f.run_sessions([sess])
        f.close()
        flows.append(f)
    return flows


def scenario_single_connect(rng):
    """All sessions on one single-connect connection (flag 0x04, RFC 8907 §4.3), two of them interleaved."""
    clock = Clock(T0 + 100)
    sessions = login_sessions(rng, single_connect=True)
    f = Flow(rng, clock, ether_vlan, "198.51.100.7", "198.51.100.49", 51000)
    f.handshake()
    f.run_sessions(sessions[:2])
    a, b = sessions[2], sessions[3]  # concurrent: acct start and command authorization interleaved
    f.send(0, [a[0]])
    f.send(0, [b[0]])
    f.send(1, [b[1]])
    f.send(1, [a[1]])
    f.run_sessions(sessions[4:])
    f.close()
    return [f]


# Per-device shared secrets (RFC 8907 §4.5: the key is configured per client): two NAS with their
# own keys, a third with the site-wide KEY, all to one server (`casplus decode --key ADDR=KEY`).
PEER_KEYS = {"192.0.2.11": "nas-a-secret", "192.0.2.12": "nas-b-secret", "192.0.2.13": KEY}


def scenario_peer_keys(rng):
    """Three NAS, each with its own key, to one server: a PAP login and a command authorization each."""
    clock = Clock(T0 + 300)
    flows = []
    for i, (nas, key) in enumerate(PEER_KEYS.items()):
        sid = rng.getrandbits(32)
        author = [
            Pdu(AUTHOR, 1, sid, author_request(["service=shell", "cmd=show", "cmd-arg=version"]), key=key),
            Pdu(AUTHOR, 2, sid, author_response(1), key=key),
        ]
        f = Flow(rng, clock, ether, nas, "192.0.2.49", 41000 + i)
        f.key = key
        f.handshake()
        f.run_sessions([pap_session(rng, user=f"user{i}".encode(), key=key), author])
        f.close()
        flows.append(f)
    return flows


def scenario_diagnostics(rng):
    """Four faults a capture at a server shows (issue 18), one NAS each, all with the server's KEY:
    a START in clear without the UNENCRYPTED flag (§4.5); an ENABLE request whose action is not LOGIN
    (§5.4.2.6); a second session before the server agreed to single-connect (§4.3); a client with an
    old key, which the server answers with ERROR (§4.5)."""
    clock = Clock(T0 + 400)
    flows = []

    def flow(i, nas, diag):
        f = Flow(rng, clock, ether, nas, "192.0.2.49", 42000 + i)
        f.diagnostic = diag
        f.handshake()
        return f

    f = flow(0, "192.0.2.21", "clear-without-flag")
    sid = rng.getrandbits(32)
    f.run_sessions([[Pdu(AUTHEN, 1, sid, authen_start(authen_type=2, user=b"carol", data=b"pw"), version=0xC1, flags=1,
                         clear_without_flag=True),
                     Pdu(AUTHEN, 2, sid, authen_reply(2), version=0xC1)]])
    flows.append(f)

    f = flow(1, "192.0.2.22", "enable-not-login")
    sid = rng.getrandbits(32)
    f.run_sessions([[Pdu(AUTHEN, 1, sid, authen_start(action=2, service=2, user=b"dave")),
                     Pdu(AUTHEN, 2, sid, authen_reply(2))]])
    flows.append(f)

    f = flow(2, "192.0.2.23", "session-before-single-connect")
    a, b = rng.getrandbits(32), rng.getrandbits(32)
    f.send(0, [Pdu(AUTHOR, 1, a, author_request(["service=shell", "cmd="]), flags=4)])
    f.send(0, [Pdu(ACCT, 1, b, acct_request(2, ["task_id=7", "service=shell"]), flags=4)])
    f.send(1, [Pdu(AUTHOR, 2, a, author_response(1), flags=4)])
    f.send(1, [Pdu(ACCT, 2, b, acct_reply(1), flags=4)])
    flows.append(f)

    f = flow(3, "192.0.2.24", "error-reply-key-mismatch")
    sid = rng.getrandbits(32)
    f.run_sessions([[Pdu(AUTHEN, 1, sid, authen_start(authen_type=2, user=b"erin", data=b"pw"), version=0xC1,
                         key="old-key"),
                     Pdu(AUTHEN, 2, sid, authen_reply(7, server_msg=b"cannot read the request"), version=0xC1)]])
    flows.append(f)
    for f in flows:
        f.close()
    return flows


def scenario_messy(rng):
    """TCP as it really arrives: split PDUs, several PDUs per segment, reordering, retransmission,
    overlap, a lost segment (gap), RST; TACACS+ on an odd port; TLS on port 300; an HTTP connection."""
    clock = Clock(T0 + 200)
    flows = []

    # 1. PAP on port 49 with the START split over three segments and the reply glued to nothing.
    f = Flow(rng, clock, ether, "203.0.113.5", "203.0.113.49", 33001)
    f.handshake()
    s = pap_session(rng)
    f.send(0, [s[0]], split=[5, 9, len(s[0].wire) - 14])
    f.send(1, [s[1]])
    f.close()
    flows.append(f)

    # 2. Single-connect, three PDUs in one segment, then out-of-order + retransmission + overlap.
    f = Flow(rng, clock, ether, "203.0.113.5", "203.0.113.49", 33002)
    f.handshake()
    a, b, c = pap_session(rng), pap_session(rng, user=b"carol"), pap_session(rng, user=b"dave", status=2)
    f.send(0, [a[0], b[0], c[0]])
    f.send(1, [a[1], b[1]])
    # c's reply: 2 segments sent in reverse order, then the first one retransmitted, then an overlap.
    wire = c[1].wire
    f.expected[1].append(c[1])
    first = f.segment(1, wire[:10])
    second = f.segment(1, wire[10:])
    f.emit(second)
    f.emit(first)
    f.emit(f.segment(1, wire[:10], at=f.next[1] - f.isn[1] - 1 - len(wire)))  # retransmission
    f.emit(f.segment(1, wire[4:16], at=f.next[1] - f.isn[1] - 1 - len(wire) + 4))  # overlap
    f.emit(f._pkt(0, "A", f.next[0], f.next[1]))
    f.close(rst=True)
    flows.append(f)

    # 3. A lost segment: the middle of an authorization request never shows up; the next session decodes.
    f = Flow(rng, clock, ether, "203.0.113.5", "203.0.113.49", 33003)
    f.handshake()
    sid = rng.getrandbits(32)
    lost = Pdu(AUTHOR, 1, sid, author_request(["service=shell", "cmd=configure", "cmd-arg=terminal"]))
    lost.lost = True
    f.expected[0].append(lost)
    f.emit(f.segment(0, lost.wire[:20]))
    f.segment(0, lost.wire[20:40])  # advances seq, never emitted: the gap
    f.emit(f.segment(0, lost.wire[40:]))
    nxt = pap_session(rng, user=b"erin")
    f.send(0, [nxt[0]])
    f.send(1, [nxt[1]])
    f.close()
    flows.append(f)

    # 4. TACACS+ on a non-standard port, IPv6.
    f = Flow(rng, clock, ether, "2001:db8::5", "2001:db8::49", 33004, sport=4949, v6=True)
    f.handshake()
    f.run_sessions([pap_session(rng, user=b"frank")])
    f.close()
    flows.append(f)

    # 5. TACACS+ over TLS (RFC 9887) on port 300: a TLS 1.3 ClientHello-shaped record, opaque.
    f = Flow(rng, clock, ether, "203.0.113.5", "203.0.113.49", 33005, sport=300)
    f.handshake()
    hello = b"\x16\x03\x01\x00\x40" + bytes(rng.getrandbits(8) for _ in range(64))
    f.emit(f.segment(0, hello))
    f.close()
    flows.append(f)

    # 6. Unrelated HTTP on port 80: must not be reported as TACACS+.
    f = Flow(rng, clock, ether, "203.0.113.5", "203.0.113.80", 33006, sport=80)
    f.handshake()
    f.emit(f.segment(0, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"))
    f.emit(f.segment(1, b"HTTP/1.1 204 No Content\r\n\r\n"))
    f.close()
    flows.append(f)
    return flows


def scenario_link(rng, link, v6=False):
    """One PAP exchange over the given link layer (IPv4 or IPv6)."""
    clock = Clock(T0 + 300)
    if v6:
        f = Flow(rng, clock, link, "2001:db8:1::10", "2001:db8:1::49", 44000, v6=True)
    else:
        f = Flow(rng, clock, link, "192.0.2.20", "192.0.2.49", 44000)
    f.handshake()
    f.run_sessions([pap_session(rng)])
    f.close()
    return [f]


# --------------------------------------------------------------------------------------------
# pcapng written from the spec (IETF draft-ietf-opsawg-pcapng): SPB, unknown blocks, 2 sections.
# --------------------------------------------------------------------------------------------


def _block(e, btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def _opt(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def write_handmade_pcapng(path, frames_a, frames_b):
    """Section 1 (little-endian): IDB 0 Ethernet (µs), IDB 1 raw IP with if_tsresol=9 (ns); frames_a
    as EPBs on the interface each names, an option on one, an unknown and a custom block in between.
    Section 2 (big-endian): one Ethernet IDB and frames_b as simple packet blocks (no timestamps)."""
    out = b""
    e = "<"
    shb = struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + _opt(e, 4, b"casplus generate.py") + _opt(e, 0, b"")
    out += _block(e, 0x0A0D0D0A, shb)
    out += _block(e, 1, struct.pack(e + "HHI", 1, 0, 0) + _opt(e, 2, b"eth0") + _opt(e, 0, b""))
    out += _block(e, 1, struct.pack(e + "HHI", 101, 0, 0) + _opt(e, 2, b"tun0") + _opt(e, 9, b"\x09")
                  + _opt(e, 0, b""))
    out += _block(e, 0x0000_7E57, b"unknown block type, must be skipped")
    for i, (t, data, iface) in enumerate(frames_a):
        ts = t * (1000 if iface == 1 else 1)
        epb = struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data
        epb += b"\0" * (-len(data) % 4)
        if i == 1:
            epb += _opt(e, 1, b"a comment") + _opt(e, 0, b"")
        out += _block(e, 6, epb)
        if i == 2:
            out += _block(e, 0x40000BAD, struct.pack(e + "I", 32473) + b"custom block")  # custom block
    e = ">"
    out += _block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += _block(e, 1, struct.pack(e + "HHI", 1, 0, 0))
    for t, data in frames_b:
        out += _block(e, 3, struct.pack(e + "I", len(data)) + data)
    with open(path, "wb") as fh:
        fh.write(out)


# --------------------------------------------------------------------------------------------
# Text forms from real tools
# --------------------------------------------------------------------------------------------


def run(cmd, out_path):
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    res = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    with open(out_path, "wb") as fh:
        fh.write(res.stdout)


def text_forms(d, name):
    pcap = os.path.join(d, name + ".pcap")
    run(["tcpdump", "-nn", "-r", pcap, "-X"], os.path.join(d, name + ".tcpdump-X.txt"))
    run(["tcpdump", "-nn", "-r", pcap, "-x"], os.path.join(d, name + ".tcpdump-x.txt"))
    run(["tcpdump", "-nn", "-tttt", "-r", pcap, "-XX"], os.path.join(d, name + ".tcpdump-XX.txt"))
    run(["tcpdump", "-nn", "-tt", "-r", pcap, "-xx"], os.path.join(d, name + ".tcpdump-xx.txt"))
    run(["tshark", "-r", pcap, "-x"], os.path.join(d, name + ".tshark-x.txt"))
    hex_path = os.path.join(d, name + ".payload.hex")
    run(["tshark", "-r", pcap, "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.payload"], hex_path)
    with open(hex_path) as fh:
        raw = bytes.fromhex("".join(fh.read().split()))
    bin_path = os.path.join(d, name + ".payload.bin")
    with open(bin_path, "wb") as fh:
        fh.write(raw)
    run(["base64", bin_path], os.path.join(d, name + ".payload.b64"))
    os.remove(bin_path)


def payload_forms(d, name, flows):
    """Payload-only `tcpdump -X` blocks (tcpdump prints the bytes after a BSD NULL header with an
    unknown address family as they are) and whole-file hex/base64 dumps of the pcap."""
    frames = sorted(fr for f in flows for fr in f.frames)
    payloads = []
    for t, data in frames:
        # raw offsets: scapy's dissection would de-obfuscate the TACACS+ layer on the way
        ip = data[14:]
        total = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[(ip[0] & 0x0F) * 4:total]
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            payloads.append((t, struct.pack("<I", 99) + payload))
    tmp = os.path.join(d, "_payload.pcap")
    write_pcap(tmp, payloads, 0)
    run(["tcpdump", "-nn", "-r", tmp, "-X"], os.path.join(d, name + ".tcpdump-payload-X.txt"))
    os.remove(tmp)
    pcap = os.path.join(d, name + ".pcap")
    run(["base64", pcap], os.path.join(d, name + ".pcap.b64"))
    run(["basenc", "--base16", "-w", "64", pcap], os.path.join(d, name + ".pcap.hex"))


def generate(d):
    os.makedirs(d, exist_ok=True)
    captures = {}

    flows = scenario_login(random.Random(1))
    frames = sorted(fr for f in flows for fr in f.frames)
    write_pcap(os.path.join(d, "login.pcap"), frames, 1)
    write_pcap(os.path.join(d, "login-be-ns.pcap"), frames, 1, endianness=">", nano=True)
    captures["login"] = flows
    captures["login-be-ns"] = flows
    text_forms(d, "login")
    payload_forms(d, "login", flows)

    flows = scenario_single_connect(random.Random(2))
    write_pcap(os.path.join(d, "single-connect.pcap"), flows[0].frames, 1)
    captures["single-connect"] = flows
    text_forms(d, "single-connect")

    flows = scenario_peer_keys(random.Random(4))
    write_pcap(os.path.join(d, "peer-keys.pcap"), [fr for f in flows for fr in f.frames], 1)
    captures["peer-keys"] = flows

    flows = scenario_diagnostics(random.Random(5))
    write_pcap(os.path.join(d, "diagnostics.pcap"), [fr for f in flows for fr in f.frames], 1)
    captures["diagnostics"] = flows

    flows = scenario_messy(random.Random(3))
    frames = [fr for f in flows for fr in f.frames]  # in emission order (reordering is deliberate)
    write_pcap(os.path.join(d, "messy.pcap"), frames, 1)
    captures["messy"] = flows
    text_forms(d, "messy")

    # Every link type, merged by mergecap into one pcapng with one interface per input file.
    parts = []
    all_flows = []
    for i, (link, v6) in enumerate([(ether_vlan, False), (ether_qinq, True), (sll, False), (sll2, True),
                                    (raw_ip, False), (bsd_null, True), (bsd_null, False)]):
        flows = scenario_link(random.Random(10 + i), link, v6)
        p = os.path.join(d, f"_part{i}.pcap")
        # shift each part in time so mergecap keeps them apart
        write_pcap(p, [(t + i * 1_000_000, b) for t, b in flows[0].frames], LINKTYPE[link])
        parts.append(p)
        all_flows.extend(flows)
    for i, (link, name) in enumerate([(sll, "sll"), (sll2, "sll2"), (raw_ip, "raw-ip"), (bsd_null, "null")]):
        src = parts[[2, 3, 4, 5][i]]
        shutil.copy(src, os.path.join(d, f"link-{name}.pcap"))
        captures[f"link-{name}"] = [all_flows[[2, 3, 4, 5][i]]]
    subprocess.run(["mergecap", "-F", "pcapng", "-w", os.path.join(d, "links.pcapng")] + parts, check=True,
                   stderr=subprocess.DEVNULL)
    captures["links"] = all_flows
    for p in parts:
        os.remove(p)

    flows_a = scenario_link(random.Random(30), ether, False)
    flows_b = scenario_link(random.Random(31), ether, True)
    frames_a = [(t, b, 0) for t, b in flows_a[0].frames]
    # the raw-IP interface (1, ns resolution) carries the same frames without their Ethernet header
    for k in range(len(frames_a)):
        t, b, _ = frames_a[k]
        if k % 2:
            frames_a[k] = (t, b[14:], 1)
    write_handmade_pcapng(os.path.join(d, "handmade.pcapng"), frames_a, flows_b[0].frames)
    captures["handmade"] = flows_a + flows_b

    for name, flows in captures.items():
        with open(os.path.join(d, name + ".expected.json"), "w") as fh:
            json.dump({"key": KEY, "connections": [f.expected_json() for f in flows]}, fh, indent=1)
            fh.write("\n")


def main():
    if "--check" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            generate(tmp)
            bad = []
            for n in sorted(os.listdir(tmp)):
                with open(os.path.join(tmp, n), "rb") as a:
                    fresh = a.read()
                try:
                    with open(os.path.join(HERE, n), "rb") as b:
                        if b.read() != fresh:
                            bad.append(n)
                except FileNotFoundError:
                    bad.append(n)
            if bad:
                sys.exit("capture vectors differ from a fresh generation: " + ", ".join(bad))
            print(f"capture vectors: {len(os.listdir(tmp))} files reproduced")
    else:
        generate(HERE)


if __name__ == "__main__":
    main()
