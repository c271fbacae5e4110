// Throughput of the npm package's `decode` in Node (bench/RESULTS.md, "npm package").
//   node npm/bench.mjs [PKG_DIR]        (after `make npm`; PKG_DIR defaults to pkg/)
// Builds a pcap in memory with the package's own encodePacket: SESSIONS PAP logins
// (AUTHEN START + REPLY, key-obfuscated), each on its own TCP connection to port 49, plus
// pure ACK frames up to FRAMES_PER_SESSION frames per session; then times decode() of it
// (capture analysis, codec decode of every PDU, JSON rendering and JSON.parse into objects).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = resolve(process.argv[2] ?? 'pkg');
const { decode, version } = await import(pathToFileURL(`${pkg}/node.mjs`).href);
const { encodePacket } = await import(pathToFileURL(`${pkg}/encode/node.mjs`).href);

const SESSIONS = Number(process.env.SESSIONS ?? 10_000);
const FRAMES_PER_SESSION = 10;
const KEY = 'bench-key';
const RUNS = Number(process.env.RUNS ?? 5);

function frame(out, t, src, dst, sport, dport, seq, ack, payload) {
  const ipLen = 20 + 20 + payload.length;
  const f = new Uint8Array(14 + ipLen);
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, dst & 0xff, 2, 0, 0, 0, 0, src & 0xff], 0);
  v.setUint16(12, 0x0800);
  f[14] = 0x45; v.setUint16(16, ipLen); f[22] = 64; f[23] = 6;
  v.setUint32(26, src); v.setUint32(30, dst);
  v.setUint16(34, sport); v.setUint16(36, dport); v.setUint32(38, seq); v.setUint32(42, ack);
  f[46] = 0x50; f[47] = payload.length ? 0x18 : 0x10; v.setUint16(48, 65535);
  f.set(payload, 54);
  const rec = new Uint8Array(16);
  const rv = new DataView(rec.buffer);
  rv.setUint32(0, Math.floor(t), true); rv.setUint32(4, Math.round((t % 1) * 1e6), true);
  rv.setUint32(8, f.length, true); rv.setUint32(12, f.length, true);
  out.push(rec, f);
}

function capture() {
  const parts = [];
  const global = new Uint8Array(24);
  const g = new DataView(global.buffer);
  g.setUint32(0, 0xa1b2c3d4, true); g.setUint16(4, 2, true); g.setUint16(6, 4, true);
  g.setUint32(16, 65535, true); g.setUint32(20, 1, true);
  parts.push(global);
  const client = 0xc0000200 | 10; // 192.0.2.10
  const server = 0xc0000200 | 49; // 192.0.2.49
  let t = 1_700_000_000;
  for (let i = 0; i < SESSIONS; i++) {
    const sport = 1024 + (i % 60_000);
    const sid = (0x5eed0000 + i) >>> 0;
    const start = encodePacket({
      header: { type: 'AUTHEN', seq_no: 1, session_id: sid, minor: 1 },
      body: { kind: 'authen_start', action: 'LOGIN', priv_lvl: 1, authen_type: 'PAP', authen_service: 'LOGIN', user: `user${i}`, port: 'tty1', rem_addr: '198.51.100.7', data: 'correct horse' },
    }, KEY);
    const reply = encodePacket({
      header: { type: 'AUTHEN', seq_no: 2, session_id: sid, minor: 1 },
      body: { kind: 'authen_reply', status: i % 7 ? 'PASS' : 'FAIL' },
    }, KEY);
    const cs = 1000 + i, ss = 5000 + i;
    frame(parts, (t += 0.001), client, server, sport, 49, cs, ss, start);
    frame(parts, (t += 0.001), server, client, 49, sport, ss, cs + start.length, new Uint8Array(0));
    frame(parts, (t += 0.001), server, client, 49, sport, ss, cs + start.length, reply);
    for (let k = 3; k < FRAMES_PER_SESSION; k++) {
      frame(parts, (t += 0.001), client, server, sport, 49, cs + start.length, ss + reply.length, new Uint8Array(0));
    }
  }
  return Buffer.concat(parts);
}

const input = capture();
const frames = SESSIONS * FRAMES_PER_SESSION;
let best = Infinity;
let r;
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  r = decode(input, { keys: [KEY] });
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
if (r.pdus.length !== 2 * SESSIONS || r.keys_ok[0] !== 0) {
  throw new Error(`unexpected result: ${r.pdus.length} PDUs, keys_ok ${r.keys_ok}`);
}
const json = JSON.stringify(r).length;
console.log(JSON.stringify({
  casplus: version(),
  node: process.version,
  input_bytes: input.length,
  frames,
  pdus: r.pdus.length,
  result_json_bytes: json,
  best_of: RUNS,
  seconds: Number(best.toFixed(3)),
  frames_per_s: Math.round(frames / best),
  pdus_per_s: Math.round(r.pdus.length / best),
  input_mb_per_s: Number((input.length / 1e6 / best).toFixed(1)),
}, null, 1));
