// No TGT rewrite outside the session's object (issue 15, README "Consistency model"):
// the requests that read a session's TGT and write it back — SSO, logout, the warn
// confirmation (2.2.1), the grant of a PGT after its callback (2.5.4, noted in the TGT so
// that logout revokes it, 3.3.1) and /proxy (2.7, whose target is recorded for single
// logout, 2.3.3) — all run in the session's Durable Object, where the read and the write
// are one step. Raced here: a request that extended an old copy of the TGT would drop a
// service from the single-logout list (2.3.3) or a PGT from the logout's revocations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, q, loginForTicket, loginTicket, ssoTicket, validate, xmlText, failureCode, httpServer, httpsServer, eventually,
} from './lib.mjs';

const app = await httpServer();
const pgts = new Map(); // pgtIou → pgtId, as a client's callback keeps them
// The callback holds its answers until the test releases them: then every grant of a PGT
// (after its callback's 200) happens at the same moment as the SSOs (and logout) it races.
let held = [];
const callback = await httpsServer((req, res) => {
  const u = new URL(req.url, 'https://x');
  const iou = u.searchParams.get('pgtIou');
  const id = u.searchParams.get('pgtId');
  if (iou && id) pgts.set(iou, id);
  held.push(() => res.end('ok'));
});
/** Waits until `n` callbacks are held, then answers them all. */
async function releaseCallbacks(n) {
  assert.ok(await eventually(() => held.length >= n, 20000), `${held.length} of ${n} callbacks arrived`);
  const answers = held;
  held = [];
  for (const answer of answers) answer();
}
const PGT_URL = `${callback.url}/callback`;
const N = 12; // validations with pgtUrl per race
const slo = () => new Set(app.requests.filter((r) => r.method === 'POST').map((r) => r.url));

/** Validates `ticket` for `service` with a pgtUrl; the PGT the callback received, or null. */
async function validateWithPgt(service, ticket) {
  const { body } = await validate('/serviceValidate', { service, ticket, pgtUrl: PGT_URL });
  const iou = xmlText(body, 'proxyGrantingTicket');
  if (!iou) return { body, pgt: null };
  const pgt = pgts.get(iou);
  assert.match(pgt ?? '', /^PGT-/, 'the callback got the PGT of the PGTIOU');
  return { body, pgt };
}

/**
 * After logout: the PGT is dead (3.3.1), and because the logout revoked it, not merely
 * because its session is gone: a PGT whose note in the TGT was lost survives the logout
 * and is refused only when its TGT is found missing ("… session … has ended").
 */
async function assertRevoked(pgt) {
  const { body } = await validate('/proxy', { pgt, targetService: `${app.url}/backend` });
  assert.equal(failureCode(body), 'INVALID_TICKET', `PGT still works after logout: ${body}`);
  assert.match(body, /proxyFailure code="INVALID_TICKET">\s*proxy-granting ticket not recognized/, `the logout did not revoke ${pgt}: ${body}`);
}

/**
 * SSOs of `b` in `lanes` parallel lanes, each one after the other, until `until` settles:
 * they overlap the whole race. Resolves to the paths that got a ticket (302) and the
 * ones that got the form (the session had ended).
 */
async function ssoLanes(b, prefix, until, lanes = 16) {
  let done = false;
  until.finally(() => { done = true; });
  const issued = [];
  const refused = [];
  const lane = async (l) => {
    for (let i = 0; !done || i < 2; i++) {
      const path = `${prefix}/s${l}-${i}`;
      const res = await b.get(`/login?${q({ service: `${app.url}${path}` })}`);
      (res.status === 302 ? issued : refused).push(path);
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, l) => lane(l)));
  return { issued, refused };
}

test('12 validations with pgtUrl race SSOs of one session: logout reaches every service and revokes every PGT (2.3.3, 3.3.1)', async () => {
  const b = new Browser();
  await loginForTicket(b, `${app.url}/app/r1/first`);
  const validated = [];
  for (let i = 0; i < N; i++) {
    const path = `/app/r1/v${i}`;
    validated.push([path, await ssoTicket(b, `${app.url}${path}`)]);
  }
  const validations = Promise.all(validated.map(([p, st]) => validateWithPgt(`${app.url}${p}`, st)));
  const ssos = ssoLanes(b, '/app/r1', validations);
  await releaseCallbacks(N);
  const [grants, { issued, refused }] = await Promise.all([validations, ssos]);
  assert.deepEqual(refused, [], 'the session lives throughout');
  for (const g of grants) assert.ok(g.pgt, `every validation got its PGT: ${g.body}`);
  assert.equal((await b.get('/logout')).status, 200);
  const expected = ['/app/r1/first', ...validated.map(([p]) => p), ...issued];
  const arrived = await eventually(() => expected.every((p) => slo().has(p)), 20000);
  assert.ok(arrived, `no single logout for: ${expected.filter((p) => !slo().has(p)).join(' ')}`);
  for (const g of grants) await assertRevoked(g.pgt);
});

test('validations with pgtUrl, SSOs and a logout of one session at once: every PGT granted is revoked, every service that got a ticket gets its logout', async () => {
  const b = new Browser();
  await loginForTicket(b, `${app.url}/app/r2/first`);
  const validated = [];
  for (let i = 0; i < 12; i++) {
    const path = `/app/r2/v${i}`;
    validated.push([path, await ssoTicket(b, `${app.url}${path}`)]);
  }
  const validations = Promise.all(validated.map(([p, st]) => validateWithPgt(`${app.url}${p}`, st)));
  const ssos = ssoLanes(b, '/app/r2', validations);
  await releaseCallbacks(12);
  const [grants, { issued }] = await Promise.all([validations, ssos, b.get('/logout')]);
  for (const g of grants) {
    if (g.pgt) await assertRevoked(g.pgt);
    // A validation that lost the race to the logout has no PGT at all (3.3.1).
    else assert.equal(failureCode(g.body), 'INVALID_TICKET', g.body);
  }
  // Every service the session issued a ticket to before the logout gets its logout:
  // the ones validated above, and each SSO that got a ticket (302) rather than the form.
  const expected = ['/app/r2/first', ...validated.map(([p]) => p), ...issued];
  const arrived = await eventually(() => expected.every((p) => slo().has(p)), 20000);
  assert.ok(arrived, `no single logout for: ${expected.filter((p) => !slo().has(p)).join(' ')}`);
});

test('24 warn confirmations (2.2.1) of one session at once: logout reaches every service', async () => {
  const b = new Browser();
  await loginForTicket(b, `${app.url}/app/r3/first`, { extra: { warn: 'true' } });
  // With warn, each SSO first shows the confirmation page; its single-use token is posted.
  const pages = [];
  for (let i = 0; i < 24; i++) {
    const service = `${app.url}/app/r3/w${i}`;
    const res = await b.get(`/login?${q({ service })}`);
    assert.equal(res.status, 200, 'the warn page');
    pages.push([service, loginTicket(await res.text())]);
  }
  const results = await Promise.all(pages.map(([service, lt]) => b.post(`/login?${q({ service })}`, { lt, service })));
  for (const r of results) assert.equal(r.status, 303, 'each confirmation issues its ticket');
  assert.equal((await b.get('/logout')).status, 200);
  const expected = ['/app/r3/first', ...pages.map(([s]) => new URL(s).pathname)];
  const arrived = await eventually(() => expected.every((p) => slo().has(p)), 20000);
  assert.ok(arrived, `no single logout for: ${expected.filter((p) => !slo().has(p)).join(' ')}`);
});

test.after(async () => { await callback.close(); await app.close(); });
