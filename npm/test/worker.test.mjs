// The web build in workerd (Cloudflare Workers' runtime, through miniflare from the repository's
// dev tools): a module worker imports the package's files the way wrangler bundles them —
// `casplus_bg.wasm` as a compiled module, `web.js` as ESM — and calls initSync, decode and
// parseCasResponse per request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { capture, expected, expectedRows } from './fixtures.mjs';

const require = createRequire(import.meta.url);
const miniflare = process.env.CASPLUS_MINIFLARE;
if (!miniflare) throw new Error('CASPLUS_MINIFLARE is not set (run npm/test/run.sh)');
const { Miniflare } = require(miniflare);

const pkgDir = join(process.cwd(), 'node_modules', 'casplus');

const WORKER = `
import wasm from './casplus_bg.wasm';
import casWasm from './cas/cas_bg.wasm';
import { initSync, decode, version } from './web.js';
import { initSync as initCasSync, parseCasResponse } from './cas/web.js';
initSync({ module: wasm });
initCasSync({ module: casWasm });
export default {
  async fetch(request) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    const r = decode(bytes, { keys: ['tac_plus_key'] });
    return Response.json({
      version: version(),
      form: r.format.form,
      rows: r.pdus.map((p) => [p.header.session_id, p.header.seq_no, (p.header.major << 4) | p.header.minor,
        0, p.header.length, p.complete, p.body_clear_hex].join(' ')),
      user: parseCasResponse('yes\\nalice\\n').user,
    });
  },
};`;

let mf;
before(async () => {
  mf = new Miniflare({
    compatibilityDate: '2025-01-01',
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: WORKER },
      { type: 'ESModule', path: 'web.js', contents: readFileSync(join(pkgDir, 'web.js'), 'utf8') },
      { type: 'CompiledWasm', path: 'casplus_bg.wasm', contents: readFileSync(join(pkgDir, 'casplus_bg.wasm')) },
      { type: 'ESModule', path: 'cas/web.js', contents: readFileSync(join(pkgDir, 'cas/web.js'), 'utf8') },
      { type: 'CompiledWasm', path: 'cas/cas_bg.wasm', contents: readFileSync(join(pkgDir, 'cas/cas_bg.wasm')) },
    ],
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
});

test('workerd runs the web build with initSync: decode and parseCasResponse per request', async () => {
  const res = await mf.dispatchFetch('http://localhost/', { method: 'POST', body: capture('login.pcap') });
  assert.equal(res.status, 200);
  const r = await res.json();
  assert.equal(r.version, require(join(pkgDir, 'package.json')).version);
  assert.equal(r.form, 'pcap');
  assert.deepEqual(r.rows.sort(), expectedRows(expected('login')));
  assert.equal(r.user, 'alice');
});

// casplus/client in workerd: the web wrapper with the wasm module imported as Workers do,
// a Workers KV namespace as the SessionStore (KvStore), the PGT receptor writing to it.
const CLIENT_WORKER = `
import wasm from './client/core/client_bg.wasm';
import { createCasClient, KvStore } from './client/web.js';
let cas;
export default {
  async fetch(request, env) {
    cas ??= createCasClient({
      casUrl: 'https://cas.example/cas', serviceUrl: 'https://app.example', wasm,
      cookie: { secret: 'a workerd test secret, 32+ characters long' },
      sessionStore: new KvStore(env.SESSIONS), proxyReceptorPath: '/pgt',
    });
    return (await cas(request)) ?? new Response('app');
  },
};`;

