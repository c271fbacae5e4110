// Proxy authentication 2.5.4, 2.6, 2.7, 2.9 with a real HTTPS callback server whose
// certificate comes from a throwaway CA that wrangler trusts (NODE_EXTRA_CA_CERTS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, Browser, q, loginForTicket, ssoTicket, validate, xmlText, xmlAll, failureCode, httpServer, httpsServer,
} from './lib.mjs';

const app = await httpServer();
const APP = `${app.url}/app`;
const BACKEND = `${app.url}/backend`;
const SECOND = `${app.url}/second`;
const NOPROXY = `${app.url}/noproxy`;

// pgtIou → pgtId, as a CAS client's callback stores them.
const pgts = new Map();
const callback = await httpsServer((req, res) => {
  const u = new URL(req.url, 'https://x');
  if (u.pathname === '/callback/404') { res.statusCode = 404; res.end(); return; }
  if (u.pathname === '/callback/redirect') { res.statusCode = 302; res.setHeader('Location', '/callback'); res.end(); return; }
  const iou = u.searchParams.get('pgtIou');
  const id = u.searchParams.get('pgtId');
  if (iou && id) pgts.set(iou, id);
  res.end('ok');
});
const untrusted = await httpsServer((req, res) => res.end('ok'), { trusted: false });

async function pgtFor(browser, pgtUrl = `${callback.url}/callback`) {
  const st = browser ? await ssoTicket(browser, APP) : await loginForTicket(new Browser(), APP);
  const { body } = await validate('/serviceValidate', { service: APP, ticket: st, pgtUrl });
  const iou = xmlText(body, 'proxyGrantingTicket');
  assert.match(iou ?? '', /^PGTIOU-[A-Za-z0-9-]{60,}$/, body);
  const pgt = pgts.get(iou);
  assert.match(pgt ?? '', /^PGT-[A-Za-z0-9-]{60,}$/);
  return pgt;
}

test('proxy callback 2.5.4: HTTPS GET with pgtId and pgtIou, PGTIOU in the response only after 200', async () => {
  const before = callback.requests.length;
  const pgt = await pgtFor(null);
  assert.equal(callback.requests.length, before + 1);
  assert.equal(callback.requests.at(-1).method, 'GET');
  assert.ok(pgt);
});

test('proxy callback 2.5.4: the callback URL keeps its own query parameters', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const pgtUrl = `${callback.url}/callback?keep=me&x=1`;
  const { body } = await validate('/serviceValidate', { service: APP, ticket: st, pgtUrl });
  assert.ok(xmlText(body, 'proxyGrantingTicket'));
  const u = new URL(callback.requests.at(-1).url, 'https://x');
  assert.equal(u.searchParams.get('keep'), 'me');
  assert.equal(u.searchParams.get('x'), '1');
  assert.match(u.searchParams.get('pgtId'), /^PGT-/);
});

test('INVALID_PROXY_CALLBACK 2.5.3: non-200, redirects, untrusted certificate, plain http, unregistered URL', async () => {
  const cases = [
    `${callback.url}/callback/404`,
    `${callback.url}/callback/redirect`,
    `${untrusted.url}/callback`,
    `http://127.0.0.1:${new URL(callback.url).port}/callback`,
    'https://evil.example/callback',
  ];
  for (const pgtUrl of cases) {
    const st = await loginForTicket(new Browser(), APP);
    const { body } = await validate('/serviceValidate', { service: APP, ticket: st, pgtUrl });
    assert.equal(failureCode(body), 'INVALID_PROXY_CALLBACK', `${pgtUrl}: ${body}`);
    assert.equal(xmlText(body, 'proxyGrantingTicket'), undefined);
  }
  assert.equal(untrusted.requests.length, 0, 'the untrusted server never got an HTTP request');
});

test('UNAUTHORIZED_SERVICE_PROXY 2.5.3: a service without proxy rights gets no PGT', async () => {
  const st = await loginForTicket(new Browser(), NOPROXY);
  const { body } = await validate('/serviceValidate', { service: NOPROXY, ticket: st, pgtUrl: `${callback.url}/callback` });
  assert.equal(failureCode(body), 'UNAUTHORIZED_SERVICE_PROXY');
});

