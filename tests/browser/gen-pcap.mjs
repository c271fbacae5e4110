#!/usr/bin/env node
// Writes a pcap of TACACS+ traffic for the inspector's scale test and benchmark.
//
//   node tests/browser/gen-pcap.mjs OUT.pcap [FRAMES=100000] [KEY=bench-key]
//
// Independent of casplus: PDUs are built from RFC 8907 (§4.1 header, §5-§7 bodies) and
// obfuscated with node's MD5 (§4.5); frames are Ethernet II / IPv4 / TCP (checksums computed).
// Connections from 64 clients to 192.0.2.49:49, single-connect (§4.3), each: handshake, then
// sessions in turn — ASCII login (6 PDUs), command authorization (2), accounting START and
// STOP (2 + 2) — then FIN. Every data frame carries one PDU. Deterministic: the same arguments
// give the same bytes. Prints a JSON summary (frames, pdus, sessions, connections) on stdout.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const [out, framesArg = '100000', key = 'bench-key'] = process.argv.slice(2);
if (!out) {
  console.error('usage: gen-pcap.mjs OUT.pcap [FRAMES] [KEY]');
  process.exit(2);
}
const FRAMES = Number(framesArg);
const KEY = Buffer.from(key, 'utf8');
const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z

// --- TACACS+ (RFC 8907) ------------------------------------------------------------------
const u8 = (...v) => Buffer.from(v);
const u16 = (v) => Buffer.from([v >> 8, v & 0xff]);
const str = (s) => Buffer.from(s, 'latin1');

function pad(sessionId, version, seq, len) {
  const chunks = [];
  let last = Buffer.alloc(0);
  let n = 0;
  const sid = Buffer.alloc(4);
  sid.writeUInt32BE(sessionId >>> 0);
  while (n < len) {
    last = createHash('md5').update(Buffer.concat([sid, KEY, u8(version, seq), last])).digest();
    chunks.push(last);
    n += 16;
  }
  return Buffer.concat(chunks).subarray(0, len);
}

function pdu(type, seq, sessionId, body, version = 0xc0, flags = 0x04) {
  const h = Buffer.alloc(12);
  h[0] = version;
  h[1] = type;
  h[2] = seq;
  h[3] = flags;
  h.writeUInt32BE(sessionId >>> 0, 4);
  h.writeUInt32BE(body.length, 8);
  const p = pad(sessionId, version, seq, body.length);
  const ob = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) ob[i] = body[i] ^ p[i];
  return Buffer.concat([h, ob]);
}

const authenStart = (user, port, rem) =>
  Buffer.concat([u8(1, 1, 1, 1, user.length, port.length, rem.length, 0), str(user), str(port), str(rem)]);
const authenReply = (status, msg, flags = 0) =>
  Buffer.concat([u8(status, flags), u16(msg.length), u16(0), str(msg)]);
const authenContinue = (msg) => Buffer.concat([u16(msg.length), u16(0), u8(0), str(msg)]);
const authorRequest = (user, port, rem, args) =>
  Buffer.concat([
    u8(6, 15, 1, 1, user.length, port.length, rem.length, args.length),
    Buffer.from(args.map((a) => a.length)),
    str(user), str(port), str(rem), ...args.map(str),
  ]);
const authorResponse = (status, args) =>
  Buffer.concat([u8(status, args.length), u16(0), u16(0), Buffer.from(args.map((a) => a.length)), ...args.map(str)]);
const acctRequest = (flags, user, port, rem, args) =>
  Buffer.concat([
    u8(flags, 6, 15, 1, 1, user.length, port.length, rem.length, args.length),
    Buffer.from(args.map((a) => a.length)),
    str(user), str(port), str(rem), ...args.map(str),
  ]);
const acctReply = (status) => Buffer.concat([u16(0), u16(0), u8(status)]);

// One session's PDUs: [direction (0 client->server), bytes].
function session(kind, sid, n) {
  const user = `user${n % 500}`;
  const port = `tty${n % 8}`;
  const rem = `10.${(n >> 8) & 255}.${n & 255}.7`;
  switch (kind) {
    case 0: // ASCII login (§5.4.2)
      return [
        [0, pdu(1, 1, sid, authenStart('', port, rem))],
        [1, pdu(1, 2, sid, authenReply(4, 'Username: '))],
        [0, pdu(1, 3, sid, authenContinue(user))],
        [1, pdu(1, 4, sid, authenReply(5, 'Password: ', 1))],
        [0, pdu(1, 5, sid, authenContinue('s3cr3t!'))],
        [1, pdu(1, 6, sid, authenReply(1, ''))],
      ];
    case 1: // command authorization (§6)
      return [
        [0, pdu(2, 1, sid, authorRequest(user, port, rem, ['service=shell', 'cmd=show', 'cmd-arg=running-config']))],
        [1, pdu(2, 2, sid, authorResponse(1, ['priv-lvl=15']))],
      ];
    case 2: // accounting START (§7)
      return [
        [0, pdu(3, 1, sid, acctRequest(0x02, user, port, rem, [`task_id=${n}`, 'service=shell', `start_time=${T0 + n}`]))],
        [1, pdu(3, 2, sid, acctReply(1))],
      ];
    default: // accounting STOP
      return [
        [0, pdu(3, 1, sid, acctRequest(0x04, user, port, rem, [`task_id=${n}`, 'service=shell', `stop_time=${T0 + n + 60}`, 'elapsed_time=60']))],
        [1, pdu(3, 2, sid, acctReply(1))],
      ];
  }
}