test('workerd runs casplus/client: login redirect with the fixed service base, PGT receptor into Workers KV', async () => {
  const client = new Miniflare({
    compatibilityDate: '2025-01-01',
    kvNamespaces: ['SESSIONS'],
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: CLIENT_WORKER },
      ...['client/web.js', 'client/index.js', 'client/core/web.js'].map((p) => ({ type: 'ESModule', path: p, contents: readFileSync(join(pkgDir, p), 'utf8') })),
      { type: 'CompiledWasm', path: 'client/core/client_bg.wasm', contents: readFileSync(join(pkgDir, 'client/core/client_bg.wasm')) },
    ],
  });
  try {
    // The Host the request came with is not trusted: the service is the configured base.
    const res = await client.dispatchFetch('http://evil.example/page?a=1&ticket=', { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'https://cas.example/cas/login?service=https%3A%2F%2Fapp.example%2Fpage%3Fa%3D1');
    const cb = await client.dispatchFetch('https://app.example/pgt?pgtIou=PGTIOU-1-abc&pgtId=PGT-1-def');
    assert.equal(cb.status, 200);
    const kv = await client.getKVNamespace('SESSIONS');
    const kept = JSON.parse(await kv.get('casplus:pgtiou:PGTIOU-1-abc'));
    assert.equal(kept.pgt, 'PGT-1-def');
    assert.ok(kept.expires > Date.now());
    const bad = await client.dispatchFetch('https://app.example/pgt?pgtIou=PGTIOU-2');
    assert.equal(bad.status, 400);
  } finally {
    await client.dispose();
  }
});

// DurableObjectStore in workerd: the client's sessions, indexes and PGTIOUs in Durable Objects
// (class CasSessionObject exported by the Worker), one object per key.
const DO_WORKER = `
import wasm from './client/core/client_bg.wasm';
import { createCasClient, durableObjectStore, CasSessionObject } from './client/web.js';
export { CasSessionObject };
let cas;
export default {
  async fetch(request, env) {
    const store = durableObjectStore(env.SESSIONS, { prefix: 'app:' });
    const u = new URL(request.url);
    if (u.pathname === '/store') {
      const key = u.searchParams.get('key');
      try {
        if (request.method === 'PUT') await store.put(key, await request.text(), Number(u.searchParams.get('ttl')));
        else if (request.method === 'DELETE') await store.delete(key);
      } catch (e) {
        return Response.json({ error: e.code }, { status: 500 });
      }
      return Response.json({ value: await store.get(key) });
    }
    cas ??= createCasClient({
      casUrl: 'https://cas.example/cas', serviceUrl: 'https://app.example', wasm,
      cookie: { secret: 'a workerd test secret, 32+ characters long' },
      sessionStore: store, proxyReceptorPath: '/pgt',
    });
    return (await cas(request)) ?? new Response('app');
  },
};`;

test('workerd: DurableObjectStore (class CasSessionObject): get/put/delete, TTL required, the PGT receptor writes to it', async () => {
  const mf = new Miniflare({
    compatibilityDate: '2025-01-01',
    durableObjects: { SESSIONS: 'CasSessionObject' },
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: DO_WORKER },
      ...['client/web.js', 'client/index.js', 'client/core/web.js'].map((p) => ({ type: 'ESModule', path: p, contents: readFileSync(join(pkgDir, p), 'utf8') })),
      { type: 'CompiledWasm', path: 'client/core/client_bg.wasm', contents: readFileSync(join(pkgDir, 'client/core/client_bg.wasm')) },
    ],
  });
  try {
    const call = async (method, key, body, ttl) => (await mf.dispatchFetch(`https://app.example/store?key=${encodeURIComponent(key)}&ttl=${ttl ?? ''}`, { method, body })).json();
    assert.deepEqual(await call('GET', 'session:a'), { value: null });
    assert.deepEqual(await call('PUT', 'session:a', '{"user":"alice"}', 60), { value: '{"user":"alice"}' });
    assert.deepEqual(await call('PUT', 'session:b', 'other', 60), { value: 'other' });
    assert.deepEqual(await call('PUT', 'session:a', 'replaced', 60), { value: 'replaced' });
    assert.deepEqual(await call('GET', 'session:b'), { value: 'other' }, 'keys are separate objects');
    assert.deepEqual(await call('DELETE', 'session:a'), { value: null });
    assert.deepEqual(await call('GET', 'session:b'), { value: 'other' });
    assert.deepEqual(await call('PUT', 'session:c', 'x', 0), { error: 'STORE_FAILED' }, 'a TTL is required');
    const cb = await mf.dispatchFetch('https://app.example/pgt?pgtIou=PGTIOU-1-abc&pgtId=PGT-1-def');
    assert.equal(cb.status, 200);
    const kept = JSON.parse((await call('GET', 'pgtiou:PGTIOU-1-abc')).value);
    assert.equal(kept.pgt, 'PGT-1-def');
  } finally {
    await mf.dispose();
  }
});
