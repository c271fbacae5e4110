// The web build in Debian Chromium (headless, driven by playwright-core; never a downloaded
// browser): a page served from 127.0.0.1 imports the installed package through an import map
// (`import init, { decode } from 'casplus'`), fetches a capture and decodes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { join, extname, normalize } from 'node:path';

import { captureDir, expected, expectedRows } from './fixtures.mjs';

const require = createRequire(import.meta.url);
const playwright = process.env.CASPLUS_PLAYWRIGHT;
if (!playwright) throw new Error('CASPLUS_PLAYWRIGHT is not set (run npm/test/run.sh)');
const { chromium } = require(playwright);

const pkgDir = join(process.cwd(), 'node_modules', 'casplus');
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.pcap': 'application/octet-stream' };

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>casplus web build</title>
<script type="importmap">{ "imports": { "casplus": "/casplus/web.js", "casplus/encode": "/casplus/encode/web.js", "casplus/cas": "/casplus/cas/web.js" } }</script>
<script type="module">
  import init, { decode, version } from 'casplus';
  import initEncode, { encodePacket, obfuscate } from 'casplus/encode';
  import initCas, { parseCasResponse } from 'casplus/cas';
  try {
    await init();
    await initEncode();
    await initCas();
    const bytes = new Uint8Array(await (await fetch('/fixtures/login.pcap')).arrayBuffer());
    const r = decode(bytes, { keys: ['tac_plus_key'] });
    const again = encodePacket(r.pdus[0], 'tac_plus_key');
    let code = null;
    try { decode(42); } catch (e) { code = [e instanceof TypeError, e.code]; }
    window.result = {
      version: version(),
      form: r.format.form,
      pdus: r.pdus,
      sessions: r.sessions.length,
      roundTrip: Array.from(obfuscate(again, 'tac_plus_key').subarray(12), (b) => b.toString(16).padStart(2, '0')).join(''),
      cas: parseCasResponse('yes\\nalice\\n').user,
      code,
    };
  } catch (e) {
    window.result = { error: String(e && e.stack || e) };
  }
</script>`;

let server;
let origin;
let browser;
const requests = [];

before(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push(url.pathname);
    let file = null;
    if (url.pathname === '/') file = null;
    else if (url.pathname.startsWith('/casplus/')) file = join(pkgDir, normalize(url.pathname.slice(9)));
    else if (url.pathname === '/fixtures/login.pcap') file = join(captureDir, 'login.pcap');
    try {
      const body = file ? await readFile(file) : Buffer.from(PAGE);
      res.writeHead(200, { 'content-type': TYPES[file ? extname(file) : '.html'] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${server.address().port}`;
  // launch() gives every run a fresh, temporary user-data-dir.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic',
    ],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

test('Chromium loads the web build and decodes a capture with it', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(origin + '/');
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
  const r = await page.evaluate(() => window.result);
  assert.equal(r.error, undefined, r.error);
  assert.deepEqual(errors, []);
  assert.equal(r.version, require(join(pkgDir, 'package.json')).version);
  assert.equal(r.form, 'pcap');
  assert.equal(r.sessions, 6);
  // the same PDUs scapy wrote into the capture
  const rows = r.pdus
    .map((p) => [p.header.session_id, p.header.seq_no, (p.header.major << 4) | p.header.minor, 0,
      p.header.length, p.complete, p.body_clear_hex].join(' '))
    .sort();
  assert.deepEqual(rows, expectedRows(expected('login')));
  assert.equal(r.roundTrip, r.pdus[0].body_clear_hex);
  assert.equal(r.cas, 'alice');
  assert.deepEqual(r.code, [true, 'INVALID_ARGUMENT']);
  // the module came from the package: glue and wasm, nothing else
  assert.ok(requests.includes('/casplus/web.js'));
  assert.ok(requests.includes('/casplus/casplus_bg.wasm'));
  assert.ok(requests.includes('/casplus/encode/web.js'));
  assert.ok(requests.includes('/casplus/encode/encode_bg.wasm'));
  assert.ok(requests.includes('/casplus/cas/web.js'));
  assert.ok(requests.includes('/casplus/cas/cas_bg.wasm'));
  await page.close();
});
