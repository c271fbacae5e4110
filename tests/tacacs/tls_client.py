#!/usr/bin/env python3
"""A TACACS+ over TLS 1.3 (RFC 9887) client that is not casplus: Python's `ssl` (OpenSSL)
wrapping RFC 8907 PDUs built by hand. One PAP authentication START (RFC 8907 §5.4.2.2), then
it prints one JSON object: the TLS version, and the REPLY's status and header flags — or the
TLS error.

  tls_client.py --port N --ca ca.pem [--cert c.pem --key c.key] [--tls12] \
      [--obfuscate KEY] --user U --password P

--record PCAP relays the connection through a recorder and writes the bytes on the wire as a
pcap (tests/vectors/tls/generate.py's writer: server port shown as 300), for `casplus decode
--keylog` or tshark to decrypt with the key log.

--tls12 offers TLS 1.2 only (an RFC 9887 server must refuse it, §3.2); --obfuscate KEY
obfuscates the body with KEY (RFC 8907 §4.5) and leaves TAC_PLUS_UNENCRYPTED_FLAG clear,
which RFC 9887 §4 forbids inside TLS.
"""
import argparse
import hashlib
import json
import os
import select
import socket
import ssl
import struct
import sys
import threading

UNENCRYPTED = 0x01
STATUS = {1: "PASS", 2: "FAIL", 3: "GETDATA", 4: "GETUSER", 5: "GETPASS", 6: "RESTART",
          7: "ERROR", 0x21: "FOLLOW"}


def pad(key, session_id, version, seq, length):
    """The RFC 8907 §4.5 pseudo-pad."""
    out, prev = b"", b""
    while len(out) < length:
        prev = hashlib.md5(struct.pack("!I", session_id) + key + bytes([version, seq]) + prev).digest()
        out += prev
    return out[:length]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--tls12", action="store_true")
    ap.add_argument("--obfuscate")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--record")
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    if a.tls12:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    if os.environ.get("SSLKEYLOGFILE"):
        ctx.keylog_filename = os.environ["SSLKEYLOGFILE"]

    session_id = int.from_bytes(os.urandom(4), "big")
    user, pw, port, rem = a.user.encode(), a.password.encode(), b"python", b"127.0.0.1"
    # AUTHEN START (§5.1): action LOGIN, priv_lvl 1, type PAP, service LOGIN.
    body = bytes([1, 1, 2, 1, len(user), len(port), len(rem), len(pw)]) + user + port + rem + pw
    version, seq = 0xC1, 1  # major 0xC, minor 1 (PAP), seq_no 1
    flags = UNENCRYPTED
    if a.obfuscate:
        flags = 0
        body = bytes(x ^ y for x, y in zip(body, pad(a.obfuscate.encode(), session_id, version, seq, len(body))))
    pdu = struct.pack("!BBBBII", version, 1, seq, flags, session_id, len(body)) + body

    port, wire, relay = a.port, [], None
    if a.record:
        port, relay = record(a.port, wire)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, OSError) as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return
    result = {"tls": tls.version()}
    try:
        tls.sendall(pdu)
        head = b""
        while len(head) < 12:
            chunk = tls.recv(12 - len(head))
            if not chunk:
                break
            head += chunk
        if len(head) < 12:
            result["closed"] = True
        else:
            _, _, rseq, rflags, rsid, length = struct.unpack("!BBBBII", head)
            rbody = b""
            while len(rbody) < length:
                chunk = tls.recv(length - len(rbody))
                if not chunk:
                    break
                rbody += chunk
            result.update(seq=rseq, flags=rflags, same_session=rsid == session_id,
                          status=STATUS.get(rbody[0], rbody[0]) if rbody else None,
                          server_msg=rbody[6:6 + struct.unpack("!H", rbody[2:4])[0]].decode(errors="replace") if len(rbody) >= 6 else "")
    except (ssl.SSLError, OSError) as e:
        result["error"] = f"{type(e).__name__}: {e}"
    if relay:
        tls.close()
        relay.join(timeout=10)
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../vectors/tls"))
        from generate import write_pcap
        write_pcap(a.record, wire)
    print(json.dumps(result))


def record(port, wire):
    """A relay on 127.0.0.1 to `port` that appends (direction, bytes) to `wire` as it
    forwards them (0: client to server); returns its port and thread."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)

    def relay():
        c, _ = lsock.accept()
        s = socket.create_connection(("127.0.0.1", port))
        peer = {c: (s, 0), s: (c, 1)}
        while True:
            ready, _, _ = select.select([c, s], [], [], 10)
            if not ready:
                return
            for x in ready:
                b = x.recv(65536)
                if not b:
                    s.close()
                    return
                peer[x][0].sendall(b)
                wire.append((peer[x][1], b))

    th = threading.Thread(target=relay, daemon=True)
    th.start()
    return lsock.getsockname()[1], th


if __name__ == "__main__":
    main()
