// Single logout 2.3.3 / Appendix C: at logout, each service that got a ticket in the
// session (and allows it) receives a back-channel POST of a SAML 2 LogoutRequest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, TMP, q, loginForTicket, ssoTicket, validate, xmlText, httpServer, eventually, sleep, startWrangler } from './lib.mjs';

test('single logout: a logoutRequest POST per service with SessionIndex = its ST', async () => {
  const svc = await httpServer();
  const other = await httpServer();
  const APP = `${svc.url}/app/slo`;
  const SECOND = `${other.url}/second`;
  const BACKEND = `${svc.url}/backend`; // registered with singleLogout off
  const b = new Browser();
  const st1 = await loginForTicket(b, APP);
  assert.equal(xmlText((await validate('/serviceValidate', { service: APP, ticket: st1 })).body, 'user'), 'casuser');
  const st2 = await ssoTicket(b, SECOND);
  await ssoTicket(b, BACKEND);
  const res = await b.get('/logout');
  assert.equal(res.status, 200);
  const posts = () => [...svc.requests, ...other.requests].filter((r) => r.method === 'POST');
  assert.ok(await eventually(() => posts().length >= 2, 10000), 'two single-logout POSTs arrive');
  await sleep(300);
  const got = posts();
  assert.equal(got.length, 2, 'none for the service that opted out');
  for (const [ticket, server, path] of [[st1, svc, '/app/slo'], [st2, other, '/second']]) {
    const r = server.requests.find((x) => x.method === 'POST');
    assert.equal(r.url, path, 'POSTed to the service URL');
    assert.match(r.headers['content-type'], /^application\/x-www-form-urlencoded/);
    const xml = new URLSearchParams(r.body).get('logoutRequest');
    assert.match(xml, /<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2\.0:protocol"/);
    assert.ok(xml.includes(`<samlp:SessionIndex>${ticket}</samlp:SessionIndex>`), xml);
    assert.match(xml, /ID="[A-Za-z_][^"]*"/);
    assert.match(xml, /IssueInstant="\d{4}-\d\d-\d\dT/);
  }
  await svc.close();
  await other.close();
});

test('single logout is fire and forget: an unreachable service does not break logout', async () => {
  const dead = await httpServer();
  const APP = `${dead.url}/app`;
  const b = new Browser();
  await loginForTicket(b, APP);
  await dead.close();
  const res = await b.get('/logout');
  assert.equal(res.status, 200);
  assert.match(await res.text(), /You have signed out/);
});

test('single logout after concurrent SSO: 12 services get tickets from one session at once, all 12 get the logout', async () => {
  // Each SSO reads the session's TGT and writes it back with one more service. The Worker
  // runs a cookie-bearing /login inside the session's Durable Object, where the read and
  // the write have no await between them: no SSO can extend an old copy and drop
  // another's service (which would silently skip that service's single logout).
  const svc = await httpServer();
  try {
    const b = new Browser();
    await loginForTicket(b, `${svc.url}/app/first`);
    const paths = Array.from({ length: 12 }, (_, i) => `/app/${i}`);
    const tickets = await Promise.all(paths.map((p) => ssoTicket(b, `${svc.url}${p}`)));
    assert.equal(new Set(tickets).size, 12, 'twelve distinct service tickets');
    assert.equal((await b.get('/logout')).status, 200);
    const posted = () => new Set(svc.requests.filter((r) => r.method === 'POST').map((r) => r.url));
    assert.ok(await eventually(() => posted().size >= 13, 15000), `logouts for: ${[...posted()].join(' ')}`);
    for (const p of ['/app/first', ...paths]) assert.ok(posted().has(p), `single logout to ${p}`);
  } finally {
    await svc.close();
  }
});

test('a session that ends unseen (idle timeout, found by the Durable Object alarm) sends its single logout 2.3.3', async () => {
  // §2.3.3: "SLO requests MAY also be initiated by the CAS Server upon TGT idle timeout."
  // The alarm ends the session through the engine's one path, like a request that finds
  // it expired: single logout (and accounting STOP when TACACS+ accounts it).
  const config = JSON.parse(readFileSync(join(TMP, 'config.json'), 'utf8'));
  config.engine.tickets = { ...config.engine.tickets, ticketGranting: { hardSeconds: 60, idleSeconds: 2 } };
  const w = await startWrangler({ vars: { CASPLUS_CONFIG: JSON.stringify(config) }, workers: 'cas' });
  const svc = await httpServer();
  try {
    const service = `${svc.url}/app/unseen`;
    const b = new Browser();
    const form = await b.fetch(`${w.origin}/cas/login?${q({ service })}`);
    const lt = (await form.text()).match(/name="lt" value="(LT-[A-Za-z0-9-]+)"/)[1];
    const res = await b.fetch(`${w.origin}/cas/login?${q({ service })}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: q({ username: 'casuser', password: 'Mellon', lt, service }),
    });
    assert.equal(res.status, 303);
    const st = new URL(res.headers.get('location')).searchParams.get('ticket');
    // No request names the session again: only the alarm can end it.
    const post = () => svc.requests.find((r) => r.method === 'POST');
    assert.ok(await eventually(post, 30000), `the single logout arrives:\n${w.log().slice(-2000)}`);
    const xml = new URLSearchParams(post().body).get('logoutRequest');
    assert.ok(xml.includes(`<samlp:SessionIndex>${st}</samlp:SessionIndex>`), xml);
    // The session is gone: its cookie gets the login form.
    const again = await b.fetch(`${w.origin}/cas/login?${q({ service })}`);
    assert.equal(again.status, 200);
    assert.match(await again.text(), /name="lt"/);
  } finally {
    await svc.close();
    await w.stop();
  }
});
