#!/usr/bin/env python3
"""Known-answer TACACS+ (RFC 8907) vectors from two independent implementations.

Every vector is *built* by one implementation and *parsed* by the other, never by casplus:

- requests (authentication START / CONTINUE, authorization REQUEST, accounting REQUEST) are
  built by the PyPI ``tacacs-plus`` packet classes (``tacacs_plus.*``, no server involved), then
  rebuilt with ``scapy.contrib.tacacs`` and the two encodings are asserted identical; the
  expected fields are what scapy dissects from the PDU after scapy's own de-obfuscation;
- replies (authentication REPLY, authorization RESPONSE, accounting REPLY) are built by scapy
  (``tacacs-plus`` has no reply encoder) and the expected fields are what the ``tacacs-plus``
  ``unpacked()`` parsers report after ``tacacs_plus.packet.crypt``.

Usage (from the repository root, after ``tests/tools/setup.sh python``)::

    .venv/bin/python tests/vectors/generate.py           # (re)write tests/vectors/*.json
    .venv/bin/python tests/vectors/generate.py --check   # fail if the committed files differ

Output format (one file per body kind, see tests/vectors/README.md): byte strings are lowercase
hex in fields ending in ``_hex``; numbers are the wire values. Everything is deterministic
(fixed session ids, fixed keys, no randomness).
"""

import argparse
import difflib
import hashlib
import json
import struct
import sys
from pathlib import Path

import scapy.contrib.tacacs as sc
from scapy.compat import raw
from tacacs_plus import flags as tp_flags
from tacacs_plus.accounting import TACACSAccountingReply, TACACSAccountingStart
from tacacs_plus.authentication import (
    TACACSAuthenticationContinue,
    TACACSAuthenticationReply,
    TACACSAuthenticationStart,
)
from tacacs_plus.authorization import TACACSAuthorizationReply, TACACSAuthorizationStart
from tacacs_plus.packet import TACACSHeader, TACACSPacket, crypt

OUT_DIR = Path(__file__).resolve().parent

# RFC 8907 §4.1 header values.
MAJOR = 0xC
TYPE_AUTHEN, TYPE_AUTHOR, TYPE_ACCT = 1, 2, 3
FLAG_UNENCRYPTED, FLAG_SINGLE_CONNECT = 0x01, 0x04

# Keys of several lengths (§4.5: the key is any sequence of bytes).
KEYS = {
    "k1": b"k",
    "k8": b"s3cr3t!!",
    "k16": b"0123456789abcdef",
    "k70": b"a-rather-long-shared-secret-that-spans-more-than-one-md5-block-of-64B!",
    "bin": bytes([0x00, 0xFF, 0x80, 0x7F, 0x0A, 0x3D, 0x2A, 0x20, 0xC3, 0xA9, 0x01, 0xFE]),
    "utf8": "clé✓".encode(),
}


def latin1(b: bytes) -> str:
    """tacacs-plus takes text arguments and the key as str and encodes them with six.b (latin-1):
    a latin-1 view of arbitrary bytes reaches the wire unchanged."""
    return b.decode("latin-1")


class RawSecret(str):
    """scapy's obfuscate() calls ``secret.encode()``; hand it the exact key bytes instead of a
    UTF-8 re-encoding so that keys with any byte value can be used."""

    def __new__(cls, key: bytes):
        obj = super().__new__(cls, key.decode("latin-1"))
        obj.raw = key
        return obj

    def encode(self, *args, **kwargs):  # noqa: D401 - mimics str.encode
        return self.raw


def version_byte(minor: int) -> int:
    return (MAJOR << 4) | minor


# ---------------------------------------------------------------------------------------------
# Requests: built by tacacs-plus, cross-built by scapy, parsed by scapy.
# ---------------------------------------------------------------------------------------------


def tp_packet(ptype, body_packed, session_id, seq_no, minor, key, flags):
    header = TACACSHeader(version_byte(minor), ptype, session_id, len(body_packed), seq_no, flags)
    secret = None if flags & FLAG_UNENCRYPTED else latin1(key)
    return bytes(TACACSPacket(header, body_packed, secret))


def scapy_build(body_layer, ptype, session_id, seq_no, minor, key, flags):
    sc.SECRET = RawSecret(key)
    hdr = sc.TacacsHeader(
        version=version_byte(minor), type=ptype, seq=seq_no, flags=flags, session_id=session_id
    )
    return raw(hdr / body_layer)


