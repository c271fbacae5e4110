#!/usr/bin/env python3
"""TACACS+ over TLS 1.3 (RFC 9887) captures made by a real TLS stack, one per cipher suite.

A Python `ssl` (OpenSSL) TLS 1.3 server and client talk over a TCP connection on 127.0.0.1 and
exchange raw RFC 8907 PDUs with TAC_PLUS_UNENCRYPTED_FLAG set (RFC 9887 §4: no obfuscation
inside TLS): an AUTHEN START (PAP) and REPLY, an AUTHOR REQUEST and RESPONSE, an ACCT START and
REPLY. The client writes the NSS key log (`keylog_filename`). The bytes each side put on the
socket are written as a pcap (Ethernet/IPv4/TCP, port 300, frames of at most 1000 payload
bytes) in the order they were sent, so the capture is exactly the TLS stack's output.

    python3 tests/vectors/tls/generate.py [NAME...]  # writes tls13-<name>.pcap and .keys
    python3 tests/vectors/tls/generate.py --check [CASPLUS]  # also tls13-single-connect (bench/tls_capture.py)
        # tshark decrypts them: its TLS plaintext is the PDUs sent, byte for byte, and so is
        # what `CASPLUS decode --keylog --json` decrypts (default target/debug/casplus)

The cipher suite is chosen with an OpenSSL configuration file (`Ciphersuites`), since Python's
`ssl` has no TLS 1.3 suite setter; each suite runs in a child process with OPENSSL_CONF set.
"""

import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = {
    "aes128gcm": "TLS_AES_128_GCM_SHA256",
    "aes256gcm": "TLS_AES_256_GCM_SHA384",
    "chacha20": "TLS_CHACHA20_POLY1305_SHA256",
    # a client breaking RFC 9887: its AUTHEN START is obfuscated (RFC 8907 §4.5, key OBF_KEY)
    "obfuscated": "TLS_AES_128_GCM_SHA256",
    # OpenSSL's own s_client and s_server (not Python) with KeyUpdates (RFC 8446 §4.6.3): the
    # client asks for one both ways (`K`) after the first session and updates alone (`k`)
    # after the second; the bytes pass through a recording proxy on 127.0.0.1
    "keyupdate": "TLS_AES_256_GCM_SHA384",
}
OBF_KEY = b"tls-key"
PORT = 300  # RFC 9887 §7: the TACACS+ over TLS port


def pdu(kind, seq, session, body, flags=0x01):
    """An RFC 8907 §4.1 header + clear body; flags 0x01 = TAC_PLUS_UNENCRYPTED_FLAG."""
    version = 0xC1 if kind == 1 and seq == 1 else 0xC0
    return struct.pack(">BBBBII", version, kind, seq, flags, session, len(body)) + body


def authen_start(user, password):
    # §5.1: action LOGIN, priv 1, type PAP, service LOGIN
    port, rem = b"tty0", b"192.0.2.7"
    return struct.pack("BBBBBBBB", 1, 1, 2, 1, len(user), len(port), len(rem), len(password)) + user + port + rem + password


def authen_reply_pass(msg):
    return struct.pack(">BBHH", 1, 0, len(msg), 0) + msg  # §5.2: status PASS


def author_request(user, args):
    # §6.1: method TACACSPLUS, priv 1, type PAP, service LOGIN
    port, rem = b"tty0", b"192.0.2.7"
    head = struct.pack("BBBBBBBB", 6, 1, 2, 1, len(user), len(port), len(rem), len(args))
    return head + bytes(len(a) for a in args) + user + port + rem + b"".join(args)


def author_response(args):
    # §6.2: status PASS_ADD
    head = struct.pack(">BBHH", 1, len(args), 0, 0)
    return head + bytes(len(a) for a in args) + b"".join(args)


def acct_request(user, args):
    # §7.1: flags START, method TACACSPLUS, priv 1, type PAP, service LOGIN
    port, rem = b"tty0", b"192.0.2.7"
    head = struct.pack("BBBBBBBBB", 0x02, 6, 1, 2, 1, len(user), len(port), len(rem), len(args))
    return head + bytes(len(a) for a in args) + user + port + rem + b"".join(args)


