// The runtime reference of `make bench-cas-load` (bench/cas-load.sh) and `make bench-cpu`
// (bench/cpu-per-request.mjs): what `wrangler dev` itself costs on this machine, measured in
// the same run as casplus. A plain JavaScript Worker with no application logic, served under
// /cas/ like casplus (wrangler.toml: the same asset router in front):
//   GET /cas/x           → 404 (no storage): the runtime's ceiling for any request
//   GET /cas/page        → 404 with a page the size of casplus's and its headers
//   GET /cas/do?s=NAME   → one round trip to the Durable Object named NAME (a one-row SQL read)
//   GET /cas/do2?s=NAME  → two round trips to it, one after the other
//   GET /cas/log         → 404 after one console.log of an audit-sized line (what writing one
//                          audit line costs in this runtime: bench/RESULTS.md, issue 16)
//   GET /cas/do1log?s=NAME   → one round trip, then one audit line: the runtime's part of an
//                              SSO or a validation (each one object call and one audit line)
//   GET /cas/put?s=NAME&k=K  → one round trip in which the object stores a ticket-sized row K,
//                              then one audit line: the runtime's part of an SSO (which
//                              must store its service ticket)
//   GET /cas/take?s=NAME&k=K → one round trip in which the object reads and deletes row K,
//                              then one audit line: the runtime's part of a validation
//                              (single use); after a put of K, the pair is an SSO and a
//                              validation's
//   GET /cas/kvdo1log?s=NAME → a KV read beside one round trip, then one audit line: the
//                              runtime's part of /proxy (the PGT from KV, its revocation mark
//                              from the session's object)
// An SSO in casplus takes one round trip to the session's object (the Worker hands the
// /login to it; README "Where tickets live, and why"), and any design with strongly
// consistent single use and logout needs at least one: these are the ceilings for it.
import { DurableObject } from 'cloudflare:workers';

export class Ref extends DurableObject {
  // The object's part of a round trip (the path of the stub's request): `read` a row (the
  // least any request that consults storage does), `put` a ticket-sized row (what issuing a
  // service ticket must store: the row and its commit), `take` it (read and delete: what
  // validating a service ticket must do for single use).
  async fetch(request) {
    const body = await request.arrayBuffer();
    const { pathname, searchParams } = new URL(request.url);
    const k = searchParams.get('k') ?? 'x';
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS entries (k TEXT PRIMARY KEY, v BLOB NOT NULL)');
    let rows;
    if (pathname === '/put') {
      rows = sql.exec('INSERT OR REPLACE INTO entries (k, v) VALUES (?, ?) RETURNING 1', k, new Uint8Array(300)).toArray();
    } else if (pathname === '/take') {
      rows = sql.exec('DELETE FROM entries WHERE k = ? RETURNING v', k).toArray();
    } else {
      rows = sql.exec('SELECT v FROM entries WHERE k = ?', k).toArray();
    }
    return new Response(`${body.byteLength} ${rows.length}`);
  }
}

// A page the size of casplus's 404 (1 866 bytes of HTML, its stylesheet inline) with the
// headers every casplus page carries: what answering a page costs the runtime.
const PAGE = `<!doctype html><title>Not found</title><style>${'x'.repeat(1799)}</style><p>Not found.`;
const PAGE_HEADERS = {
  'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin',
  'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'sha256-r5N8fQOTO3EAvOF9RKBvWsTbm7cpfSEOWqxIoI0bXjw='; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
};

/** One audit-sized line, as casplus writes one per audited request (docs/audit-log.md). */
function audit() {
  console.log(JSON.stringify({ event: 'st_issued', principal: 'casuser', service: 'http://127.0.0.1:9/app',
    ticket: 'ST-1-…', tgt: 'TGT-1-…', request_id: '0123456789abcdef', time: new Date().toISOString() }));
}

/** One round trip to the object named after `s`, doing `op` on the row `k` there. */
async function roundTrip(env, s, op = 'read', k = 'x') {
  const stub = env.REF.get(env.REF.idFromName(`session-${s ?? ''}`));
  const res = await stub.fetch(`https://ref/${op}?k=${encodeURIComponent(k)}`, { method: 'POST', body: new Uint8Array(96) });
  return res.text();
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const s = url.searchParams.get('s');
    switch (url.pathname) {
      case '/cas/page':
        // casplus's 404 is a page: this many bytes of HTML and these headers.
        return new Response(PAGE, { status: 404, headers: PAGE_HEADERS });
      case '/cas/log':
        audit();
        return new Response('not found', { status: 404 });
      case '/cas/do':
        return new Response(await roundTrip(env, s));
      case '/cas/do2':
        return new Response((await roundTrip(env, s)) + (await roundTrip(env, s)));
      case '/cas/do1log': {
        const text = await roundTrip(env, s);
        audit();
        return new Response(text);
      }
      case '/cas/put':
      case '/cas/take': {
        const text = await roundTrip(env, s, url.pathname.slice(5), url.searchParams.get('k') ?? 'x');
        audit();
        return new Response(text);
      }
      case '/cas/kvdo1log': {
        const [record, text] = await Promise.all([env.KV.get(`PGT-${s}`, 'arrayBuffer'), roundTrip(env, s)]);
        audit();
        return new Response(`${record === null} ${text}`);
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