def scapy_args(args):
    layer = None
    for a in args:
        arg = sc.TacacsPacketArguments(data=a)
        layer = arg if layer is None else layer / arg
    return layer


def scapy_dissect(pdu: bytes, key: bytes, body_cls):
    """Header fields and the de-obfuscated body as scapy sees them; the body is dissected with
    the explicit class for its (type, seq_no) so scapy's START/CONTINUE guess is not needed."""
    sc.SECRET = RawSecret(key)
    hdr = sc.TacacsHeader(pdu)
    clear = raw(hdr.payload)  # post_dissect already de-obfuscated (or not, if flag 0x01)
    header = {
        "major": hdr.version >> 4,
        "minor": hdr.version & 0x0F,
        "type": hdr.type,
        "seq_no": hdr.seq,
        "flags": hdr.flags,
        "session_id": hdr.session_id,
        "length": hdr.length,
    }
    return header, clear, body_cls(clear)


def scapy_arg_list(body):
    args = []
    layer = body.payload
    while isinstance(layer, sc.TacacsPacketArguments):
        args.append(bytes(layer.data))
        layer = layer.payload
    assert len(args) == body.arg_cnt, "scapy lost arguments"
    return args


def authen_start(name, *, key, session_id, minor, user, port, rem_addr, data, authen_type,
                 action=1, priv_lvl=1, service=1, flags=0, seq_no=1, note=""):
    body = TACACSAuthenticationStart(
        latin1(user), authen_type, priv_lvl, data, rem_addr=latin1(rem_addr), port=latin1(port)
    )
    body.action, body.service = action, service
    pdu = tp_packet(TYPE_AUTHEN, body.packed, session_id, seq_no, minor, key, flags)
    other = scapy_build(
        sc.TacacsAuthenticationStart(
            action=action, priv_lvl=priv_lvl, authen_type=authen_type, authen_service=service,
            user=user, port=port, rem_addr=rem_addr, data=data,
        ),
        TYPE_AUTHEN, session_id, seq_no, minor, key, flags,
    )
    assert pdu == other, f"{name}: tacacs-plus and scapy disagree"
    header, clear, b = scapy_dissect(pdu, key, sc.TacacsAuthenticationStart)
    fields = {
        "kind": "authen_start",
        "action": b.action,
        "priv_lvl": b.priv_lvl,
        "authen_type": b.authen_type,
        "authen_service": b.authen_service,
        "user_hex": bytes(b.user).hex(),
        "port_hex": bytes(b.port).hex(),
        "rem_addr_hex": bytes(b.rem_addr).hex(),
        "data_hex": bytes(b.data).hex(),
    }
    return vector(name, "tacacs-plus", "scapy", key, pdu, header, clear, fields, note)


def authen_continue(name, *, key, session_id, minor, user_msg, data=b"", flags_body=0,
                    flags=0, seq_no=3, note=""):
    body = TACACSAuthenticationContinue(latin1(user_msg), data, flags_body)
    pdu = tp_packet(TYPE_AUTHEN, body.packed, session_id, seq_no, minor, key, flags)
    other = scapy_build(
        sc.TacacsAuthenticationContinue(user_msg=user_msg, data=data, flags=flags_body),
        TYPE_AUTHEN, session_id, seq_no, minor, key, flags,
    )
    assert pdu == other, f"{name}: tacacs-plus and scapy disagree"
    header, clear, b = scapy_dissect(pdu, key, sc.TacacsAuthenticationContinue)
    fields = {
        "kind": "authen_continue",
        "flags": b.flags,
        "user_msg_hex": bytes(b.user_msg).hex(),
        "data_hex": bytes(b.data).hex(),
    }
    return vector(name, "tacacs-plus", "scapy", key, pdu, header, clear, fields, note)


