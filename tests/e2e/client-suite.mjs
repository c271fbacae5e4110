// The casplus/client suite (issue 17), run against any CAS server: the casplus Worker
// (client.test.mjs) and django-cas-server from PyPI (client-django.test.mjs). Real apps on
// 127.0.0.1 (Node http/https servers translating to fetch Request/Response) protected by
// createCasClient from the built package (pkg/, `make npm`), a browser-like cookie jar.
// Login (§2.1, §2.5), attributes in v3 XML and JSON (§2.8), SSO into a second app, renew and
// gateway (§2.1.1), ST replay and wrong service (§2.5.3), the proxy flow (§2.5.4, §2.7, §2.9)
// with the PGT receptor on another client instance sharing the store, proxy-chain
// allow-lists, single logout (§2.3.3) of the right session only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TMP, Browser, q, eventually, ticketFrom } from './lib.mjs';

const root = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const entry = join(root, 'pkg/client/node.mjs');
assert.ok(existsSync(entry), `${entry} is missing: run make npm first`);
const { createCasClient, MemoryStore, CasClientError } = await import(entry);

/**
 * The suite against the CAS server at `BASE`. `login(browser, service, query)` submits the
 * server's login form for `service` and returns the redirect back (with the ticket);
 * `json`: the server speaks CAS 3.0 JSON; `attributes`: the released attributes expected.
 */
