// The soak load (bench/soak.sh starts wrangler): SOAK_USERS concurrent sessions loop over
// a mix of CAS traffic for SOAK_SECONDS — a login with a service, its validation, three SSO
// tickets validated by /serviceValidate, /p3/serviceValidate and /validate, every third
// round a proxy chain (pgtUrl on an https callback → /proxy → /proxyValidate), then logout.
// Every ticket is validated twice at once: exactly one of the two may succeed (§3.1.1).
// Per minute: requests, req/s, p50/p99 latency, 5xx. Exits 1 on any 5xx, any double
// validation or any unexpected answer.
import assert from 'node:assert/strict';
import { BASE, Browser, q, loginTicket, ticketFrom, xmlText, failureCode, httpServer, httpsServer } from '../tests/e2e/lib.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const USERS = Number(process.env.SOAK_USERS ?? 6);

const app = await httpServer(); // receives single-logout POSTs
const APP = `${app.url}/app`;
const BACKEND = `${app.url}/backend`;
const pgts = new Map();
const callback = await httpsServer((req, res) => {
  const u = new URL(req.url, 'https://x');
  const iou = u.searchParams.get('pgtIou');
  const id = u.searchParams.get('pgtId');
  if (iou && id) pgts.set(iou, id);
  res.end('ok');
});

const start = Date.now();
const minutes = []; // { n, lat: [], s5xx }
const totals = { requests: 0, s5xx: 0, doubles: 0, errors: 0, validations: 0, logins: 0, proxies: 0 };
const errors = [];

function record(ms, status) {
  const m = Math.floor((Date.now() - start) / 60000);
  minutes[m] ??= { n: 0, lat: [], s5xx: 0 };
  minutes[m].n += 1;
  minutes[m].lat.push(ms);
  totals.requests += 1;
  if (status >= 500) { minutes[m].s5xx += 1; totals.s5xx += 1; }
}

/** A timed request through `browser` (or a cookie-less fetch). */
async function timed(browser, url, init) {
  const t = performance.now();
  const res = browser ? await browser.fetch(url, init) : await fetch(url, { ...init, redirect: 'manual' });
  const body = await res.text();
  record(performance.now() - t, res.status);
  if (res.status >= 500) throw new Error(`${res.status} from ${new URL(url).pathname}: ${body.slice(0, 200)}`);
  return { res, body };
}

/** Validates `ticket` twice at once; exactly one success. Returns the successful body. */
async function validateOnce(path, params) {
  const url = `${BASE}${path}?${q(params)}`;
  const [a, b] = await Promise.all([timed(null, url), timed(null, url)]);
  totals.validations += 2;
  const ok = [a, b].filter((r) => (path === '/validate' ? r.body.startsWith('yes') : r.body.includes('authenticationSuccess')));
  if (ok.length > 1) { totals.doubles += 1; throw new Error(`double validation of a ticket on ${path}`); }
  assert.equal(ok.length, 1, `one of two validations succeeds on ${path}: ${a.body.slice(0, 200)} | ${b.body.slice(0, 200)}`);
  return ok[0].body;
}

async function round(i) {
  const b = new Browser();
  const form = await timed(b, `${BASE}/login?${q({ service: APP })}`);
  const lt = loginTicket(form.body);
  const post = await timed(b, `${BASE}/login?${q({ service: APP })}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: q({ username: 'casuser', password: 'Mellon', lt, service: APP }),
  });
  assert.equal(post.res.status, 303, `login: ${post.res.status}`);
  totals.logins += 1;
  const st = ticketFrom(post.res.headers.get('location'), APP);
  const proxying = i % 3 === 0;
  const body = await validateOnce('/serviceValidate', { service: APP, ticket: st, ...(proxying ? { pgtUrl: `${callback.url}/callback` } : {}) });
  assert.equal(xmlText(body, 'user'), 'casuser');
  for (const path of ['/serviceValidate', '/p3/serviceValidate', '/validate']) {
    const sso = await timed(b, `${BASE}/login?${q({ service: APP })}`);
    assert.equal(sso.res.status, 302, `SSO: ${sso.res.status}`);
    await validateOnce(path, { service: APP, ticket: ticketFrom(sso.res.headers.get('location'), APP) });
  }
  if (proxying) {
    const pgt = pgts.get(xmlText(body, 'proxyGrantingTicket'));
    assert.match(pgt ?? '', /^PGT-/, 'the callback received the PGT');
    const p = await timed(null, `${BASE}/proxy?${q({ pgt, targetService: BACKEND })}`);
    const pt = xmlText(p.body, 'proxyTicket');
    assert.match(pt ?? '', /^PT-/, p.body);
    const pv = await validateOnce('/proxyValidate', { service: BACKEND, ticket: pt });
    assert.equal(xmlText(pv, 'proxy'), `${callback.url}/callback`);
    totals.proxies += 1;
  }
  const out = await timed(b, `${BASE}/logout`);
  assert.equal(out.res.status, 200);
  const after = await timed(b, `${BASE}/login?${q({ service: APP })}`);
  assert.equal(after.res.status, 200, 'no SSO after logout');
}

async function user(u) {
  for (let i = u; Date.now() - start < SECONDS * 1000; i += USERS) {
    try { await round(i); } catch (e) {
      totals.errors += 1;
      if (errors.length < 10) errors.push(String(e?.message ?? e));
      if (/double validation|^5\d\d /.test(String(e?.message))) break;
    }
  }
}

const ticker = setInterval(() => {
  const m = minutes.at(-1);
  if (m) process.stderr.write(`soak: ${Math.round((Date.now() - start) / 1000)} s, ${totals.requests} requests, ${totals.s5xx} 5xx, ${totals.errors} errors\n`);
}, 30000);
await Promise.all(Array.from({ length: USERS }, (_, u) => user(u)));
clearInterval(ticker);
const elapsed = (Date.now() - start) / 1000;
await app.close();
await callback.close();

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0; };
console.log(`soak: ${SECONDS} s, ${USERS} concurrent sessions, ${elapsed.toFixed(0)} s elapsed`);
console.log('| minute | requests | req/s | p50 ms | p99 ms | 5xx |');
console.log('|---:|---:|---:|---:|---:|---:|');
minutes.forEach((m, i) => {
  const span = Math.min(60, elapsed - i * 60);
  console.log(`| ${i + 1} | ${m.n} | ${(m.n / span).toFixed(0)} | ${pct(m.lat, 0.5).toFixed(1)} | ${pct(m.lat, 0.99).toFixed(1)} | ${m.s5xx} |`);
});
const all = minutes.flatMap((m) => m.lat);
console.log(`| all | ${totals.requests} | ${(totals.requests / elapsed).toFixed(0)} | ${pct(all, 0.5).toFixed(1)} | ${pct(all, 0.99).toFixed(1)} | ${totals.s5xx} |`);
console.log(`logins ${totals.logins}, validations ${totals.validations} (each ticket twice at once), proxy chains ${totals.proxies}, double validations ${totals.doubles}, other errors ${totals.errors}`);
for (const e of errors) console.log(`error: ${e}`);
if (totals.s5xx || totals.doubles || totals.errors) { console.log('soak: FAILED'); process.exit(1); }
console.log('soak: OK');