def author_request(name, *, key, session_id, user, port, rem_addr, args, authen_method=6,
                   priv_lvl=1, authen_type=1, service=1, minor=0, flags=0, note=""):
    body = TACACSAuthorizationStart(
        latin1(user), authen_method, priv_lvl, authen_type, args,
        rem_addr=latin1(rem_addr), port=latin1(port),
    )
    body.service = service
    pdu = tp_packet(TYPE_AUTHOR, body.packed, session_id, 1, minor, key, flags)
    layer = sc.TacacsAuthorizationRequest(
        authen_method=authen_method, priv_lvl=priv_lvl, authen_type=authen_type,
        authen_service=service, user=user, port=port, rem_addr=rem_addr,
        arg_len_list=[len(a) for a in args],
    )
    if args:
        layer = layer / scapy_args(args)
    other = scapy_build(layer, TYPE_AUTHOR, session_id, 1, minor, key, flags)
    assert pdu == other, f"{name}: tacacs-plus and scapy disagree"
    header, clear, b = scapy_dissect(pdu, key, sc.TacacsAuthorizationRequest)
    fields = {
        "kind": "author_request",
        "authen_method": b.authen_method,
        "priv_lvl": b.priv_lvl,
        "authen_type": b.authen_type,
        "authen_service": b.authen_service,
        "user_hex": bytes(b.user).hex(),
        "port_hex": bytes(b.port).hex(),
        "rem_addr_hex": bytes(b.rem_addr).hex(),
        "args_hex": [a.hex() for a in scapy_arg_list(b)],
    }
    return vector(name, "tacacs-plus", "scapy", key, pdu, header, clear, fields, note)


def acct_request(name, *, key, session_id, acct_flags, user, port, rem_addr, args,
                 authen_method=6, priv_lvl=1, authen_type=1, service=1, minor=0, flags=0,
                 note=""):
    body = TACACSAccountingStart(
        latin1(user), acct_flags, authen_method, priv_lvl, authen_type, args,
        rem_addr=latin1(rem_addr), port=latin1(port),
    )
    body.service = service
    pdu = tp_packet(TYPE_ACCT, body.packed, session_id, 1, minor, key, flags)
    layer = sc.TacacsAccountingRequest(
        flags=acct_flags, authen_method=authen_method, priv_lvl=priv_lvl,
        authen_type=authen_type, authen_service=service, user=user, port=port,
        rem_addr=rem_addr, arg_len_list=[len(a) for a in args],
    )
    if args:
        layer = layer / scapy_args(args)
    other = scapy_build(layer, TYPE_ACCT, session_id, 1, minor, key, flags)
    assert pdu == other, f"{name}: tacacs-plus and scapy disagree"
    header, clear, b = scapy_dissect(pdu, key, sc.TacacsAccountingRequest)
    fields = {
        "kind": "acct_request",
        "flags": b.flags,
        "authen_method": b.authen_method,
        "priv_lvl": b.priv_lvl,
        "authen_type": b.authen_type,
        "authen_service": b.authen_service,
        "user_hex": bytes(b.user).hex(),
        "port_hex": bytes(b.port).hex(),
        "rem_addr_hex": bytes(b.rem_addr).hex(),
        "args_hex": [a.hex() for a in scapy_arg_list(b)],
    }
    return vector(name, "tacacs-plus", "scapy", key, pdu, header, clear, fields, note)


# ---------------------------------------------------------------------------------------------
# Replies: built by scapy, parsed by tacacs-plus.
# ---------------------------------------------------------------------------------------------


def tp_dissect(pdu: bytes, key: bytes):
    header = TACACSHeader.unpacked(pdu[:12])
    body = pdu[12:]
    assert len(body) == header.length, "length field disagrees with the body scapy wrote"
    clear = body if header.flags & FLAG_UNENCRYPTED else crypt(header, body, latin1(key))
    fields = {
        "major": header.version_max,
        "minor": header.version_min,
        "type": header.type,
        "seq_no": header.seq_no,
        "flags": header.flags,
        "session_id": header.session_id,
        "length": header.length,
    }
    return fields, clear


def authen_reply(name, *, key, session_id, status, server_msg=b"", data=b"", reply_flags=0,
                 seq_no=2, minor=0, flags=0, note=""):
    pdu = scapy_build(
        sc.TacacsAuthenticationReply(
            status=status, flags=reply_flags, server_msg=server_msg, data=data
        ),
        TYPE_AUTHEN, session_id, seq_no, minor, key, flags,
    )
    header, clear = tp_dissect(pdu, key)
    b = TACACSAuthenticationReply.unpacked(clear)
    fields = {
        "kind": "authen_reply",
        "status": b.status,
        "flags": b.flags,
        "server_msg_hex": bytes(b.server_msg).hex(),
        "data_hex": bytes(b.data).hex(),
    }
    return vector(name, "scapy", "tacacs-plus", key, pdu, header, clear, fields, note)


