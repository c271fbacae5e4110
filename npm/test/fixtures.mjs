// Test fixtures from the repository's tests/vectors (made by independent tools: scapy,
// tacacs-plus, tcpdump, tshark). CASPLUS_VECTORS points there (npm/test/run.sh sets it).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.CASPLUS_VECTORS;
if (!dir) throw new Error('CASPLUS_VECTORS is not set (run npm/test/run.sh)');

export const captureDir = join(dir, 'capture');

/** The bytes of a capture file in tests/vectors/capture. */
export const capture = (name) => readFileSync(join(captureDir, name));

/** What scapy says a capture holds: { key, connections: [{ to_server, to_client }] }. */
export const expected = (stem) =>
  JSON.parse(readFileSync(join(captureDir, `${stem}.expected.json`), 'utf8'));

/** Every form of a capture (pcap, text dumps, hex, base64) present for `stem`. */
export const formsOf = (stem) =>
  readdirSync(captureDir).filter(
    (n) => n.startsWith(`${stem}.`) && !n.endsWith('.json') && !n.endsWith('.py'),
  );

/** The codec vectors: one PDU each, with its key, from tacacs-plus and scapy. */
export function pduVectors() {
  const kinds = [
    'authen_start', 'authen_reply', 'authen_continue', 'author_request',
    'author_response', 'acct_request', 'acct_reply',
  ];
  return kinds.flatMap((k) =>
    JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')).vectors.map((v) => ({
      ...v,
      kind: k,
      wire: fromHex(v.pdu_hex),
      keyBytes: fromHex(v.key_hex ?? ''),
    })),
  );
}

export const fromHex = (h) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
export const toHex = (u) => Buffer.from(u).toString('hex');

/**
 * A PDU as (session_id, seq_no, version, flags, length, complete, body) rows, sorted: the
 * same for scapy's expectation and for `decode`, whatever the capture form. The body of an
 * incomplete PDU (segments lost in the capture) is left out.
 */
export function expectedRows(exp) {
  return exp.connections
    .flatMap((c) => [...c.to_server, ...c.to_client])
    .map((p) => [p.session_id, p.seq_no, p.version, p.flags, p.length, p.complete,
      p.complete ? p.body_clear_hex : ''].join(' '))
    .sort();
}

export function decodedRows(result) {
  return result.pdus
    .map((p) => {
      const h = p.header;
      const flags = h.flags.reduce(
        (a, f) => a | ({ UNENCRYPTED: 1, SINGLE_CONNECT: 4 }[f] ?? parseInt(f, 16)),
        0,
      );
      return [h.session_id, h.seq_no, (h.major << 4) | h.minor, flags, h.length, p.complete,
        p.complete ? p.body_clear_hex : ''].join(' ');
    })
    .sort();
}
