// Security properties at the HTTP level: single use under concurrency, open redirects,
// escaping, throttling, request size limits, cookie tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE, TMP, Browser, q, loginTicket, submitLogin, loginForTicket, ssoTicket, validate, xmlText, failureCode,
  httpServer, eventually, startWrangler, sleep,
} from './lib.mjs';

const app = await httpServer();
const APP = `${app.url}/app`;
const XSS = `${app.url}/xss`;

test('single use 3.1.1 under concurrency: 100 parallel validations of one ST, exactly one success', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const endpoints = ['/serviceValidate', '/p3/serviceValidate', '/proxyValidate', '/p3/proxyValidate'];
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) =>
    validate(endpoints[i % endpoints.length], { service: APP, ticket: st })));
  const ok = results.filter((r) => xmlText(r.body, 'user') === 'casuser');
  const failed = results.filter((r) => failureCode(r.body) === 'INVALID_TICKET');
  assert.equal(ok.length, 1, 'exactly one validation succeeds');
  assert.equal(failed.length, 99, 'all others are INVALID_TICKET');
  assert.ok(results.every((r) => r.res.status === 200));
});

test('single use under concurrency: 50 parallel /validate of one ST, exactly one yes', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const results = await Promise.all(Array.from({ length: 50 }, () => validate('/validate', { service: APP, ticket: st })));
  assert.equal(results.filter((r) => r.body === 'yes\ncasuser\n').length, 1);
  assert.equal(results.filter((r) => r.body === 'no\n\n').length, 49);
});