def author_response(name, *, key, session_id, status, args=(), server_msg=b"", data=b"",
                    seq_no=2, minor=0, flags=0, note=""):
    args = list(args)
    layer = sc.TacacsAuthorizationReply(
        status=status, server_msg=server_msg, data=data, arg_len_list=[len(a) for a in args]
    )
    if args:
        layer = layer / scapy_args(args)
    pdu = scapy_build(layer, TYPE_AUTHOR, session_id, seq_no, minor, key, flags)
    header, clear = tp_dissect(pdu, key)
    b = TACACSAuthorizationReply.unpacked(clear)
    fields = {
        "kind": "author_response",
        "status": b.status,
        "server_msg_hex": bytes(b.server_msg).hex(),
        "data_hex": bytes(b.data).hex(),
        "args_hex": [bytes(a).hex() for a in b.arguments],
    }
    assert b.arg_cnt == len(b.arguments)
    return vector(name, "scapy", "tacacs-plus", key, pdu, header, clear, fields, note)


def acct_reply(name, *, key, session_id, status, server_msg=b"", data=b"", seq_no=2, minor=0,
               flags=0, note=""):
    pdu = scapy_build(
        sc.TacacsAccountingReply(status=status, server_msg=server_msg, data=data),
        TYPE_ACCT, session_id, seq_no, minor, key, flags,
    )
    header, clear = tp_dissect(pdu, key)
    b = TACACSAccountingReply.unpacked(clear)
    fields = {
        "kind": "acct_reply",
        "status": b.status,
        "server_msg_hex": bytes(b.server_msg).hex(),
        "data_hex": bytes(b.data).hex(),
    }
    return vector(name, "scapy", "tacacs-plus", key, pdu, header, clear, fields, note)


# ---------------------------------------------------------------------------------------------


def vector(name, built_by, parsed_by, key, pdu, header, clear, body, note):
    v = {"name": name}
    if note:
        v["note"] = note
    v["built_by"] = built_by
    v["parsed_by"] = parsed_by
    v["key_hex"] = key.hex()
    printable = all(0x20 <= c < 0x7F for c in key)
    if printable:
        v["key"] = key.decode("ascii")
    v["pdu_hex"] = pdu.hex()
    v["expected"] = {"header": header, "body_clear_hex": clear.hex(), "body": body}
    return v


def chap_data(ppp_id: bytes, challenge: bytes, password: bytes) -> bytes:
    """CHAP data as the tacacs-plus client builds it (RFC 8907 §5.4.2.3: id, challenge,
    response = MD5(id || password || challenge))."""
    return ppp_id + challenge + hashlib.md5(ppp_id + password + challenge).digest()