// --- Ethernet / IPv4 / TCP -----------------------------------------------------------------
function csum(buf, init = 0) {
  let s = init;
  for (let i = 0; i + 1 < buf.length; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function frame(src, dst, sport, dport, seq, ack, flags, payload) {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(64240, 14);
  const seg = Buffer.concat([tcp, payload]);
  const pseudo = Buffer.concat([Buffer.from(src), Buffer.from(dst), u8(0, 6), u16(seg.length)]);
  seg.writeUInt16BE(~csum(seg, csum(pseudo)) & 0xffff, 16);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + seg.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from(src).copy(ip, 12);
  Buffer.from(dst).copy(ip, 16);
  ip.writeUInt16BE(~csum(ip) & 0xffff, 10);
  const eth = Buffer.from([2, 0, 0, 0, 0, dst[3], 2, 0, 0, 0, 0, src[3], 0x08, 0x00]);
  return Buffer.concat([eth, ip, seg]);
}

// --- the capture ---------------------------------------------------------------------------
const records = [];
let t = 0; // microseconds after T0
function record(bytes) {
  const h = Buffer.alloc(16);
  const us = T0 * 1e6 + t;
  h.writeUInt32LE(Math.floor(us / 1e6), 0);
  h.writeUInt32LE(us % 1e6, 4);
  h.writeUInt32LE(bytes.length, 8);
  h.writeUInt32LE(bytes.length, 12);
  records.push(h, bytes);
  t += 100;
}

const SERVER = [192, 0, 2, 49];
const CLIENTS = 64;
const conns = [];
for (let c = 0; c < CLIENTS; c++) {
  conns.push({
    ip: [10, 1, c >> 8, (c & 255) + 1],
    port: 40000 + c,
    cseq: (0x10000000 + c * 7919) >>> 0,
    sseq: (0x50000000 + c * 104729) >>> 0,
    open: false,
    queue: [],
    n: 0,
  });
}

let frames = 0;
let pdus = 0;
let sessions = 0;
let sessionNo = 0;
let c = 0;
// leave room for every connection's FIN exchange (3 frames each) and a handshake
const END = FRAMES - 3 * CLIENTS;
while (frames < END - 3) {
  const k = conns[c];
  c = (c + 1) % CLIENTS;
  if (!k.open) {
    record(frame(k.ip, SERVER, k.port, 49, k.cseq, 0, 0x02, Buffer.alloc(0)));
    record(frame(SERVER, k.ip, 49, k.port, k.sseq, k.cseq + 1, 0x12, Buffer.alloc(0)));
    k.cseq += 1;
    k.sseq += 1;
    record(frame(k.ip, SERVER, k.port, 49, k.cseq, k.sseq, 0x10, Buffer.alloc(0)));
    k.open = true;
    frames += 3;
    continue;
  }
  if (k.queue.length === 0) {
    const kind = sessionNo % 4;
    const sid = (0x9e3779b9 * (sessionNo + 1)) >>> 0;
    k.queue = session(kind, sid, sessionNo);
    sessionNo += 1;
    sessions += 1;
  }
  const [dir, bytes] = k.queue.shift();
  if (dir === 0) {
    record(frame(k.ip, SERVER, k.port, 49, k.cseq, k.sseq, 0x18, bytes));
    k.cseq += bytes.length;
  } else {
    record(frame(SERVER, k.ip, 49, k.port, k.sseq, k.cseq, 0x18, bytes));
    k.sseq += bytes.length;
  }
  frames += 1;
  pdus += 1;
}
// pad with pure ACKs to the exact frame count, then close every connection
for (let i = 0; frames < END; i++, frames++) {
  const k = conns[i % CLIENTS];
  record(frame(k.ip, SERVER, k.port, 49, k.cseq, k.sseq, 0x10, Buffer.alloc(0)));
}
let partial = 0;
for (const k of conns) {
  if (k.queue.length) partial += 1;
  record(frame(k.ip, SERVER, k.port, 49, k.cseq, k.sseq, 0x11, Buffer.alloc(0)));
  record(frame(SERVER, k.ip, 49, k.port, k.sseq, k.cseq + 1, 0x11, Buffer.alloc(0)));
  record(frame(k.ip, SERVER, k.port, 49, k.cseq + 1, k.sseq + 1, 0x10, Buffer.alloc(0)));
  frames += 3;
}

const head = Buffer.alloc(24);
head.writeUInt32LE(0xa1b2c3d4, 0);
head.writeUInt16LE(2, 4);
head.writeUInt16LE(4, 6);
head.writeUInt32LE(65535, 16);
head.writeUInt32LE(1, 20);
const file = Buffer.concat([head, ...records]);
writeFileSync(out, file);
console.log(JSON.stringify({ file: out, bytes: file.length, frames, pdus, sessions, unfinished_sessions: partial, connections: CLIENTS, key }));
