// The demo application of `make dev` (worker/demo-app, docs/cas-client.md "The demo
// application"): the Worker protected by casplus/client under its own `wrangler dev`, against
// the CAS Worker of this run, driven over HTTP like a browser. Sessions in its Durable Objects
// (DurableObjectStore); login and attributes (CAS 3.0 §2.1, §2.8), a proxy ticket (§2.7) for
// the back end that accepts the allowed chain only (§2.9), logout through CAS and single
// logout (§2.3.3) of that login's session only.
//
// The demo's base URL must be known before wrangler picks its port, so it is reached through
// a Node forwarder on a port bound first (as behind a load balancer); CAS's PGT callback
// reaches it through an https forwarder with the run's test certificate (as make dev's
// worker/demo-app/tls-forward.mjs does).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, TMP, Browser, submitLogin, eventually, startWrangler } from './lib.mjs';

const root = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
assert.ok(existsSync(join(root, 'pkg/client/web.js')), 'pkg/client is missing: run make npm first');

/** A server on a free loopback port forwarding every request to `target.origin` (set later). */
async function forwarder(https) {
  const target = { origin: null };
  const handler = async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const headers = { ...req.headers };
    for (const h of ['host', 'connection', 'accept-encoding', 'keep-alive', 'transfer-encoding']) delete headers[h];
    const r = await fetch(target.origin + req.url, {
      method: req.method, headers, redirect: 'manual',
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
    });
    const out = {};
    r.headers.forEach((v, k) => { if (k !== 'set-cookie' && k !== 'content-encoding' && k !== 'content-length') out[k] = v; });
    if (r.headers.getSetCookie().length) out['set-cookie'] = r.headers.getSetCookie();
    res.writeHead(r.status, out);
    res.end(Buffer.from(await r.arrayBuffer()));
  };
  const server = https
    ? createHttpsServer({ key: readFileSync(join(TMP, 'server.key')), cert: readFileSync(join(TMP, 'server.pem')) }, handler)
    : createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { target, url: `${https ? 'https' : 'http'}://127.0.0.1:${server.address().port}` };
}

const servers = [];
let demo;
let APP;
let CALLBACK;
before(async () => {
  const front = await forwarder(false);
  const tls = await forwarder(true);
  // The e2e configuration registers http://127.0.0.1:<port>/demo… with proxy rights and
  // https://127.0.0.1:<port>/callback as PGT callbacks (tests/e2e/make-config.mjs).
  APP = `${front.url}/demo`;
  CALLBACK = `${tls.url}/callback`;
  demo = await startWrangler({
    workers: 'demo',
    vars: { CAS_URL: BASE, SERVICE_URL: APP, PGT_CALLBACK_URL: CALLBACK, SLO_ALLOWED_ADDRESSES: '127.0.0.1,::1' },
    ready: async (o) => (await fetch(`${o}/demo/api/whoami`)).status === 401,
  });
  front.target.origin = demo.origin;
  tls.target.origin = demo.origin;
});
after(async () => {
  await demo?.stop();
  await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(r); })));
});

/** Logs `b` in to the demo through CAS; returns the page's HTML. */
async function login(b) {
  const first = await b.get(`${APP}/`);
  assert.equal(first.status, 302, 'the demo sends an anonymous visitor to CAS');
  const to = new URL(first.headers.get('location'));
  assert.equal(to.origin + to.pathname, `${BASE}/login`);
  assert.equal(to.searchParams.get('service'), `${APP}/`, 'the service URL from SERVICE_URL, not from Host');
  const res = await submitLogin(b, { service: `${APP}/` });
  assert.equal(res.status, 303);
  const back = await b.get(res.headers.get('location'));
  assert.equal(back.status, 302, `the demo validates the ticket: ${back.status} ${await back.clone().text()}`);
  assert.equal(back.headers.get('location'), `${APP}/`);
  const page = await b.get(`${APP}/`);
  assert.equal(page.status, 200);
  return page.text();
}

test('demo app: CAS login, the user and the released attributes (2.1, 2.8), session in a Durable Object', async () => {
  const b = new Browser();
  const html = await login(b);
  assert.match(html, /<strong id="user">casuser<\/strong>/);
  assert.match(html, /<th>email<\/th><td>casuser@example\.org<\/td>/);
  assert.match(html, /<th>memberOf<\/th><td>staff<br>developers<\/td>/);
  const cookie = b.cookies.get('demo_session');
  assert.ok(cookie, 'the demo session cookie');
  assert.doesNotMatch(Buffer.from(cookie.value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1'), /casuser/);
  // Another browser without the cookie is not logged in.
  assert.equal((await new Browser().get(`${APP}/`)).status, 302);
});

test('demo app: a proxy ticket for the back end (2.7), accepted for the allowed chain (2.9)', async () => {
  const b = new Browser();
  await login(b);
  const res = await b.get(`${APP}/call`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /HTTP 200/, html);
  const body = JSON.parse(html.match(/<pre id="backend">([\s\S]*?)<\/pre>/)[1].replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&#38;/g, '&'));
  assert.equal(body.user, 'casuser');
  assert.deepEqual(body.proxies, [CALLBACK], 'the PT went through this application\'s PGT callback');
  assert.deepEqual(body.attributes.email, ['casuser@example.org']);
  // Without a ticket the back end answers 401 (an API: no redirect to a login page).
  assert.equal((await fetch(`${APP}/api/whoami`)).status, 401);
});

test('demo app: logout through CAS (2.3), and single logout (2.3.3) ends that session only', async () => {
  const one = new Browser();
  const two = new Browser();
  await login(one);
  await login(two);
  // /logout: the local session ends and the browser goes to CAS /logout.
  const out = await one.get(`${APP}/logout`);
  assert.equal(out.status, 302);
  const to = new URL(out.headers.get('location'));
  assert.equal(to.origin + to.pathname, `${BASE}/logout`);
  assert.equal(to.searchParams.get('service'), APP);
  assert.equal((await one.get(`${APP}/`)).status, 302, 'no demo session after /logout');
  const cas = await one.get(to.href);
  assert.equal(cas.status, 302, 'CAS logs out and sends the browser back to the service (2.3.2)');
  assert.equal(cas.headers.get('location'), APP);
  assert.equal((await two.get(`${APP}/`)).status, 200, 'the other login keeps its session');
  // two logs out at CAS only: CAS's back-channel logoutRequest ends two's demo session.
  assert.equal((await two.get(`${BASE}/logout`)).status, 200);
  assert.ok(await eventually(async () => (await two.get(`${APP}/`)).status === 302, 10000), 'single logout ended the demo session');
});
