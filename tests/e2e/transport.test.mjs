// Transport (issue 20 items 8 and 10): plain http outside loopback is redirected to https
// before anything is read or issued, https answers to a public host carry HSTS, and over
// https the ticket-granting cookie is a `__Host-` cookie (Secure, Path=/, no Domain) that
// a cookie tossed by a sibling domain cannot stand in for. The host is the request's
// (the Worker reads it from the request URL), so a `Host:` header stands for a public name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, q, raw, startWrangler } from './lib.mjs';

const PUBLIC = 'cas.example.org';
const APP = 'https://app.example.org/app';
// casuser / Mellon (the development configuration's hash).
const MELLON = '$pbkdf2-sha256$i=50000$Y2FzcGx1cy1kZW1vLXNhbHQ$JUqPWSiCD2oZSwsJyQap+hhFAD3iGtgIjYzM5bsb+wk';

const form = (fields) => {
  const body = new URLSearchParams(fields).toString();
  return { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } };
};

test('item 8: plain http to a public host is redirected to https; nothing is read or issued', async () => {
  const path = `/cas/login?${q({ service: APP })}`;
  const get = await raw(new URL(BASE).origin + path, { headers: { Host: PUBLIC } });
  assert.equal(get.status, 301);
  assert.equal(get.headers.location, `https://${PUBLIC}${path}`);
  assert.equal(get.headers['set-cookie'], undefined);
  assert.equal(get.headers['strict-transport-security'], undefined, 'no HSTS over http (RFC 6797 §7.2)');
  // A POSTed form keeps its method (308) and gets no cookie.
  const f = form({ username: 'casuser', password: 'x', lt: 'LT-1' });
  const post = await raw(`${BASE}/login`, { method: 'POST', body: f.body, headers: { ...f.headers, Host: PUBLIC } });
  assert.equal(post.status, 308);
  assert.equal(post.headers.location, `https://${PUBLIC}/cas/login`);
  assert.equal(post.headers['set-cookie'], undefined);
  // Validation endpoints too: no ticket is consumed over http.
  for (const p of ['/serviceValidate', '/p3/serviceValidate', '/proxy', '/logout', '']) {
    const r = await raw(`${BASE}${p}?ticket=ST-1`, { headers: { Host: PUBLIC } });
    assert.equal(r.status, 301, p);
    assert.equal(r.headers.location, `https://${PUBLIC}/cas${p}?ticket=ST-1`, p);
  }
  // Loopback stays on plain http, without HSTS.
  const local = await raw(`${BASE}/login`);
  assert.equal(local.status, 200);
  assert.equal(local.headers['strict-transport-security'], undefined);
});

test('items 8 and 10 over https: HSTS on a public host, a __Host- TGC, a tossed plain cookie ignored', async () => {
  const config = JSON.stringify({
    engine: { services: [{ id: 1, name: 'App', service: { host: 'app.example.org', path: '/app([/?#].*)?' } }] },
    users: { casuser: { password: MELLON } },
  });
  const w = await startWrangler({
    vars: { CASPLUS_CONFIG: config }, https: true, workers: 'cas',
    ready: async (origin) => { await raw(`${origin}/cas/nope`); return true; },
  });
  try {
    const base = `${w.origin}/cas`;
    const host = { Host: PUBLIC };
    const page = await raw(`${base}/login?${q({ service: APP })}`, { headers: host });
    assert.equal(page.status, 200, w.log().slice(-2000));
    assert.equal(page.headers['strict-transport-security'], 'max-age=31536000');
    const lt = page.body.match(/name="lt" value="(LT-[A-Za-z0-9-]+)"/)[1];
    const f = form({ username: 'casuser', password: 'Mellon', lt, service: APP });
    // The form's binding cookie (over https a __Host- cookie too, like the TGC) goes back
    // with its POST (csrf.test.mjs).
    const [binding] = page.headers['set-cookie'];
    assert.match(binding, /^__Host-LOGIN-casplus=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    const login = await raw(`${base}/login?${q({ service: APP })}`, { method: 'POST', body: f.body, headers: { ...f.headers, ...host, Cookie: binding.split(';')[0] } });
    assert.equal(login.status, 303);
    assert.equal(login.headers['strict-transport-security'], 'max-age=31536000');
    const [cookie] = login.headers['set-cookie'];
    // RFC 6265bis §4.1.3.2: __Host- requires Secure, Path=/ and no Domain.
    assert.match(cookie, /^__Host-TGC-casplus=TGT-[A-Za-z0-9-]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    const tgc = cookie.split(';')[0];
    const sso = await raw(`${base}/login?${q({ service: APP })}`, { headers: { ...host, Cookie: tgc } });
    assert.equal(sso.status, 302, 'SSO with the __Host- cookie');
    assert.match(sso.headers.location, /^https:\/\/app\.example\.org\/app\?ticket=ST-/);
    // Validation answers carry HSTS too.
    const v = await raw(`${base}/p3/serviceValidate?${q({ service: APP, ticket: new URL(sso.headers.location).searchParams.get('ticket') })}`, { headers: host });
    assert.match(v.body, /<cas:user>casuser<\/cas:user>/);
    assert.equal(v.headers['strict-transport-security'], 'max-age=31536000');
    // The same value under the plain name (as a sibling domain could set it for the
    // parent domain) is never read over https: the login form, no SSO.
    const tossed = tgc.replace(/^__Host-/, '');
    const noSso = await raw(`${base}/login?${q({ service: APP })}`, { headers: { ...host, Cookie: tossed } });
    assert.equal(noSso.status, 200);
    assert.match(noSso.body, /name="lt"/);
    // Logout clears the __Host- cookie.
    const out = await raw(`${base}/logout`, { headers: { ...host, Cookie: tgc } });
    assert.match(out.headers['set-cookie'][0], /^__Host-TGC-casplus=; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=0/);
    // https on loopback: the __Host- cookie, but no HSTS (it would pin every local port).
    const local = await raw(`${base}/login`);
    assert.equal(local.status, 200);
    assert.equal(local.headers['strict-transport-security'], undefined);
  } finally {
    await w.stop();
  }
});
