// A real CAS client: PyPI python-cas (CASClientV1/V2/V3/WithSAMLV1) validating tickets
// issued by the Worker, getting proxy tickets and checking single-logout requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { BASE, Browser, loginForTicket, ssoTicket, httpServer, httpsServer, eventually } from './lib.mjs';

const ROOT = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const PY = join(ROOT, '.venv/bin/python');
const SCRIPT = join(ROOT, 'tests/e2e/python_cas_client.py');
const SERVER = `${BASE}/`; // python-cas joins endpoint names onto it

async function py(...args) {
  const { stdout } = await promisify(execFile)(PY, [SCRIPT, ...args], { timeout: 30000 });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

const app = await httpServer();
const PYAPP = `${app.url}/py/app`;

test('python-cas CASClientV1 verifies a ticket through /validate', async () => {
  const st = await loginForTicket(new Browser(), PYAPP);
  assert.deepEqual(await py('verify', '1', SERVER, PYAPP, st), { user: 'casuser', attributes: null, pgtiou: null });
  const replay = await py('verify', '1', SERVER, PYAPP, st);
  assert.equal(replay.user, null);
});

test('python-cas CASClientV2 verifies through /serviceValidate', async () => {
  const st = await loginForTicket(new Browser(), PYAPP);
  const r = await py('verify', '2', SERVER, PYAPP, st);
  assert.equal(r.user, 'casuser');
  assert.equal(r.pgtiou, null);
});

test('python-cas CASClientV3 gets the released attributes from /p3/serviceValidate', async () => {
  const b = new Browser();
  await loginForTicket(b, PYAPP);
  const st = await ssoTicket(b, PYAPP);
  const r = await py('verify', '3', SERVER, PYAPP, st);
  assert.equal(r.user, 'casuser');
  assert.equal(r.attributes.email, 'casuser@example.org');
  assert.equal(r.attributes.displayName, 'CAS User');
  assert.deepEqual(r.attributes.memberOf, ['staff', 'developers']);
  assert.equal(r.attributes.isFromNewLogin, 'false');
});

test('python-cas CASClientWithSAMLV1 validates through /samlValidate', async () => {
  const st = await loginForTicket(new Browser(), PYAPP);
  const r = await py('verify', 'CAS_2_SAML_1_0', SERVER, PYAPP, st);
  assert.equal(r.user, 'casuser');
  // An http TARGET gets no attributes (4.2.1).
  assert.deepEqual(r.attributes, {});
  const replay = await py('verify', 'CAS_2_SAML_1_0', SERVER, PYAPP, st);
  assert.equal(replay.user, null);
});

test('python-cas proxy flow: PGTIOU at validation, proxy ticket from /proxy, validated by the backend', async () => {
  const pgts = new Map();
  const cb = await httpsServer((req, res) => {
    const u = new URL(req.url, 'https://x');
    if (u.searchParams.get('pgtIou')) pgts.set(u.searchParams.get('pgtIou'), u.searchParams.get('pgtId'));
    res.end('ok');
  });
  try {
    const st = await loginForTicket(new Browser(), PYAPP);
    const r = await py('verify', '3', SERVER, PYAPP, st, `${cb.url}/callback`);
    assert.equal(r.user, 'casuser');
    assert.match(r.pgtiou, /^PGTIOU-/);
    const pgt = pgts.get(r.pgtiou);
    assert.match(pgt, /^PGT-/);
    const backend = `${app.url}/backend`;
    const { pt } = await py('proxy-ticket', SERVER, backend, pgt);
    assert.match(pt, /^PT-/);
    // The backend validates the PT with python-cas too (V3 = /p3/serviceValidate refuses
    // PTs, so a proxied backend uses the proxyValidate flavour: check it refuses first).
    const refused = await py('verify', '3', SERVER, backend, pt);
    assert.equal(refused.user, null);
    const { pt: ptOk } = await py('proxy-ticket', SERVER, backend, pgt);
    assert.equal((await py('verify', 'proxy', SERVER, backend, ptOk)).user, 'casuser');
    const { pt: pt2 } = await py('proxy-ticket', SERVER, `${app.url}/second`, pgt);
    assert.equal(pt2, undefined, 'no PT for a target without proxy rights');
  } finally {
    await cb.close();
  }
});

test('python-cas accepts the single-logout request the Worker sends', async () => {
  const svc = await httpServer();
  const service = `${svc.url}/py/slo`;
  try {
    const b = new Browser();
    const st = await loginForTicket(b, service);
    await b.get('/logout');
    assert.ok(await eventually(() => svc.requests.some((r) => r.method === 'POST')));
    const xml = new URLSearchParams(svc.requests.find((r) => r.method === 'POST').body).get('logoutRequest');
    assert.deepEqual(await py('slo', xml, st), { valid: true });
    assert.deepEqual(await py('slo', xml, 'ST-other'), { valid: false });
  } finally {
    await svc.close();
  }
});

test('single logout 2.3.3 reaches a python-cas service that only ever received a proxy ticket, not one registered without single logout', async () => {
  const pgts = new Map();
  const cb = await httpsServer((req, res) => {
    const u = new URL(req.url, 'https://x');
    if (u.searchParams.get('pgtIou')) pgts.set(u.searchParams.get('pgtIou'), u.searchParams.get('pgtId'));
    res.end('ok');
  });
  const svc = await httpServer();
  try {
    const b = new Browser();
    const st = await loginForTicket(b, PYAPP);
    const r = await py('verify', '3', SERVER, PYAPP, st, `${cb.url}/callback`);
    const pgt = pgts.get(r.pgtiou);
    assert.match(pgt ?? '', /^PGT-/);
    // The proxied service: reached only through /proxy, it validates its PT with python-cas.
    const proxied = `${svc.url}/py/proxied`;
    const { pt } = await py('proxy-ticket', SERVER, proxied, pgt);
    assert.match(pt, /^PT-/);
    assert.equal((await py('verify', 'proxy', SERVER, proxied, pt)).user, 'casuser');
    // A PT for a service registered with single logout off.
    const { pt: quiet } = await py('proxy-ticket', SERVER, `${svc.url}/backend`, pgt);
    assert.match(quiet, /^PT-/);
    await b.get('/logout');
    const post = () => svc.requests.find((x) => x.method === 'POST' && x.url === '/py/proxied');
    assert.ok(await eventually(post, 10000), 'the proxied service gets its logoutRequest');
    const xml = new URLSearchParams(post().body).get('logoutRequest');
    assert.deepEqual(await py('slo', xml, pt), { valid: true }, 'SessionIndex is its PT (Appendix C)');
    // The proxier's own logout arrives too; by then the quiet one would have been sent.
    assert.ok(await eventually(() => app.requests.some((x) => x.method === 'POST' && x.url === '/py/app'), 10000));
    assert.ok(!svc.requests.some((x) => x.method === 'POST' && x.url === '/backend'), 'none where single logout is off');
  } finally {
    await cb.close();
    await svc.close();
  }
});

test('python-cas login and logout URLs lead to the Worker\'s pages', async () => {
  const { login, logout } = await py('urls', SERVER, PYAPP);
  const res = await fetch(login, { redirect: 'manual' });
  assert.equal(res.status, 200);
  assert.match(await res.text(), /E2E python-cas/);
  const out = await fetch(logout, { redirect: 'manual' });
  assert.ok([200, 302].includes(out.status));
});

test.after(() => app.close());
