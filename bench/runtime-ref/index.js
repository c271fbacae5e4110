// The runtime reference of `make bench-cas-load` (bench/cas-load.sh): what `wrangler dev`
// itself costs on this machine, measured in the same run as casplus and django-cas-server.
// A plain JavaScript Worker with no application logic:
//   GET /x           → 404 (no storage): the runtime's ceiling for any request
//   GET /do?s=NAME   → one round trip to the Durable Object named NAME (a one-row SQL read)
//   GET /do2?s=NAME  → two round trips to it, one after the other
//   GET /log         → 404 after one console.log of an audit-sized line (what writing one
//                      audit line costs in this runtime: bench/RESULTS.md, issue 16)
// An SSO in casplus takes one round trip to the session's object (the Worker hands the
// /login to it; README "Where tickets live, and why"), and any design with strongly
// consistent single use and logout needs at least one: these are the ceilings for it.
import { DurableObject } from 'cloudflare:workers';

export class Ref extends DurableObject {
  async fetch(request) {
    const body = await request.arrayBuffer();
    const sql = this.ctx.storage.sql;
    sql.exec('CREATE TABLE IF NOT EXISTS entries (k TEXT PRIMARY KEY, v BLOB NOT NULL)');
    const rows = sql.exec('SELECT v FROM entries WHERE k = ?', 'x').toArray();
    return new Response(`${body.byteLength} ${rows.length}`);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/log') {
      console.log(JSON.stringify({ event: 'st_issued', principal: 'casuser', service: 'http://127.0.0.1:9/app',
        ticket: 'ST-1-…', tgt: 'TGT-1-…', request_id: '0123456789abcdef', time: new Date().toISOString() }));
      return new Response('not found', { status: 404 });
    }
    const trips = { '/do': 1, '/do2': 2 }[url.pathname];
    if (trips === undefined) return new Response('not found', { status: 404 });
    const stub = env.REF.get(env.REF.idFromName(`session-${url.searchParams.get('s') ?? ''}`));
    let text = '';
    for (let i = 0; i < trips; i++) {
      const res = await stub.fetch('https://ref/', { method: 'POST', body: new Uint8Array(96) });
      text += await res.text();
    }
    return new Response(text);
  },
};