def acct_reply():
    return struct.pack(">HHB", 0, 0, 1)  # §7.2: status SUCCESS


def obfuscate(session, version, seq, body):
    """RFC 8907 §4.5: body XOR MD5(session_id, key, version, seq_no[, previous])..."""
    import hashlib
    pad, last = b"", b""
    while len(pad) < len(body):
        last = hashlib.md5(struct.pack(">I", session) + OBF_KEY + bytes([version, seq]) + last).digest()
        pad += last
    return bytes(a ^ b for a, b in zip(body, pad))


def exchanges(name=""):
    """(request, reply) pairs of three sessions on the one connection."""
    u = b"alice"
    first = pdu(1, 1, 0x1001, authen_start(u, b"tls-secret"))
    if name == "obfuscated":
        body = obfuscate(0x1001, 0xC1, 1, authen_start(u, b"tls-secret"))
        first = pdu(1, 1, 0x1001, body, flags=0x00)
    return [
        (first, pdu(1, 2, 0x1001, authen_reply_pass(b"welcome"))),
        (pdu(2, 1, 0x1002, author_request(u, [b"service=shell", b"cmd="])), pdu(2, 2, 0x1002, author_response([b"priv-lvl=15"]))),
        (pdu(3, 1, 0x1003, acct_request(u, [b"task_id=1", b"service=shell", b"start_time=1700000000"] + [b"note=" + b"n" * 200] * 10)), pdu(3, 2, 0x1003, acct_reply())),
    ]


def make_cert(tmp):
    key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", crt, "-days", "3650", "-subj", "/CN=tacacs.example"],
        check=True, capture_output=True)
    return crt, key


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed")
        b += c
    return b


def run_one(name, keylog):
    """Runs one TLS 1.3 connection (suite from OPENSSL_CONF); returns the wire chunks in order."""
    with tempfile.TemporaryDirectory() as tmp:
        crt, key = make_cert(tmp)
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.minimum_version = ssl.TLSVersion.TLSv1_3
        sctx.load_cert_chain(crt, key)
        sctx.set_alpn_protocols(["tacacs"])
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        errors = []

        def server():
            try:
                conn, _ = lsock.accept()
                with sctx.wrap_socket(conn, server_side=True) as t:
                    for _req, rep in exchanges():
                        h = recv_exact(t, 12)
                        recv_exact(t, struct.unpack(">I", h[8:])[0])
                        t.sendall(rep)
            except Exception as e:  # reported by the main thread
                errors.append(e)

        th = threading.Thread(target=server)
        th.start()
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.minimum_version = ssl.TLSVersion.TLSv1_3
        cctx.load_verify_locations(crt)
        cctx.set_alpn_protocols(["tacacs"])
        cctx.keylog_filename = keylog
        sock = socket.create_connection(lsock.getsockname())
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = cctx.wrap_bio(inc, out, server_hostname="tacacs.example")
        wire = []  # (0 = client->server | 1 = server->client, bytes)

        def flush():
            b = out.read()
            if b:
                wire.append((0, b))
                sock.sendall(b)

        def feed():
            b = sock.recv(65536)
            if not b:
                raise EOFError("server closed")
            wire.append((1, b))
            inc.write(b)

        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                flush()
                feed()
        flush()
        for req, rep in exchanges(name):
            # the first PDU in two TLS records: a PDU cut across records
            for part in ((req[:100], req[100:]) if req[1] == 3 else (req,)):
                tls.write(part)
            flush()
            got = b""
            while len(got) < len(rep):
                try:
                    got += tls.read(65536)
                except ssl.SSLWantReadError:
                    feed()
            assert got == rep, (got, rep)
        cipher = tls.cipher()[0]
        sock.shutdown(socket.SHUT_WR)
        # read what is left (session tickets may follow) until the server closes
        while True:
            b = sock.recv(65536)
            if not b:
                break
            wire.append((1, b))
        sock.close()
        th.join()
        lsock.close()
        if errors:
            raise errors[0]
        if cipher != SUITES[name]:
            raise SystemExit(f"{name}: negotiated {cipher}, wanted {SUITES[name]}")
        return wire