export async function clientSuite({ name, BASE, login, json = true, attributes }) {
  const SECRET = 'a test signing secret of 32+ chars, not a real one';

  /** A Node server whose requests go through `route(request) → Response` (fetch API). */
  async function serve(route, { https = false } = {}) {
    const handler = async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const origin = `${https ? 'https' : 'http'}://${req.headers.host}`;
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const request = new Request(origin + req.url, { method: req.method, headers: req.headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body });
      let response;
      try {
        // The peer address goes with the request, as a host passes it (RequestInfo).
        response = await route(request, { remoteAddress: req.socket.remoteAddress });
      } catch (e) {
        response = new Response(`error ${e.code ?? ''} ${e.message}`, { status: 500 });
      }
      const headers = {};
      response.headers.forEach((v, k) => { if (k !== 'set-cookie') headers[k] = v; });
      const cookies = response.headers.getSetCookie();
      if (cookies.length) headers['set-cookie'] = cookies;
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    };
    const server = https
      ? createHttpsServer({ key: readFileSync(join(TMP, 'server.key')), cert: readFileSync(join(TMP, 'server.pem')) }, handler)
      : createServer(handler);
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = `${https ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
    after(() => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }));
    return url;
  }

  /** An app: the client first, then a page showing the principal as JSON. */
  function app(client, page = async (request, principal) => Response.json({ principal })) {
    return async (request, info) => (await client(request, info)) ?? page(request, client.principal(request));
  }

  // One server hosts several apps under path prefixes, each its own client.
  const routes = new Map();
  const HTTP = await serve((request, info) => {
    const prefix = '/' + new URL(request.url).pathname.split('/')[1];
    const r = routes.get(prefix);
    return r ? r(request, info) : new Response('no app', { status: 404 });
  });
  const receptorRoutes = { route: null };
  const HTTPS = await serve((request) => receptorRoutes.route(request), { https: true });

  const store = new MemoryStore();
  const base = { casUrl: BASE, cookie: { secret: SECRET } };
  const appClient = createCasClient({
    ...base, serviceUrl: `${HTTP}/app`, sessionStore: store,
    proxyCallbackUrl: `${HTTPS}/callback`, proxyReceptorPath: '/callback',
  });
  // The PGT receptor is another instance sharing the store (the callback may land anywhere).
  const receptorClient = createCasClient({ ...base, serviceUrl: HTTPS, sessionStore: store, proxyReceptorPath: '/callback' });
  receptorRoutes.route = app(receptorClient);
  routes.set('/app', app(appClient, async (request, principal) => {
    const u = new URL(request.url);
    if (u.pathname === '/app/pt') return new Response(await appClient.getProxyTicket(request, u.searchParams.get('target')));
    if (u.pathname === '/app/logout') return appClient.logout(request, u.searchParams.get('to'));
    return Response.json({ principal });
  }));
  const secondClient = createCasClient({ ...base, serviceUrl: `${HTTP}/second`, format: json ? 'JSON' : 'XML' });
  routes.set('/second', app(secondClient));
  const backendClient = createCasClient({
    ...base, serviceUrl: `${HTTP}/backend`, acceptProxyTickets: true, allowedProxyChains: [[`${HTTPS}/callback`]],
  });
  routes.set('/backend', app(backendClient));

  /** Follows the app → CAS → app dance in `browser`; returns the final app response. */
  async function loginThrough(browser, url, { login: fresh = true } = {}) {
    const first = await browser.get(url);
    assert.equal(first.status, 302, `${url} redirects to CAS`);
    const to = new URL(first.headers.get('location'));
    assert.equal(to.origin + to.pathname, `${BASE}/login`);
    const service = to.searchParams.get('service');
    let back;
    if (fresh) {
      back = await login(browser, service);
    } else {
      const res = await browser.get(to.href);
      assert.equal(res.status, 302, 'SSO: CAS redirects back with a ticket');
      back = res.headers.get('location');
    }
    // The server sends the browser back to the service with a ticket; django-cas-server
    // puts it first and re-encodes the query (`%20` → `+`), the client must cope.
    const backUrl = new URL(back);
    const ticket = backUrl.searchParams.get('ticket');
    assert.match(ticket ?? '', /^ST-[A-Za-z0-9-]+$/);
    assert.equal(backUrl.origin + backUrl.pathname, new URL(service).origin + new URL(service).pathname);
    const validated = await browser.get(back);
    assert.equal(validated.status, 302, `the client validates and redirects to the clean URL: ${validated.status} ${await validated.clone().text()}`);
    const clean = new URL(validated.headers.get('location'));
    assert.equal(clean.searchParams.get('ticket'), null);
    assert.equal(clean.origin + clean.pathname, backUrl.origin + backUrl.pathname);
    const page = await browser.get(clean.href);
    assert.equal(page.status, 200);
    return { page: await page.json(), ticket, service, back, clean: clean.href, setCookie: validated.headers.getSetCookie() };
  }

  test(`${name}: ` + 'login 2.1/2.8: redirect with the encoded service, validation, session cookie, v3 XML attributes', async () => {
    const b = new Browser();
    const r = await loginThrough(b, `${HTTP}/app/page?x=1&y=a%20b`);
    assert.equal(r.service, `${HTTP}/app/page?x=1&y=a+b`, "the canonical service URL (query re-encoded)");
    assert.equal(r.page.principal.user, 'casuser');
    for (const [k, v] of Object.entries(attributes)) assert.deepEqual(r.page.principal.attributes[k], v, k);
    assert.deepEqual(r.page.principal.proxies, []);
    const cookie = r.setCookie.find((c) => c.startsWith('casplus_session='));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, 'loopback http: not Secure');
    // A forged cookie (another session id, or a bad signature) is no session.
    const forged = new Browser();
    forged.cookies.set('casplus_session', { value: b.cookies.get('casplus_session').value.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) });
    assert.equal((await forged.get(`${HTTP}/app/page`)).status, 302);
  });

  test(`${name}: ` + 'the session cookie is encrypted (AES-256-GCM, HKDF-SHA-256 key): opaque, tamper-proof, bound to its secret and name', async () => {
    const b = new Browser();
    await loginThrough(b, `${HTTP}/app/`);
    const value = b.cookies.get('casplus_session').value;
    const raw = Buffer.from(value, 'base64url');
    // IV (12 bytes) ‖ ciphertext of the 64-hex-digit session id ‖ GCM tag (16 bytes).
    assert.equal(raw.length, 12 + 64 + 16);
    assert.doesNotMatch(raw.toString('latin1'), /casuser|[0-9a-f]{16}/, 'neither the user nor the session id shows');
    // Opened independently with WebCrypto and the documented derivation, it names a session
    // in the store.
    const subtle = globalThis.crypto.subtle;
    const ikm = await subtle.importKey('raw', new TextEncoder().encode(SECRET), 'HKDF', false, ['deriveKey']);
    const key = await subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new TextEncoder().encode('casplus/client session cookie'), info: new TextEncoder().encode('AES-256-GCM key v1') },
      ikm, { name: 'AES-GCM', length: 256 }, false, ['decrypt'],
    );
    const open = async (bytes, name = 'casplus_session') => new TextDecoder().decode(await subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(0, 12), additionalData: new TextEncoder().encode(name) }, key, bytes.subarray(12)));
    const sid = await open(raw);
    assert.match(sid, /^[0-9a-f]{64}$/);
    assert.equal(JSON.parse(await store.get(`session:${sid}`)).user, 'casuser');
    // Every single-bit change anywhere in the cookie is refused (GCM authenticates it all).
    for (const at of [0, 11, 12, 40, raw.length - 1]) {
      const t = Buffer.from(raw);
      t[at] ^= 1;
      await assert.rejects(open(t));
      const jar = new Browser();
      jar.cookies.set('casplus_session', { value: t.toString('base64url') });
      assert.equal((await jar.get(`${HTTP}/app/`)).status, 302, `bit flipped at byte ${at}`);
    }
    // The same store behind a client with another secret: the cookie does not open there.
    const foreign = createCasClient({ ...base, cookie: { secret: 'another secret of at least 32 characters!' }, serviceUrl: `${HTTP}/app`, sessionStore: store });
    const res = await foreign(new Request(`${HTTP}/app/`, { headers: { cookie: `casplus_session=${value}` } }));
    assert.equal(res?.status, 302, 'a foreign-key cookie is no session');
    // Under another cookie name (the additional data) it does not open either.
    const renamed = createCasClient({ ...base, cookie: { secret: SECRET, name: 'other' }, serviceUrl: `${HTTP}/app`, sessionStore: store });
    assert.equal((await renamed(new Request(`${HTTP}/app/`, { headers: { cookie: `other=${value}` } })))?.status, 302);
    // The genuine one through the same kind of client does.
    const same = createCasClient({ ...base, serviceUrl: `${HTTP}/app`, sessionStore: store });
    assert.equal(await same(new Request(`${HTTP}/app/`, { headers: { cookie: `casplus_session=${value}` } })), null);
  });

  test(`${name}: SSO into a second app${json ? ' with CAS 3.0 JSON (2.5.1 format=JSON)' : ''}`, async () => {
    const b = new Browser();
    await loginThrough(b, `${HTTP}/app/`);
    const r = await loginThrough(b, `${HTTP}/second/`, { login: false });
    assert.equal(r.page.principal.user, 'casuser');
    assert.deepEqual(r.page.principal.attributes.email, attributes.email);
  });

  test(`${name}: ` + 'ST replay and a ticket for another service are refused (2.5.3 INVALID_TICKET, INVALID_SERVICE)', async () => {
    const b = new Browser();
    const r = await loginThrough(b, `${HTTP}/app/`);
    const replay = await new Browser().get(r.back);
    assert.equal(replay.status, 403);
    assert.match(await replay.text(), /INVALID_TICKET/);
    // A fresh ticket for /app presented to /second.
    const res = await b.get(`${BASE}/login?${q({ service: `${HTTP}/app/` })}`);
    const st = ticketFrom(res.headers.get('location'), `${HTTP}/app/`);
    const wrong = await new Browser().get(`${HTTP}/second/?ticket=${st}`);
    assert.equal(wrong.status, 403);
    assert.match(await wrong.text(), /INVALID_SERVICE/);
  });

  test(`${name}: ` + 'renew 2.1.1: the login URL says renew=true and SSO alone does not satisfy it', async () => {
    const renewClient = createCasClient({ ...base, serviceUrl: `${HTTP}/app/renew`, renew: true });
    routes.set('/renewapp', app(renewClient));
    const b = new Browser();
    await loginThrough(b, `${HTTP}/app/`);
    // Served under /app (a registered service) through its own client.
    routes.set('/app', ((prev) => (request) => (new URL(request.url).pathname.startsWith('/app/renew') ? app(renewClient)(request) : prev(request)))(routes.get('/app')));
    const first = await b.get(`${HTTP}/app/renew`);
    assert.equal(first.status, 302);
    const to = new URL(first.headers.get('location'));
    assert.equal(to.searchParams.get('renew'), 'true');
    const cas = await b.get(to.href);
    assert.equal(cas.status, 200, 'CAS asks for credentials again despite the SSO session');
    const back = await b.get(await login(b, to.searchParams.get('service'), { renew: 'true' }));
    assert.equal(back.status, 302);
    const page = await b.get(`${HTTP}/app/renew`);
    assert.equal((await page.json()).principal.user, 'casuser');
  });

  test(`${name}: ` + 'gateway 2.1.1 without an SSO session: back without a ticket, continue unauthenticated', async () => {
    const gw = createCasClient({ ...base, serviceUrl: `${HTTP}/second/gw`, gateway: true });
    routes.set('/second', ((prev) => (request) => (new URL(request.url).pathname.startsWith('/second/gw') ? app(gw)(request) : prev(request)))(routes.get('/second')));
    const b = new Browser();
    const first = await b.get(`${HTTP}/second/gw`);
    assert.equal(first.status, 302);
    const to = new URL(first.headers.get('location'));
    assert.equal(to.searchParams.get('gateway'), 'true');
    const cas = await b.get(to.href);
    assert.equal(cas.status, 302, 'CAS sends the browser back');
    assert.equal(cas.headers.get('location'), `${HTTP}/second/gw`, 'without a ticket');
    const page = await b.get(cas.headers.get('location'));
    assert.equal(page.status, 200);
    assert.equal((await page.json()).principal, null);
  });

  test(`${name}: ` + 'proxy 2.5.4/2.7/2.9: PGT at an https receptor on another instance, PT accepted by a back end in the allow-list only', async () => {
    const b = new Browser();
    await loginThrough(b, `${HTTP}/app/`);
    const target = `${HTTP}/backend/api`;
    const pt = await b.get(`${HTTP}/app/pt?${q({ target })}`);
    assert.equal(pt.status, 200, await pt.clone().text());
    const ticket = await pt.text();
    assert.match(ticket, /^PT-/);
    // The back end gets the PT from the proxy (server to server) and answers directly.
    const api = await fetch(`${target}?ticket=${ticket}`, { redirect: 'manual' });
    assert.equal(api.status, 200);
    const { principal } = await api.json();
    assert.equal(principal.user, 'casuser');
    assert.deepEqual(principal.proxies, [`${HTTPS}/callback`]);
    // A back end whose allow-list does not hold this chain refuses the PT.
    const strict = createCasClient({
      ...base, serviceUrl: `${HTTP}/backend`, acceptProxyTickets: true, allowedProxyChains: [[/https:\/\/proxy\.example\/.*/]],
    });
    const pt2 = await (await b.get(`${HTTP}/app/pt?${q({ target })}`)).text();
    const refused = await strict(new Request(`${target}?ticket=${pt2}`));
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /PROXY_CHAIN_NOT_ALLOWED/);
    // And a client that accepts no proxy tickets at all refuses one too.
    const pt3 = await (await b.get(`${HTTP}/app/pt?${q({ target })}`)).text();
    const none = createCasClient({ ...base, serviceUrl: `${HTTP}/backend`, acceptProxyTickets: true });
    const refused2 = await none(new Request(`${target}?ticket=${pt3}`));
    assert.match(await refused2.text(), /PROXY_CHAIN_NOT_ALLOWED/);
    // getProxyTicket without a PGT is a typed error.
    await assert.rejects(secondClient.getProxyTicket(new Request(`${HTTP}/second/`), target), (e) => e instanceof CasClientError && e.code === 'NO_PROXY_GRANTING_TICKET');
  });

  test(`${name}: ` + 'single logout 2.3.3: the CAS logout ends the session of that login only, on any instance sharing the store', async () => {
    const one = new Browser();
    const two = new Browser();
    await loginThrough(one, `${HTTP}/app/`);
    await loginThrough(two, `${HTTP}/app/`);
    // A second instance of the app, sharing the store, sees both sessions.
    const other = createCasClient({ ...base, serviceUrl: `${HTTP}/app`, sessionStore: store });
    const viaOther = async (browser) => (await other(new Request(`${HTTP}/app/`, { headers: { cookie: browser.cookieHeader() } })));
    assert.equal(await viaOther(one), null);
    assert.equal(await viaOther(two), null);
    // A forged logoutRequest naming an unknown ticket ends nothing.
    const forged = await fetch(`${HTTP}/app/`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: q({ logoutRequest: '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:SessionIndex>ST-unknown</samlp:SessionIndex></samlp:LogoutRequest>' }),
    });
    assert.equal(forged.status, 204);
    assert.equal((await one.get(`${HTTP}/app/`)).status, 200);
    // One logs out at CAS: its session ends (the POST lands on the app), two's stays.
    assert.equal((await one.get(`${BASE}/logout`)).status, 200);
    assert.ok(await eventually(async () => (await viaOther(one)) !== null, 10000), 'the session of one ends');
    assert.equal((await one.get(`${HTTP}/app/`)).status, 302);
    assert.equal((await two.get(`${HTTP}/app/`)).status, 200);
    assert.equal(await viaOther(two), null);
  });

  test(`${name}: ` + 'singleLogout options: logoutRequest only at its path and from allowed addresses (2.3.3)', async () => {
    const slo = (index) => q({ logoutRequest: `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0"><saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</saml:NameID><samlp:SessionIndex>${index}</samlp:SessionIndex></samlp:LogoutRequest>` });
    const post = (c, path, info, index = 'ST-unknown') => c(new Request(`${HTTP}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: slo(index) }), info);
    const errors = [];
    const strict = createCasClient({ ...base, serviceUrl: `${HTTP}/app`, sessionStore: store, singleLogout: { path: '/app/slo', allowedAddresses: ['192.0.2.10', '2001:DB8::1'] }, onError: (e) => errors.push(e.code) });
    assert.equal((await post(strict, '/app/slo', { remoteAddress: '192.0.2.10' })).status, 204);
    assert.equal((await post(strict, '/app/slo', { remoteAddress: '::ffff:192.0.2.10' })).status, 204, 'a v4 peer on a dual-stack socket');
    assert.equal((await post(strict, '/app/slo', { remoteAddress: '2001:db8::1' })).status, 204);
    const refused = await post(strict, '/app/slo', { remoteAddress: '127.0.0.1' });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /LOGOUT_SOURCE_NOT_ALLOWED/);
    assert.equal((await post(strict, '/app/slo')).status, 403, 'an unknown peer is refused');
    assert.deepEqual(errors, ['LOGOUT_SOURCE_NOT_ALLOWED', 'LOGOUT_SOURCE_NOT_ALLOWED']);
    // Elsewhere the POST is not a logoutRequest for the client: it goes on (unauthenticated).
    assert.equal((await post(strict, '/app/other', { remoteAddress: '192.0.2.10' })).status, 401);
    // Without a path, a form POST with no logoutRequest parameter is the application's,
    // however large (only a logoutRequest over 64 KiB is refused).
    const anywhere = createCasClient({ ...base, serviceUrl: `${HTTP}/app`, sessionStore: store });
    const form = (body) => anywhere(new Request(`${HTTP}/app/upload`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }), { remoteAddress: '192.0.2.10' });
    assert.equal((await form(q({ upload: 'a'.repeat(100_000) }))).status, 401, 'a large ordinary form goes on');
    assert.equal((await form(q({ note: 'logoutRequest' }))).status, 401, 'the word alone is no logoutRequest');
    const huge = await form(q({ logoutRequest: 'a'.repeat(70_000) }));
    assert.equal(huge.status, 400);
    assert.match(await huge.text(), /TOO_LARGE/);

    assert.throws(() => createCasClient({ ...base, serviceUrl: `${HTTP}/app`, singleLogout: { path: 'slo' } }), (e) => e.code === 'INVALID_OPTIONS');

    // A real single logout refused by source: the session stays; from the CAS server's
    // address (the peer the Node server reports) it ends.
    const prev = routes.get('/app');
    const run = async (allowedAddresses) => {
      const seen = [];
      const c = createCasClient({ ...base, serviceUrl: `${HTTP}/app`, sessionStore: store, singleLogout: { allowedAddresses }, onError: (e) => seen.push(e.code) });
      // /app/src… through this client until the end of the test (the logoutRequest comes later).
      routes.set('/app', (request, info) => (new URL(request.url).pathname.startsWith('/app/src') ? app(c)(request, info) : prev(request, info)));
      const b = new Browser();
      await loginThrough(b, `${HTTP}/app/src`);
      assert.equal((await b.get(`${BASE}/logout`)).status, 200);
      return { b, seen };
    };
    try {
      const { b: kept, seen } = await run(['192.0.2.10']);
      assert.ok(await eventually(async () => seen.includes('LOGOUT_SOURCE_NOT_ALLOWED'), 10000), 'the logoutRequest arrived and was refused');
      assert.equal((await one(kept)).status, 200, 'the session stays');
      const { b: ended } = await run(['127.0.0.1', '::1']);
      assert.ok(await eventually(async () => (await one(ended)).status === 302, 10000), 'the logoutRequest from the CAS server ended the session');
    } finally {
      routes.set('/app', prev);
    }
    function one(browser) { return browser.get(`${HTTP}/app/`); }
  });

  test(`${name}: ` + 'logout(): local session gone, redirect to CAS /logout, returnTo only if allowed (no open redirect)', async () => {
    const b = new Browser();
    await loginThrough(b, `${HTTP}/app/`);
    const res = await b.get(`${HTTP}/app/logout?${q({ to: 'https://evil.example/' })}`);
    assert.equal(res.status, 302);
    const to = new URL(res.headers.get('location'));
    assert.equal(to.origin + to.pathname, `${BASE}/logout`);
    assert.equal(to.searchParams.get('service'), `${HTTP}/app`, 'not the unlisted returnTo');
    assert.equal((await b.get(`${HTTP}/app/`)).status, 302, 'no local session any more');
  });
}
