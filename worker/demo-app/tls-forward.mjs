// The https side of the demo application's PGT callback (CAS 3.0 §2.5.4: the server calls the
// pgtUrl over https only). `wrangler dev` serves the demo over plain http, so this terminates
// TLS and forwards each request to the demo, as Cloudflare's edge does for a deployed Worker.
// Usage: node tls-forward.mjs --cert FILE --key FILE --to http://127.0.0.1:8788 [--port 8789]
// Prints `listening on https://127.0.0.1:PORT` once it listens (--port 0: any free port).
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { cert: { type: 'string' }, key: { type: 'string' }, to: { type: 'string' }, port: { type: 'string', default: '8789' } } });
if (!values.cert || !values.key || !values.to) {
  console.error('usage: node tls-forward.mjs --cert FILE --key FILE --to http://HOST:PORT [--port N]');
  process.exit(2);
}
const server = createServer({ cert: readFileSync(values.cert), key: readFileSync(values.key) }, async (req, res) => {
  try {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    // Hop-by-hop headers stay here; no compression on the way back (fetch would decode the
    // body but keep its Content-Encoding, and the CAS would then fail to decode it again).
    const headers = { ...req.headers };
    for (const h of ['host', 'connection', 'accept-encoding', 'keep-alive', 'transfer-encoding']) delete headers[h];
    const r = await fetch(new URL(req.url, values.to), {
      method: req.method, headers, redirect: 'manual',
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
    });
    const out = {};
    r.headers.forEach((v, k) => { if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) out[k] = v; });
    res.writeHead(r.status, out);
    res.end(Buffer.from(await r.arrayBuffer()));
  } catch (e) {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`tls-forward: ${e.message}\n`);
  }
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`listening on https://127.0.0.1:${server.address().port}`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