test('proxy 2.7 → proxyValidate 2.6: a PT for the backend, proxies listed, PT refused by serviceValidate and validate', async () => {
  const pgt = await pgtFor(null);
  const pt = async () => {
    const { res, body } = await validate('/proxy', { pgt, targetService: BACKEND });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const t = xmlText(body, 'proxyTicket');
    assert.match(t ?? '', /^PT-/, body);
    return t;
  };
  const t1 = await pt();
  const ok = await validate('/proxyValidate', { service: BACKEND, ticket: t1 });
  assert.equal(xmlText(ok.body, 'user'), 'casuser');
  assert.deepEqual(xmlAll(ok.body, 'proxy'), [`${callback.url}/callback`]);
  const again = await validate('/proxyValidate', { service: BACKEND, ticket: t1 });
  assert.equal(failureCode(again.body), 'INVALID_TICKET', 'a PT is single use');
  const t2 = await pt();
  assert.equal(failureCode((await validate('/serviceValidate', { service: BACKEND, ticket: t2 })).body), 'INVALID_TICKET_SPEC');
  const t3 = await pt();
  assert.equal((await validate('/validate', { service: BACKEND, ticket: t3 })).body, 'no\n\n');
  const t4 = await pt();
  const p3 = await validate('/p3/proxyValidate', { service: BACKEND, ticket: t4, format: 'JSON' });
  const j = JSON.parse(p3.body).serviceResponse.authenticationSuccess;
  assert.equal(j.user, 'casuser');
  assert.deepEqual(j.proxies, [`${callback.url}/callback`]);
  assert.equal(j.attributes.email, 'casuser@example.org');
});

test('proxy 2.7.2: UNAUTHORIZED_SERVICE for a target without proxy rights, INVALID_TICKET for a bad PGT, INVALID_REQUEST, JSON', async () => {
  const pgt = await pgtFor(null);
  assert.equal(failureCode((await validate('/proxy', { pgt, targetService: SECOND })).body), 'UNAUTHORIZED_SERVICE');
  assert.equal(failureCode((await validate('/proxy', { pgt: `PGT-${'0'.repeat(64)}`, targetService: BACKEND })).body), 'INVALID_TICKET');
  assert.equal(failureCode((await validate('/proxy', { pgt })).body), 'INVALID_REQUEST');
  const j = JSON.parse((await validate('/proxy', { pgt, targetService: BACKEND, format: 'JSON' })).body);
  assert.match(j.serviceResponse.proxySuccess.proxyTicket, /^PT-/);
});

test('proxy chains 2.6.2: a proxied service can itself proxy, most recent proxy first', async () => {
  const pgt = await pgtFor(null);
  const pt = xmlText((await validate('/proxy', { pgt, targetService: APP })).body, 'proxyTicket');
  const second = `${callback.url}/callback?hop=2`;
  const v = await validate('/proxyValidate', { service: APP, ticket: pt, pgtUrl: second });
  const iou = xmlText(v.body, 'proxyGrantingTicket');
  assert.ok(iou, v.body);
  const pgt2 = pgts.get(iou);
  const pt2 = xmlText((await validate('/proxy', { pgt: pgt2, targetService: BACKEND })).body, 'proxyTicket');
  const final = await validate('/proxyValidate', { service: BACKEND, ticket: pt2 });
  assert.deepEqual(xmlAll(final.body, 'proxy'), [second, `${callback.url}/callback`]);
});

test('logout 3.3.1: proxy-granting tickets die with the SSO session', async () => {
  const b = new Browser();
  await loginForTicket(b, SECOND);
  const pgt = await pgtFor(b);
  assert.match(xmlText((await validate('/proxy', { pgt, targetService: BACKEND })).body, 'proxyTicket'), /^PT-/);
  await b.get('/logout');
  assert.equal(failureCode((await validate('/proxy', { pgt, targetService: BACKEND })).body), 'INVALID_TICKET');
});

test.after(async () => { await callback.close(); await untrusted.close(); await app.close(); });