test('login ticket under concurrency: 20 parallel POSTs with one lt, at most one session', async () => {
  const b = new Browser();
  const form = await b.get(`/login?${q({ service: APP })}`);
  const lt = loginTicket(await form.text());
  // Each POST from the browser that got the form (its binding cookie: csrf.test.mjs).
  const results = await Promise.all(Array.from({ length: 20 }, () => fetch(`${BASE}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: b.cookieHeader() },
    body: q({ username: 'casuser', password: 'Mellon', lt, service: APP }),
  })));
  assert.equal(results.filter((r) => r.status === 303).length, 1);
  assert.equal(results.filter((r) => r.status === 403).length, 19);
});

test('open redirect at /login 2.2.1: unregistered, malformed or user-info services never redirect', async () => {
  const b = new Browser();
  await loginForTicket(b, APP);
  const attempts = [
    'https://evil.example/',
    `http://127.0.0.1:1@evil.example/app`,
    `${app.url}/app\\@evil.example`,
    'javascript:alert(1)//http://127.0.0.1:1/app',
    '//evil.example/app',
    `http://127.0.0.1.evil.example:${new URL(app.url).port}/app`,
    `${APP}\r\nLocation: https://evil.example/`,
  ];
  for (const service of attempts) {
    for (const extra of [{}, { gateway: 'true' }]) {
      const res = await b.get(`/login?${q({ service, ...extra })}`);
      assert.equal(res.headers.get('location'), null, `no redirect for ${JSON.stringify(service)} ${JSON.stringify(extra)}`);
      assert.ok([400, 403].includes(res.status), `${service}: ${res.status}`);
    }
  }
});

test('open redirect at /logout 2.3.2: only registered services are followed', async () => {
  for (const service of ['https://evil.example/', `http://127.0.0.1:1@evil.example/app`, '//evil.example/']) {
    const res = await new Browser().get(`/logout?${q({ service })}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('location'), null);
  }
});

test('XSS: user name, attributes and service name come back escaped in pages, XML and JSON', async () => {
  const user = '<b>xss</b>';
  const b = new Browser();
  // The form page names the service with markup in its registered name.
  const form = await b.get(`/login?${q({ service: XSS })}`);
  const page = await form.text();
  assert.ok(page.includes('&lt;img src=x onerror=alert(&quot;svc&quot;)&gt;'), 'service name escaped');
  assert.ok(!page.includes('<img'), 'no live markup');
  // A failed login echoes the user name, escaped.
  const failed = await submitLogin(b, { service: XSS, username: user, password: 'nope' });
  const failedPage = await failed.text();
  assert.ok(failedPage.includes('value="&lt;b&gt;xss&lt;/b&gt;"'));
  assert.ok(!failedPage.includes('<b>xss</b>'));
  // Success: XML and JSON carry the values exactly, escaped by their own rules.
  const st = await loginForTicket(b, XSS, { username: user, password: 'xss-pass' });
  const { body } = await validate('/p3/serviceValidate', { service: XSS, ticket: st });
  assert.ok(body.includes('<cas:user>&lt;b&gt;xss&lt;/b&gt;</cas:user>'), body);
  assert.equal(xmlText(body, 'user'), user);
  assert.equal(xmlText(body, 'displayName'), '<script>alert(1)</script>');
  assert.equal(xmlText(body, 'note'), `a&b<c>"d'e`);
  assert.ok(!body.includes('<script>'));
  const st2 = await loginForTicket(new Browser(), XSS, { username: user, password: 'xss-pass' });
  const j = JSON.parse((await validate('/p3/serviceValidate', { service: XSS, ticket: st2, format: 'JSON' })).body);
  assert.equal(j.serviceResponse.authenticationSuccess.user, user);
  assert.equal(j.serviceResponse.authenticationSuccess.attributes.note, `a&b<c>"d'e`);
  // The SSO page with the principal escaped.
  const sso = await (await b.get('/login')).text();
  assert.ok(sso.includes('&lt;b&gt;xss&lt;/b&gt;'));
  assert.ok(!sso.includes('<b>xss</b>'));
  // An unregistered service with markup is shown escaped.
  const evil = await (await b.get(`/login?${q({ service: 'https://x.example/"><script>alert(2)</script>' })}`)).text();
  assert.ok(!evil.includes('<script>alert(2)'));
});

test('brute force: after 3 failures the user is locked out (429, Retry-After) even with the right password', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await submitLogin(new Browser(), { service: APP, username: 'locked', password: `guess-${i}` });
    assert.ok([401, 429].includes(res.status), `attempt ${i}: ${res.status}`);
  }
  const res = await submitLogin(new Browser(), { service: APP, username: 'locked', password: 'whatever' });
  assert.equal(res.status, 429);
  assert.match(res.headers.get('retry-after'), /^\d+$/);
  assert.equal(res.headers.get('location'), null);
  assert.equal(res.headers.getSetCookie().length, 0);
  assert.match(await res.text(), /Too many failed attempts/);
  // Other users are not affected.
  assert.equal((await submitLogin(new Browser(), { service: APP, username: 'victim', password: 'correct horse' })).status, 303);
});

test('brute force across case variants: Unicode-insensitive per-user counter (the runtime\'s toLowerCase)', async () => {
  // ÄRGERΣ / ärgerς / Ärgerσ fold to one user (full mapping: Ä→ä, final sigma) — the
  // Worker folds with JavaScript's String.prototype.toLowerCase, not tables in the wasm.
  const variants = ['ÄRGERΣ', 'ärgerς', 'ÄrGeRΣ'];
  for (const [i, username] of variants.entries()) {
    const res = await submitLogin(new Browser(), { service: APP, username, password: `guess-${i}` });
    // The third failure may already answer 429 (as in the test above).
    assert.ok(i < 2 ? res.status === 401 : [401, 429].includes(res.status), `attempt ${i} (${username}): ${res.status}`);
  }
  const res = await submitLogin(new Browser(), { service: APP, username: '  äRGERς ', password: 'x' });
  assert.equal(res.status, 429, 'a fourth spelling is locked out too');
  // A different name (one letter more) has its own counter.
  assert.equal((await submitLogin(new Browser(), { service: APP, username: 'ärgerςx', password: 'x' })).status, 401);
});

/** The audit events wrangler printed (as audit.test.mjs reads them). */
function auditEvents(pred) {
  return readFileSync(join(TMP, 'wrangler.log'), 'utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n').flatMap((l) => {
    const i = l.indexOf('{"');
    if (i < 0) return [];
    try { return [JSON.parse(l.slice(i, l.lastIndexOf('}') + 1))]; } catch { return []; }
  }).filter(pred);
}

/** A login form fetched and posted as a client at `ip` (CF-Connecting-IP); the POST's answer. */
async function loginFrom(ip, username, password) {
  const b = new Browser();
  const headers = { 'CF-Connecting-IP': ip };
  const form = await b.get(`/login?${q({ service: APP })}`, { headers });
  const lt = loginTicket(await form.text());
  return b.post(`/login?${q({ service: APP })}`, { username, password, lt, service: APP }, { headers });
}

/** `loginFrom`, waiting out a short throttling delay (at most `maxWait` seconds in all). */
async function loginAfterDelay(ip, username, password, maxWait) {
  let waited = 0;
  for (;;) {
    const res = await loginFrom(ip, username, password);
    const retry = Number(res.headers.get('retry-after'));
    if (res.status !== 429) return { res, waited };
    assert.ok(waited + retry <= maxWait, `asked to wait ${retry} s more after ${waited} s`);
    waited += retry;
    await sleep(retry * 1000 + 100);
  }
}

test('issue 20 item 2: 50 parallel wrong-password POSTs for one user get at most 3 password checks (audit log)', async () => {
  const user = `burst-${Date.now()}`; // unknown: checked against the dummy hash all the same
  // Login tickets collected beforehand, then every POST at once. (From many addresses the
  // per-user delay would also let one more check through per second the burst lasts:
  // src/cas/engine/tests/login.rs checks that bound with a fixed clock.)
  const forms = [];
  for (let i = 0; i < 50; i++) {
    const headers = { 'CF-Connecting-IP': '198.18.0.1' };
    const res = await fetch(`${BASE}/login`, { headers });
    // The form's binding cookie goes back with its POST (csrf.test.mjs).
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    forms.push({ headers, cookie, lt: loginTicket(await res.text()) });
  }
  const results = await Promise.all(forms.map(({ headers, cookie, lt }) => fetch(`${BASE}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { ...headers, Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: q({ username: user, password: 'wrong-guess', lt }),
  })));
  // Under a burst of 50 the local runtime may turn some POSTs away before they reach the
  // Worker (503, no log line: seen in 1 of 4 runs): those check no password either.
  const statuses = results.map((r) => r.status);
  assert.ok(statuses.every((s) => [401, 429, 503].includes(s)), statuses.join(' '));
  const reached = statuses.filter((s) => s !== 503).length;
  assert.ok(reached >= 10, `only ${reached} POSTs reached the Worker: ${statuses.join(' ')}`);
  // One login_failure per POST that reached it: invalid_credentials after a password check,
  // locked without.
  assert.ok(await eventually(() => auditEvents((e) => e.event === 'login_failure' && e.username === user).length >= reached, 8000));
  const checked = auditEvents((e) => e.event === 'login_failure' && e.username === user && e.reason === 'invalid_credentials');
  assert.ok(checked.length >= 1 && checked.length <= 3, `${checked.length} password checks`);
});

test('issue 20 item 3: a lockout from one address only delays the same user elsewhere', async () => {
  const attacker = '203.0.113.66';
  for (let i = 0; i < 3; i++) {
    const res = await loginFrom(attacker, 'victim', `guess-${i}`);
    assert.equal(res.status, i < 2 ? 401 : 429, `attempt ${i}`);
  }
  const locked = await loginFrom(attacker, 'victim', 'correct horse');
  assert.equal(locked.status, 429, 'the pair is locked');
  assert.ok(Number(locked.headers.get('retry-after')) > 30, 'for the lockout');
  // The victim at another address gets in after at most the first, short delay.
  const { res, waited } = await loginAfterDelay('198.51.100.23', 'victim', 'correct horse', 2);
  assert.equal(res.status, 303, `waited ${waited} s`);
});

test('issue 20 item 3: IPv6 clients of one /64 share a counter, the next /64 does not', async () => {
  const user = `v6-${Date.now()}`;
  for (let i = 1; i <= 3; i++) {
    const res = await loginFrom(`2001:db8:20:3::${i}`, user, 'nope');
    assert.equal(res.status, i < 3 ? 401 : 429, `attempt ${i}`);
  }
  const same = await loginFrom('2001:db8:20:3:ffff:1:2:3', user, 'nope');
  assert.equal(same.status, 429, 'another address of the /64 is locked out too');
  assert.ok(Number(same.headers.get('retry-after')) > 30);
  const { res } = await loginAfterDelay('2001:db8:20:4::1', user, 'nope', 2);
  assert.equal(res.status, 401, 'the next /64 only waited the short delay, then had its password checked');
});

test('oversized parameters: INVALID_REQUEST for validation, 400/413 for login', async () => {
  const long = `${APP}?${'a'.repeat(5000)}`;
  const v = await validate('/serviceValidate', { service: long, ticket: 'ST-1' });
  assert.equal(failureCode(v.body), 'INVALID_REQUEST');
  const t = await validate('/serviceValidate', { service: APP, ticket: `ST-${'a'.repeat(5000)}` });
  assert.ok(['INVALID_REQUEST', 'INVALID_TICKET'].includes(failureCode(t.body)));
  const many = await fetch(`${BASE}/serviceValidate?${Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('&')}`);
  assert.equal(failureCode(await many.text()), 'INVALID_REQUEST');
  const login = await new Browser().get(`/login?${q({ service: long })}`);
  assert.equal(login.status, 400);
  const big = await fetch(`${BASE}/login`, { method: 'POST', redirect: 'manual', body: 'x'.repeat(70 * 1024), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(big.status, 413);
  // The body was refused unread: the local runtime fails the next request on that connection
  // unless it is a GET, which it retries. One GET here keeps the next test's POSTs clean.
  assert.equal((await fetch(`${BASE}/login`)).status, 200);
});

/** POSTs `chunks` to `url` with `Transfer-Encoding: chunked` (no Content-Length). Resolves
 * with the status of the answer. `open`: the body is never ended (an upload that goes on);
 * then `'no answer'` if none came within `patience` ms while it was open. */
function chunkedPost(url, chunks, { open = false, patience = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    let timer;
    const req = httpRequest(new URL(url), {
      method: 'POST',
      agent: false,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked' },
    }, (res) => {
      clearTimeout(timer);
      res.resume();
      resolve(res.statusCode);
      if (open) req.destroy();
    });
    req.on('error', (e) => (open ? resolve(`error: ${e.message}`) : reject(e)));
    for (const c of chunks) req.write(c);
    if (open) {
      timer = setTimeout(() => { resolve('no answer'); req.destroy(); }, patience);
    } else {
      req.end();
    }
  });
}

// The Worker reads a body as it streams and stops at the cap (worker/src/body.rs). A body the
// Worker leaves unread breaks the local runtime's next POST (a 503 "worker restarted
// mid-request", or no answer), so this runs on a Worker of its own.
test('issue 20 item 7: a body without Content-Length is capped (413 past 64 KiB); a small one is read', async () => {
  const w = await startWrangler({ workers: 'cas' });
  try {
    // A small chunked form is read and judged by the engine as usual (no login ticket: not 413).
    const small = await chunkedPost(`${w.origin}/cas/login`, ['username=casuser&', 'password=Mellon&lt=LT-0']);
    assert.ok(![413, 500, 503].includes(small), `a small chunked body is read: ${small}`);
    const chunk = 'x'.repeat(16 * 1024);
    assert.equal(await chunkedPost(`${w.origin}/cas/login`, Array(5).fill(chunk)), 413);
  } finally {
    await w.stop();
  }
});

// The same cap while the upload is still being sent: a Worker that read the whole body before
// checking its size would never answer an upload that never ends (75a5448 did not). The local
// runtime is left unusable by the unread upload, so this too gets a Worker of its own.
test('issue 20 item 7: an endless upload is refused with 413 once past 64 KiB, while it is still open', async () => {
  const w = await startWrangler({ workers: 'cas' });
  try {
    const chunk = 'x'.repeat(16 * 1024);
    assert.equal(await chunkedPost(`${w.origin}/cas/login`, Array(5).fill(chunk), { open: true }), 413,
      'an endless upload is refused once past the cap, not read to its end');
  } finally {
    await w.stop();
  }
});

test('issue 20 item 12: single-logout POSTs go out concurrently; a hanging service delays none of the others', async () => {
  const hang = await httpServer(() => { /* never answers: the Worker gives up after its timeout */ });
  const ok = await httpServer();
  try {
    const b = new Browser();
    // The hanging service got the session's first ticket: it is the first to be told.
    await loginForTicket(b, `${hang.url}/app/hangs`);
    const fast = ['/app/a', '/app/b', '/app/c', '/second'];
    for (const p of fast) await ssoTicket(b, `${ok.url}${p}`);
    const started = Date.now();
    assert.equal((await b.get('/logout')).status, 200);
    const posted = () => new Set(ok.requests.filter((r) => r.method === 'POST').map((r) => r.url));
    assert.ok(await eventually(() => posted().size >= fast.length, 10000), `logouts for: ${[...posted()].join(' ')}`);
    const ms = Date.now() - started;
    assert.ok(ms < 4000, `the others did not wait for the hanging service's 5 s timeout (${ms} ms)`);
    assert.ok(hang.requests.some((r) => r.method === 'POST'), 'the hanging service was told too');
  } finally {
    await Promise.all([hang.close(), ok.close()]);
  }
});

test('tampered or foreign cookies give no session', async () => {
  for (const cookie of ['TGC-casplus=TGT-0000', 'TGC-casplus=ST-abc', `TGC-casplus=TGT-${'f'.repeat(64)}`, 'TGC-casplus="><script>']) {
    const res = await fetch(`${BASE}/login?${q({ service: APP })}`, { headers: { Cookie: cookie }, redirect: 'manual' });
    assert.equal(res.status, 200, cookie);
    loginTicket(await res.text());
  }
});

test('credentials in the query string are never accepted 2.2', async () => {
  const b = new Browser();
  const form = await b.get(`/login?${q({ service: APP })}`);
  const lt = loginTicket(await form.text());
  const res = await b.get(`/login?${q({ service: APP, username: 'casuser', password: 'Mellon', lt })}`);
  assert.notEqual(res.status, 302);
  assert.equal(b.tgc(), undefined);
});

test('every HTML answer carries the strict CSP and anti-framing headers', async () => {
  const b = new Browser();
  const pages = [
    await b.get('/login'),
    await b.get(`/login?${q({ service: 'https://evil.example/' })}`),
    await b.get('/logout'),
    await fetch(`${BASE}/nope`),
    await fetch(`${BASE}/login`, { method: 'PATCH' }),
  ];
  for (const res of pages) {
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /^default-src 'none'; style-src 'sha256-/, res.url);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /base-uri 'none'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  }
});

// Issue 20 item 1: a service is matched in two parts — the host by name, the rest by
// pattern — so URLs whose host (as a browser reads it) is the attacker's never get a ticket.
const HOSTED = `${app.url}/hosted`;
const PORT = new URL(app.url).port;
const HOST_ATTACKS = [
  `http://evil.test?.127.0.0.1:${PORT}/hosted`,
  `http://evil.test#.127.0.0.1:${PORT}/hosted`,
  `http://127.0.0.1.evil.test:${PORT}/hosted`,
  `http://127.0.0.1:${PORT}@evil.test/hosted`,
  `http://evil.test\\@127.0.0.1:${PORT}/hosted`,
  `http://127.0.0.1%2e:${PORT}/hosted`,
  `http://127.0.0.1:${PORT}/hosted/../app`,
  `http://127.0.0.1:${PORT}/hosted/%2e%2e/app`,
];

test('service hosts 20.1: a host pattern serves its own URLs (login, SSO, validation)', async () => {
  const b = new Browser();
  const st = await loginForTicket(b, HOSTED);
  const v = await validate('/p3/serviceValidate', { service: HOSTED, ticket: st });
  assert.equal(xmlText(v.body, 'user'), 'casuser', v.body);
  const st2 = await ssoTicket(b, `${HOSTED}?page=2`);
  const v2 = await validate('/serviceValidate', { service: `${HOSTED}?page=2`, ticket: st2 });
  assert.equal(xmlText(v2.body, 'user'), 'casuser', v2.body);
});

test('service hosts 20.1: attacker hosts get no form, no SSO ticket and no validation', async () => {
  const b = new Browser();
  await loginForTicket(b, HOSTED);
  for (const service of HOST_ATTACKS) {
    for (const browser of [new Browser(), b]) {
      const res = await browser.get(`/login?${q({ service })}`);
      assert.equal(res.headers.get('location'), null, `no redirect to ${service}`);
      assert.ok([400, 403].includes(res.status), `${service}: ${res.status}`);
    }
    const st = await ssoTicket(b, HOSTED);
    const v = await validate('/serviceValidate', { service, ticket: st });
    assert.equal(xmlText(v.body, 'user'), undefined, `${service}: ${v.body}`);
    assert.ok(['INVALID_SERVICE', 'INVALID_TICKET'].includes(failureCode(v.body)), v.body);
  }
});

test('service hosts 20.1: a pgtUrl on an attacker host is never called back', async () => {
  for (const pgtUrl of ['https://evil.test?.localhost:8443/callback', 'https://localhost.evil.test:8443/callback']) {
    const st = await loginForTicket(new Browser(), HOSTED);
    const v = await validate('/serviceValidate', { service: HOSTED, ticket: st, pgtUrl });
    assert.equal(failureCode(v.body), 'INVALID_PROXY_CALLBACK', v.body);
  }
});

test('service hosts 20.1: a configuration with a regex that matches attacker hosts is refused', async () => {
  const sloppy = JSON.stringify({
    engine: { services: [{ id: 1, name: 'Any subdomain', service: { regex: String.raw`^https://[^/]+\.example\.org(/.*)?$` } }] },
  });
  const w = await startWrangler({
    vars: { CASPLUS_CONFIG: sloppy },
    workers: 'cas',
    ready: async (origin) => { await fetch(`${origin}/cas/nope`); return true; },
  });
  try {
    const res = await fetch(`${w.origin}/cas/login?${q({ service: 'https://evil.test?.example.org/' })}`, { redirect: 'manual' });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('location'), null);
    assert.ok(await eventually(() => /evil\.test/.test(w.log()), 3000), 'the log names the attacker URL');
  } finally {
    await w.stop();
  }
});

test.after(() => app.close());