def build_all():
    K = KEYS
    long_args = [b"cmd-arg=" + (b"%03d" % i) * 30 for i in range(40)]  # 40 x 98 B: a 4 KB body
    files = {}

    # RFC 8907 §5.1 Authentication START (seq_no 1).
    files["authen_start"] = [
        authen_start("authen_start_ascii_login_k8", key=K["k8"], session_id=0x11223344, minor=0,
                     user=b"alice", port=b"tty0", rem_addr=b"192.0.2.10", data=b"",
                     authen_type=1, note="ASCII login, user given up front"),
        authen_start("authen_start_ascii_no_user_k1", key=K["k1"], session_id=0x00000001,
                     minor=0, user=b"", port=b"console", rem_addr=b"", data=b"", authen_type=1,
                     note="ASCII login without a user: the server will ask (GETUSER)"),
        authen_start("authen_start_pap_k70", key=K["k70"], session_id=0xDEADBEEF, minor=1,
                     user=b"bob", port=b"vty3", rem_addr=b"198.51.100.7", data=b"hunter2",
                     authen_type=2, note="PAP: the password travels in data (minor version 1)"),
        authen_start("authen_start_pap_k8", key=K["k8"], session_id=0x5EED0001, minor=1,
                     user=b"alice", port=b"tty1", rem_addr=b"203.0.113.5",
                     data=b"correct horse", authen_type=2, note="PAP, 8-byte key"),
        authen_start("authen_start_chap_bin", key=K["bin"], session_id=0xFFFFFFFF, minor=1,
                     user=b"carol", port=b"ppp0", rem_addr=b"2001:db8::1",
                     data=chap_data(b"\x2a", b"0123456789abcdef", b"chap-pass"), authen_type=3,
                     service=3, note="CHAP (id, 16-byte challenge, MD5 response), binary key"),
        authen_start("authen_start_mschapv1_k16", key=K["k16"], session_id=0x0A0B0C0D, minor=1,
                     user=b"dave", port=b"ppp1", rem_addr=b"192.0.2.99",
                     data=b"\x07" + bytes(range(8)) + bytes(range(100, 149)), authen_type=5,
                     service=3, note="MS-CHAP v1: id, 8-byte challenge, 49-byte response"),
        authen_start("authen_start_mschapv2_sendauth_k8", key=K["k8"], session_id=0x0BADF00D,
                     minor=1, user=b"erin", port=b"ppp2", rem_addr=b"192.0.2.100",
                     data=b"\x09" + bytes(range(16)) + bytes(range(200, 249)), authen_type=6,
                     action=4, service=3,
                     note="SENDAUTH with MS-CHAP v2: id, 16-byte challenge, 49-byte response"),
        authen_start("authen_start_chpass_k1", key=K["k1"], session_id=0x01020304,
                     minor=0, user=b"admin", port=b"tty2", rem_addr=b"", data=b"", authen_type=1,
                     action=2, note="ASCII change password (CHPASS)"),
        authen_start("authen_start_enable_k16", key=K["k16"], session_id=0x01020305,
                     minor=0, user=b"admin", port=b"tty2", rem_addr=b"192.0.2.8", data=b"",
                     authen_type=1, priv_lvl=15, service=2,
                     note="enable request: LOGIN with authen_service ENABLE, priv_lvl 15"),
        authen_start("authen_start_pap_unencrypted", key=K["k8"], session_id=0x12345678,
                     minor=1, user=b"frank", port=b"tty3", rem_addr=b"192.0.2.3",
                     data=b"plain", authen_type=2, flags=FLAG_UNENCRYPTED,
                     note="TAC_PLUS_UNENCRYPTED_FLAG set: the body is clear, the key unused"),
        authen_start("authen_start_ascii_single_connect_utf8", key=K["utf8"],
                     session_id=0x7FFFFFFF, minor=0, user="jürgen".encode(), port=b"tty4",
                     rem_addr=b"host.example", data=b"", authen_type=1,
                     flags=FLAG_SINGLE_CONNECT, note="single-connect flag, UTF-8 user and key"),
    ]

    # RFC 8907 §5.2 Authentication REPLY (even seq_no).
    files["authen_reply"] = [
        authen_reply("authen_reply_getpass_noecho_k8", key=K["k8"], session_id=0x11223344,
                     status=5, reply_flags=1, server_msg=b"Password: ",
                     note="GETPASS with REPLY_FLAG_NOECHO"),
        authen_reply("authen_reply_getuser_k1", key=K["k1"], session_id=0x00000001, status=4,
                     server_msg=b"Username: "),
        authen_reply("authen_reply_pass_k70", key=K["k70"], session_id=0xDEADBEEF, status=1,
                     seq_no=2, minor=1),
        authen_reply("authen_reply_fail_bin", key=K["bin"], session_id=0xFFFFFFFF, status=2,
                     server_msg=b"Authentication failed", minor=1),
        authen_reply("authen_reply_getdata_k16", key=K["k16"], session_id=0x0A0B0C0D, status=3,
                     server_msg=b"Enter your token:\r\n", seq_no=4),
        authen_reply("authen_reply_restart_k8", key=K["k8"], session_id=0x0BADF00D, status=6,
                     data=b"\x02\x03", minor=1, note="RESTART; data lists acceptable authen_types"),
        authen_reply("authen_reply_error_unencrypted", key=K["k8"], session_id=0x12345678,
                     status=7, data=b"backend unavailable", flags=FLAG_UNENCRYPTED),
        authen_reply("authen_reply_follow_utf8", key=K["utf8"], session_id=0x7FFFFFFF,
                     status=0x21, data=b"@192.0.2.50@key2\n192.0.2.51",
                     note="FOLLOW (deprecated); data lists alternate servers"),
    ]

    # RFC 8907 §5.3 Authentication CONTINUE (odd seq_no >= 3).
    files["authen_continue"] = [
        authen_continue("authen_continue_password_k8", key=K["k8"], session_id=0x11223344,
                        minor=0, user_msg=b"hunter2", note="answer to GETPASS"),
        authen_continue("authen_continue_username_k1", key=K["k1"], session_id=0x00000001,
                        minor=0, user_msg=b"alice", note="answer to GETUSER"),
        authen_continue("authen_continue_abort_k70", key=K["k70"], session_id=0xDEADBEEF,
                        minor=0, user_msg=b"", data=b"user pressed ^C", flags_body=1, seq_no=5,
                        note="CONTINUE_FLAG_ABORT with a reason in data"),
        authen_continue("authen_continue_unencrypted", key=K["k8"], session_id=0x12345678,
                        minor=0, user_msg=b"secret", flags=FLAG_UNENCRYPTED),
        authen_continue("authen_continue_binary_bin", key=K["bin"], session_id=0xFFFFFFFF,
                        minor=0, user_msg=bytes([0x00, 0x1B, 0x7F, 0xFF]) + b"x" * 40,
                        note="non-printable bytes in user_msg, body spans 4 pad blocks"),
    ]

    # RFC 8907 §6.1 Authorization REQUEST.
    files["author_request"] = [
        author_request("author_request_shell_k8", key=K["k8"], session_id=0x22334455,
                       user=b"alice", port=b"tty0", rem_addr=b"192.0.2.10",
                       args=[b"service=shell", b"cmd="], note="exec shell start"),
        author_request("author_request_command_k70", key=K["k70"], session_id=0x22334456,
                       user=b"alice", port=b"vty0", rem_addr=b"192.0.2.10", priv_lvl=15,
                       args=[b"service=shell", b"cmd=show", b"cmd-arg=running-config",
                             b"cmd-arg=<cr>"], note="command authorization"),
        author_request("author_request_optional_bin", key=K["bin"], session_id=0x00000002,
                       user=b"bob", port=b"ppp0", rem_addr=b"", authen_method=5, authen_type=2,
                       service=3, minor=1,
                       args=[b"service=ppp", b"protocol=ip", b"addr*192.0.2.77",
                             b"timeout*60"], note="optional arguments use '*'"),
        author_request("author_request_no_args_unencrypted", key=K["k8"], session_id=0x33,
                       user=b"guest", port=b"", rem_addr=b"", args=[], authen_method=8,
                       authen_type=0, priv_lvl=0, flags=FLAG_UNENCRYPTED,
                       note="no arguments, authen_method GUEST, authen_type NOT_SET"),
        author_request("author_request_krb5_line_k16", key=K["k16"], session_id=0x44,
                       user=b"kim", port=b"tty9", rem_addr=b"10.0.0.1", authen_method=2,
                       args=[b"service=shell", b"noseparator"],
                       note="authen_method KRB5 (0x02); an argument without separator"),
        author_request("author_request_many_args_k1", key=K["k1"], session_id=0x55,
                       user=b"ops", port=b"vty7", rem_addr=b"192.0.2.200", authen_method=3,
                       args=[b"service=shell"] + long_args,
                       note="authen_method LINE (0x03); 41 arguments, ~4 KB body"),
    ]

    # RFC 8907 §6.2 Authorization RESPONSE.
    files["author_response"] = [
        author_response("author_response_pass_add_k8", key=K["k8"], session_id=0x22334455,
                        status=1, args=[b"priv-lvl=15"]),
        author_response("author_response_pass_repl_k70", key=K["k70"], session_id=0x22334456,
                        status=2, args=[b"service=shell", b"cmd=show", b"idletime=10",
                                        b"acl*101"]),
        author_response("author_response_fail_bin", key=K["bin"], session_id=0x00000002,
                        status=0x10, server_msg=b"command not permitted", minor=1),
        author_response("author_response_error_unencrypted", key=K["k8"], session_id=0x33,
                        status=0x11, data=b"policy engine down", flags=FLAG_UNENCRYPTED),
        author_response("author_response_follow_k16", key=K["k16"], session_id=0x44,
                        status=0x21, data=b"192.0.2.60", note="FOLLOW (deprecated)"),
        author_response("author_response_large_k1", key=K["k1"], session_id=0x55, status=1,
                        args=long_args, server_msg=b"ok", note="40 arguments, ~4 KB body"),
    ]

    # RFC 8907 §7.1 Accounting REQUEST.
    files["acct_request"] = [
        acct_request("acct_request_start_k8", key=K["k8"], session_id=0x66778899, acct_flags=0x02,
                     user=b"alice", port=b"tty0", rem_addr=b"192.0.2.10",
                     args=[b"task_id=42", b"start_time=1700000000", b"service=shell"]),
        acct_request("acct_request_stop_k70", key=K["k70"], session_id=0x6677889A,
                     acct_flags=0x04, user=b"alice", port=b"tty0", rem_addr=b"192.0.2.10",
                     args=[b"task_id=42", b"stop_time=1700003600", b"elapsed_time=3600",
                           b"bytes_in=123456", b"bytes_out=654321", b"service=shell"]),
        acct_request("acct_request_watchdog_update_bin", key=K["bin"], session_id=0x6677889B,
                     acct_flags=0x0A, user=b"bob", port=b"ppp0", rem_addr=b"", minor=1,
                     authen_type=2, service=3, authen_method=5,
                     args=[b"task_id=7", b"elapsed_time=60", b"bytes_in=1", b"bytes_out=2"],
                     note="WATCHDOG|START: watchdog with update"),
        acct_request("acct_request_watchdog_k1", key=K["k1"], session_id=0x6677889C,
                     acct_flags=0x08, user=b"carol", port=b"tty5", rem_addr=b"",
                     args=[b"task_id=9"], note="WATCHDOG, no update"),
        acct_request("acct_request_start_stop_invalid_k16", key=K["k16"], session_id=0x6677889D,
                     acct_flags=0x06, user=b"dave", port=b"tty6", rem_addr=b"",
                     args=[b"task_id=10"], note="START|STOP is an invalid combination (§7.2)"),
        acct_request("acct_request_cmd_unencrypted", key=K["k8"], session_id=0x6677889E,
                     acct_flags=0x04, user=b"erin", port=b"vty1", rem_addr=b"192.0.2.4",
                     priv_lvl=15, flags=FLAG_UNENCRYPTED,
                     args=[b"task_id=11", b"service=shell", b"cmd=configure terminal <cr>"]),
    ]

    # RFC 8907 §7.2 Accounting REPLY.
    files["acct_reply"] = [
        acct_reply("acct_reply_success_k8", key=K["k8"], session_id=0x66778899, status=1),
        acct_reply("acct_reply_error_k70", key=K["k70"], session_id=0x6677889A, status=2,
                   server_msg=b"disk full", data=b"errno=28"),
        acct_reply("acct_reply_follow_bin", key=K["bin"], session_id=0x6677889B, status=0x21,
                   data=b"192.0.2.61", minor=1, note="FOLLOW (deprecated)"),
        acct_reply("acct_reply_success_unencrypted", key=K["k8"], session_id=0x6677889E,
                   status=1, flags=FLAG_UNENCRYPTED),
    ]
    return files


