#!/usr/bin/env python3
"""A big TACACS+ over TLS 1.3 (RFC 9887) capture made by a real TLS stack, for bench/decode.rs.

CONNS connections (default 2 000), each a TLS 1.3 handshake between a Python `ssl` (OpenSSL)
client and server followed by SESSIONS TACACS+ sessions (default 5, so 10 000 sessions and
20 000 PDUs) with TAC_PLUS_UNENCRYPTED_FLAG and TAC_PLUS_SINGLE_CONNECT_FLAG set (RFC 9887 §4:
no obfuscation inside TLS; RFC 8907 §4.3 single-connect): PAP authentication (§5.4.2.2),
authorization (§6), accounting START and STOP (§7), and a failed PAP authentication. The two
TLS objects talk through memory BIOs; the bytes each one hands to the other are what goes on
the wire, written as an Ethernet/IPv4/TCP pcap (server port 300, RFC 9887 §7; segments of at
most 1 448 bytes) exactly as the TLS stack produced them. The client writes the NSS key log
(`keylog_filename`) that `casplus decode --keylog` and `tshark -o tls.keylog_file:` read.

    python3 bench/tls_capture.py OUT.pcap OUT.keys [CONNS [SESSIONS]]

Everything except the TLS randomness is deterministic (timestamps, ports, session ids, PDUs).
"""

import os
import ssl
import struct
import subprocess
import sys
import tempfile

# The RFC 8907 PDU and the Ethernet/IPv4/TCP frame builders of the TLS test vectors.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "vectors", "tls"))
from generate import author_request, author_response, acct_reply, checksum, frame  # noqa: E402
from generate import pdu as vector_pdu  # noqa: E402

PORT = 300  # RFC 9887 §7
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
FLAGS = 0x01 | 0x04  # TAC_PLUS_UNENCRYPTED_FLAG | TAC_PLUS_SINGLE_CONNECT_FLAG
PORT_, REM = b"tty0", b"192.0.2.7"


def pdu(kind, seq, session, body):
    """An RFC 8907 §4.1 header (flags FLAGS) + clear body."""
    return vector_pdu(kind, seq, session, body, FLAGS)


def authen_start(user, password):
    # §5.1: action LOGIN, priv 1, type PAP, service LOGIN
    return struct.pack("BBBBBBBB", 1, 1, 2, 1, len(user), len(PORT_), len(REM), len(password)) + user + PORT_ + REM + password


def authen_reply(status, msg):
    return struct.pack(">BBHH", status, 0, len(msg), 0) + msg  # §5.2


def with_args(head, user, args):
    return head + bytes(len(a) for a in args) + user + PORT_ + REM + b"".join(args)




def acct_request(flags, user, args):
    # §7.1: method TACACSPLUS, priv 1, type PAP, service LOGIN
    head = struct.pack("BBBBBBBBB", flags, 6, 1, 2, 1, len(user), len(PORT_), len(REM), len(args))
    return with_args(head, user, args)



def sessions(conn, count):
    """(request, reply) of the connection's sessions, each with its own session_id."""
    user = f"user{conn}".encode()
    task = f"task_id={conn}".encode()
    kinds = [
        lambda: (1, authen_start(user, b"tls-secret"), authen_reply(1, b"welcome")),
        lambda: (2, author_request(user, [b"service=shell", b"cmd="]), author_response([b"priv-lvl=15"])),
        lambda: (3, acct_request(0x02, user, [task, b"service=shell", b"start_time=1700000000"]), acct_reply()),
        lambda: (3, acct_request(0x04, user, [task, b"service=shell", b"stop_time=1700000600", b"elapsed_time=600"]), acct_reply()),
        lambda: (1, authen_start(user, b"wrong"), authen_reply(2, b"authentication failed")),
    ]
    out = []
    for s in range(count):
        kind, req, rep = kinds[s % len(kinds)]()
        sid = (conn * count + s + 1) * 2654435761 & 0xFFFFFFFF or 1
        out.append((pdu(kind, 1, sid, req), pdu(kind, 2, sid, rep)))
    return out


def contexts(tmp, keylog):
    key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", crt, "-days", "3650", "-subj", "/CN=tacacs.example"],
        check=True, capture_output=True)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = ssl.TLSVersion.TLSv1_3
    sctx.load_cert_chain(crt, key)
    sctx.set_alpn_protocols(["tacacs"])
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.minimum_version = ssl.TLSVersion.TLSv1_3
    cctx.load_verify_locations(crt)
    cctx.set_alpn_protocols(["tacacs"])
    cctx.keylog_filename = keylog
    return cctx, sctx


def connection(cctx, sctx, exchanges):
    """One TLS connection through memory BIOs; returns the wire chunks in order
    (0 = client → server, 1 = server → client)."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = cctx.wrap_bio(c_in, c_out, server_hostname="tacacs.example")
    s = sctx.wrap_bio(s_in, s_out, server_side=True)
    wire = []

    def pump():
        moved = False
        for src, dst, d in ((c_out, s_in, 0), (s_out, c_in, 1)):
            b = src.read()
            if b:
                wire.append((d, b))
                dst.write(b)
                moved = True
        return moved

    def read(t, n):
        got = b""
        while len(got) < n:
            try:
                got += t.read(n - len(got))
            except ssl.SSLWantReadError:
                if not pump():
                    raise EOFError("stalled")
        return got

    done = [False, False]
    while not all(done):
        for i, t in enumerate((c, s)):
            if not done[i]:
                try:
                    t.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
        pump()
    for req, rep in exchanges:
        c.write(req)
        pump()
        assert read(s, len(req)) == req
        s.write(rep)
        pump()
        assert read(c, len(rep)) == rep
    return wire




def tcp_frames(conn, wire):
    """Handshake, the chunks (≤ 1 448 bytes a segment), FIN both ways."""
    ip = [bytes([10, 1, conn >> 8 & 0xFF, conn & 0xFF]), bytes([10, 0, 0, 1])]
    port = [20000 + conn % 40000, PORT]
    seq = [(conn * 7919) & 0xFFFFFFFF, (conn * 104729 + 5) & 0xFFFFFFFF]
    out = []

    def send(d, flags, payload=b""):
        out.append(frame(ip[d], ip[1 - d], port[d], port[1 - d], seq[d], seq[1 - d], flags, payload))
        seq[d] = (seq[d] + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF

    send(0, SYN)
    send(1, SYN | ACK)
    send(0, ACK)
    for d, b in wire:
        for i in range(0, len(b), 1448):
            send(d, PSH | ACK, b[i:i + 1448])
    send(0, FIN | ACK)
    send(1, FIN | ACK)
    send(0, ACK)
    return out


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    pcap, keylog = sys.argv[1], sys.argv[2]
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    per = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    if os.path.exists(keylog):
        os.remove(keylog)
    with tempfile.TemporaryDirectory() as tmp:
        cctx, sctx = contexts(tmp, keylog)
        n = 0
        with open(pcap + ".part", "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for conn in range(conns):
                for fr in tcp_frames(conn, connection(cctx, sctx, sessions(conn, per))):
                    f.write(struct.pack("<IIII", 1700000000 + n // 1000000, n % 1000000, len(fr), len(fr)))
                    f.write(fr)
                    n += 1
    os.replace(pcap + ".part", pcap)
    print(f"{pcap}: {n} frames, {conns} TLS connections, {conns * per} TACACS+ sessions")


if __name__ == "__main__":
    main()
