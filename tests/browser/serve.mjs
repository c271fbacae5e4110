#!/usr/bin/env node
// A tiny static server for www/ on 127.0.0.1, for the browser tests and the benchmark.
//   node tests/browser/serve.mjs [PORT=0] [ROOT=www] [LOG]
// Prints "listening http://127.0.0.1:PORT/" once ready. Applies the `/*` block of ROOT/_headers
// (the Cloudflare format) to every response, like the Worker's asset server. Every request is
// appended to LOG (one JSON line each) so tests can prove what the page asked for.
import { createServer } from 'node:http';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const [portArg = '0', rootArg = 'www', log = ''] = process.argv.slice(2);
const root = resolve(rootArg);
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8', '.ico': 'image/x-icon',
};

function headersFile() {
  const out = {};
  let text = '';
  try { text = readFileSync(join(root, '_headers'), 'utf8'); } catch { return out; }
  let inAll = false;
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) { inAll = line.trim() === '/*'; continue; }
    if (!inAll) continue;
    const i = line.indexOf(':');
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
const extra = headersFile();

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (log) appendFileSync(log, `${JSON.stringify({ t: Date.now(), method: req.method, path: url.pathname, query: url.search })}\n`);
  let path = decodeURIComponent(url.pathname);
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  let st;
  if (!file.startsWith(root) || path.includes('/_headers') || !(st = statSync(file, { throwIfNoEntry: false })) || !st.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain', ...extra });
    res.end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] || 'application/octet-stream',
    'content-length': st.size,
    'cache-control': 'no-cache',
    ...extra,
  });
  if (req.method === 'HEAD') res.end();
  else res.end(readFileSync(file));
});
server.listen(Number(portArg), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