def render(kind, vectors):
    doc = {
        "kind": kind,
        "generator": "tests/vectors/generate.py",
        "implementations": ["tacacs-plus (PyPI)", "scapy.contrib.tacacs (PyPI scapy)"],
        "vectors": vectors,
    }
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="regenerate in memory and fail if the committed files differ")
    opts = ap.parse_args()
    rendered = {f"{kind}.json": render(kind, vs) for kind, vs in build_all().items()}
    names = [v["name"] for text in rendered.values() for v in json.loads(text)["vectors"]]
    assert len(names) == len(set(names)), "duplicate vector names"

    if not opts.check:
        for fname, text in rendered.items():
            (OUT_DIR / fname).write_text(text)
        print(f"wrote {len(rendered)} files, {len(names)} vectors to {OUT_DIR}")
        return 0

    failed = False
    for fname, text in rendered.items():
        path = OUT_DIR / fname
        have = path.read_text() if path.exists() else ""
        if have != text:
            failed = True
            sys.stdout.writelines(difflib.unified_diff(
                have.splitlines(True), text.splitlines(True), f"committed/{fname}",
                f"regenerated/{fname}", n=2))
    if failed:
        print("vectors differ from what the independent implementations produce", file=sys.stderr)
        return 1
    print(f"{len(names)} vectors in {len(rendered)} files match tacacs-plus and scapy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
