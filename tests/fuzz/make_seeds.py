#!/usr/bin/env python3
"""Writes small seed inputs for the fuzz targets from the known-answer vectors.

    python3 tests/fuzz/make_seeds.py      # (re)writes tests/fuzz/seeds/<target>/*

Only the targets written here are replaced; the seeds of the others (capture, cas_params,
cas_response, logout_request, saml_request, stored_records) are made by hand and left as they are.

Layouts follow the targets: keyed targets take `[count] ([len] [key])* [input]`
(fuzz_targets/common.rs), `body` takes `[kind index] [clear body]`, `obfuscate` takes
`[session_id:4] [version] [seq_no] [key len] [key] [body]`.
"""
import hashlib
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"
KINDS = ["authen_start", "authen_reply", "authen_continue", "author_request",
         "author_response", "acct_request", "acct_reply"]


def vectors():
    for kind in KINDS:
        for v in json.loads((VECTORS / f"{kind}.json").read_text())["vectors"]:
            yield kind, v


def main():
    seeds = {}

    def add(target, data: bytes):
        name = hashlib.sha1(data).hexdigest()[:16]
        seeds.setdefault(target, {})[name] = data

    by_key = {}
    for kind, v in vectors():
        pdu = bytes.fromhex(v["pdu_hex"])
        key = bytes.fromhex(v["key_hex"])
        clear = bytes.fromhex(v["expected"]["body_clear_hex"])
        add("decode_pdu", pdu)
        add("header", pdu[:12])
        add("decode_pdu_keyed", bytes([1, len(key)]) + key + pdu)
        add("body", bytes([KINDS.index(kind)]) + clear)
        add("obfuscate", pdu[4:8] + pdu[0:1] + pdu[2:3] + bytes([len(key)]) + key + pdu[12:])
        add("hex_input", (" ".join(f"{b:02x}" for b in pdu) + "\n").encode())
        by_key.setdefault(key, []).append(pdu)
    for key, pdus in by_key.items():
        add("decode_all", bytes([1, len(key)]) + key + b"".join(pdus))
        add("decode_all", bytes([0]) + b"".join(pdus))
    for arg in [b"service=shell", b"addr*192.0.2.1", b"noseparator", b"=empty", b"a=b*c"]:
        add("fields", arg)

    out = HERE / "seeds"
    for target, files in sorted(seeds.items()):
        d = out / target
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        for name, data in sorted(files.items()):
            (d / name).write_bytes(data)
    total = sum(len(f) for f in seeds.values())
    print(f"wrote {total} seeds for {len(seeds)} targets to {out}")


if __name__ == "__main__":
    main()