def run_keyupdate(keylog):
    """openssl s_client -> recording proxy -> openssl s_server; PDUs typed into their stdin
    (s_client treats a read starting with `K`/`k` as a KeyUpdate command, not data)."""
    import select
    import time
    with tempfile.TemporaryDirectory() as tmp:
        crt, key = make_cert(tmp)
        srv = subprocess.Popen(
            ["openssl", "s_server", "-tls1_3", "-accept", "127.0.0.1:0", "-cert", crt, "-key", key,
             "-naccept", "1", "-ciphersuites", SUITES["keyupdate"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        line = srv.stdout.readline().decode()
        while "ACCEPT" not in line:
            if not line:
                raise SystemExit("openssl s_server did not start")
            line = srv.stdout.readline().decode()
        port = int(line.strip().rsplit(":", 1)[1])
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        wire = []

        def proxy():
            c, _ = lsock.accept()
            s = socket.create_connection(("127.0.0.1", port))
            peer = {c: (s, 0), s: (c, 1)}
            while True:
                ready, _, _ = select.select([c, s], [], [])
                for x in ready:
                    b = x.recv(65536)
                    if not b:
                        return
                    peer[x][0].sendall(b)
                    wire.append((peer[x][1], b))

        th = threading.Thread(target=proxy)
        th.start()
        cli = subprocess.Popen(
            ["openssl", "s_client", "-tls1_3", "-connect", f"127.0.0.1:{lsock.getsockname()[1]}",
             "-keylogfile", keylog, "-servername", "tacacs.example", "-alpn", "tacacs"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def typed(p, data):
            p.stdin.write(data)
            p.stdin.flush()
            time.sleep(0.7)  # one read per write on the other side (a generator, not a test)

        time.sleep(1.5)
        ex = exchanges()
        typed(cli, ex[0][0])
        typed(srv, ex[0][1])
        typed(cli, b"K\n")
        typed(cli, ex[1][0])
        typed(srv, ex[1][1])
        typed(cli, b"k\n")
        typed(cli, ex[2][0])
        typed(srv, ex[2][1])
        cli.stdin.close()
        time.sleep(0.7)
        cli.terminate()
        srv.terminate()
        th.join(timeout=5)
        lsock.close()
        return wire


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = struct.pack(">4s4sBBH", src, dst, 0, 6, len(tcp) + len(payload))
    c = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack(">H", c) + tcp[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", checksum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


# Vectors in this directory made by another generator, checked by --check against tshark.
MADE_ELSEWHERE = ["single-connect"]


def write_pcap(path, wire):
    """Ethernet/IPv4/TCP frames: handshake, the chunks (≤ 1000 bytes each), FIN both ways."""
    ip = [bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])]
    port = [40300, PORT]
    seq = [1000, 5000]
    frames = []
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01

    def send(d, flags, payload=b""):
        frames.append(frame(ip[d], ip[1 - d], port[d], port[1 - d], seq[d], seq[1 - d], flags, payload))
        seq[d] = (seq[d] + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF

    send(0, SYN)
    send(1, SYN | ACK)
    send(0, ACK)
    for d, b in wire:
        for i in range(0, len(b), 1000):
            send(d, PSH | ACK, b[i:i + 1000])
    send(0, FIN | ACK)
    send(1, FIN | ACK)
    send(0, ACK)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)


def tshark_plaintext(pcap, keys):
    """The decrypted TLS application data per direction, as tshark reads it (`follow,tls,raw`:
    lines from node 0 unindented, from node 1 indented by a tab)."""
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-o", f"tls.keylog_file:{keys}", "-d", f"tcp.port=={PORT},tls",
         "-q", "-z", "follow,tls,raw,0"],
        check=True, capture_output=True, text=True).stdout
    node0_is_server = None
    streams = {"to_server": b"", "to_client": b""}
    for line in out.splitlines():
        if line.startswith("Node 0: "):
            node0_is_server = line.endswith(f":{PORT}")
            continue
        if node0_is_server is None or not line.strip() or line.startswith(("=", "Node ")):
            continue
        from_node1 = line.startswith("\t")
        from_server = node0_is_server != from_node1
        streams["to_client" if from_server else "to_server"] += bytes.fromhex(line.strip())
    return streams


def casplus_plaintext(casplus, pcap, keys):
    """The PDUs `casplus decode --keylog --json` finds, per direction, rebuilt as bytes."""
    import json
    out = subprocess.run([casplus, "decode", "--json", "--keylog", keys, "--key", OBF_KEY.decode(), pcap],
                         check=True, capture_output=True, text=True).stdout
    kinds = {"AUTHEN": 1, "AUTHOR": 2, "ACCT": 3}
    flags = {"UNENCRYPTED": 1, "SINGLE_CONNECT": 4}
    streams = {"to_server": b"", "to_client": b""}
    for line in out.splitlines():
        p = json.loads(line)
        h = p["header"]
        body = bytes.fromhex(p["body_clear_hex"])
        if "UNENCRYPTED" not in h["flags"]:
            body = obfuscate(h["session_id"], h["major"] << 4 | h["minor"], h["seq_no"], body)
        wire = struct.pack(">BBBBII", h["major"] << 4 | h["minor"], kinds[h["type"]], h["seq_no"],
                           sum(flags[f] for f in h["flags"]), h["session_id"], h["length"]) + body
        k = "to_server" if p["direction"] == "client_to_server" else "to_client"
        streams[k] += wire
    return streams


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        name = sys.argv[2]
        base = os.path.join(HERE, f"tls13-{name}")
        if os.path.exists(base + ".keys"):
            os.remove(base + ".keys")
        run = run_keyupdate if name == "keyupdate" else lambda k: run_one(name, k)
        write_pcap(base + ".pcap", run(base + ".keys"))
        return
    if sys.argv[1:2] == ["--check"]:
        casplus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../../../target/debug/casplus")
        for name in SUITES:
            want = {"to_server": b"".join(q for q, _ in exchanges(name)),
                    "to_client": b"".join(r for _, r in exchanges(name))}
            base = os.path.join(HERE, f"tls13-{name}")
            got = tshark_plaintext(base + ".pcap", base + ".keys")
            if got != want:
                raise SystemExit(f"{name}: tshark's plaintext differs from the PDUs sent")
            ours = casplus_plaintext(casplus, base + ".pcap", base + ".keys")
            if ours != got:
                raise SystemExit(f"{name}: casplus's decrypted PDUs differ from tshark's TLS plaintext")
            print(f"{name}: tshark and casplus decrypt the same {sum(map(len, got.values()))} bytes = the PDUs sent")
        # Made elsewhere (bench/tls_capture.py: OpenSSL as client and server, Single Connection
        # Mode, RFC 8907 §4.3): no list of PDUs sent here, so tshark's plaintext is the reference.
        for name in MADE_ELSEWHERE:
            base = os.path.join(HERE, f"tls13-{name}")
            got = tshark_plaintext(base + ".pcap", base + ".keys")
            if not all(got.values()):
                raise SystemExit(f"{name}: tshark decrypted nothing in one direction")
            ours = casplus_plaintext(casplus, base + ".pcap", base + ".keys")
            if ours != got:
                raise SystemExit(f"{name}: casplus's decrypted PDUs differ from tshark's TLS plaintext")
            print(f"{name}: tshark and casplus decrypt the same {sum(map(len, got.values()))} bytes")
        return
    for name, suite in SUITES.items():
        if sys.argv[1:] and name not in sys.argv[1:]:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as conf:
            conf.write("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n"
                       f"[sys]\nCiphersuites = {suite}\nMinProtocol = TLSv1.3\n")
        try:
            env = dict(os.environ, OPENSSL_CONF=conf.name)
            subprocess.run([sys.executable, __file__, "--child", name], check=True, env=env)
        finally:
            os.remove(conf.name)
        print(f"wrote tls13-{name}.pcap/.keys ({suite})")


if __name__ == "__main__":
    main()
