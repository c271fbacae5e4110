// Login CSRF (issue 15 part 1, docs/security.md): each login form (CAS 3.0 §2.2,
// the login ticket of §3.5) is bound to the browser that asked for it by a binding cookie,
// and a login POST from another browser, without the cookie, or from another site is
// refused — with a fresh form bound to this browser, a message, a `login_csrf_refused`
// audit event, no password check (counted in the audit log, as security.test.mjs does)
// and no throttling of the real user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORIGIN, TMP, Browser, q, loginTicket, httpServer, eventually } from './lib.mjs';

const app = await httpServer();
const APP = `${app.url}/app`;
const LOGIN = `/login?${q({ service: APP })}`;
const BINDING = 'LOGIN-casplus';
const MESSAGE = 'did not come from a form opened in this browser';

/** Every JSON object wrangler printed (as audit.test.mjs reads them). */
function auditLines() {
  return readFileSync(join(TMP, 'wrangler.log'), 'utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n').flatMap((l) => {
    const i = l.indexOf('{"');
    if (i < 0) return [];
    try { return [JSON.parse(l.slice(i, l.lastIndexOf('}') + 1))]; } catch { return []; }
  });
}

/** A user name no other test uses: its audit lines are this case's alone. */
const unique = (label) => `csrf-${label}-${process.pid}-${Date.now()}`;

/** A fresh login form in `browser`; its login ticket. */
async function form(browser) {
  const res = await browser.get(LOGIN);
  assert.equal(res.status, 200);
  return loginTicket(await res.text());
}

/** The credentials POST body for `lt`. */
const credentials = (lt, username, password = 'Mellon') => ({ username, password, lt, service: APP });

/**
 * Checks a refused POST: 403, the fresh form with the message and a new login ticket, no
 * password echoed, no TGC; one `login_csrf_refused` event with `reason` for `username`
 * and no password check for it (no `login_failure`, no `login_success`). Returns the page.
 */
async function refused(res, { username, password, reason, stale }) {
  assert.equal(res.status, 403);
  const html = await res.text();
  assert.ok(html.includes(MESSAGE), html.slice(0, 600));
  const fresh = loginTicket(html);
  assert.notEqual(fresh, stale, 'a fresh login ticket');
  assert.ok(!html.includes(password), 'no password echoed');
  assert.ok(!html.includes(`value="${username}"`), 'nothing of the refused POST is echoed');
  assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith('TGC-casplus=')), 'no TGC');
  // The events of one request are printed together: once the refusal is there, a password
  // check of the same request would be there too.
  const mine = (e) => e.username === username;
  assert.ok(await eventually(() => auditLines().some((e) => e.event === 'login_csrf_refused' && mine(e)), 8000),
    'a login_csrf_refused event');
  const events = auditLines().filter(mine);
  assert.deepEqual(events.map((e) => [e.event, e.reason]), [['login_csrf_refused', reason]]);
  assert.equal(events[0].service, APP);
  assert.ok(events[0].request_id && events[0].time);
  assert.ok(!JSON.stringify(events).includes(password), 'no password in the log');
  return { html, fresh };
}

test('the legitimate flow: the form sets a binding cookie, the same browser logs in (also from its own origin)', async () => {
  const b = new Browser();
  const res = await b.get(LOGIN);
  const [binding] = res.headers.getSetCookie();
  assert.match(binding, new RegExp(`^${BINDING}=[0-9a-f]{32}; Path=/cas; HttpOnly; SameSite=Lax$`));
  const lt = loginTicket(await res.text());
  // A second tab: the cookie is kept, and both forms work.
  const second = await b.get(LOGIN);
  assert.deepEqual(second.headers.getSetCookie(), [], 'the binding is reused');
  const lt2 = loginTicket(await second.text());
  const login = await b.post(LOGIN, credentials(lt, 'casuser'),
    { headers: { Origin: ORIGIN, 'Sec-Fetch-Site': 'same-origin' } });
  assert.equal(login.status, 303, 'a POST from the CAS server\'s own page');
  assert.ok(login.headers.get('location').startsWith(`${APP}?ticket=ST-`));
  const c = new Browser();
  c.cookies.set(BINDING, b.cookies.get(BINDING));
  const again = await c.post(LOGIN, credentials(lt2, 'casuser'));
  assert.equal(again.status, 303, 'a client without Origin or fetch metadata: the binding decides');
});

test('a login ticket from another browser (another cookie jar) is refused', async () => {
  const attacker = new Browser();
  const lt = await form(attacker);
  const victim = new Browser();
  await form(victim);
  const before = victim.cookies.get(BINDING).value;
  const username = unique('mismatch');
  const res = await victim.post(LOGIN, credentials(lt, username));
  const { fresh } = await refused(res, { username, password: 'Mellon', reason: 'binding_mismatch', stale: lt });
  assert.equal(victim.cookies.get(BINDING).value, before, 'the victim keeps its binding');
  // The fresh form is the victim's own: it works there.
  const ok = await victim.post(LOGIN, credentials(fresh, 'casuser'));
  assert.equal(ok.status, 303);
  assert.ok(victim.tgc());
});

test('a login ticket without its binding cookie is refused, and the fresh form brings one', async () => {
  const lt = await form(new Browser());
  const username = unique('missing');
  const bare = new Browser();
  const res = await bare.post(LOGIN, credentials(lt, username));
  assert.match(res.headers.getSetCookie().join('\n'), new RegExp(`^${BINDING}=[0-9a-f]{32}; `));
  const { fresh } = await refused(res, { username, password: 'Mellon', reason: 'missing_binding', stale: lt });
  const ok = await bare.post(LOGIN, credentials(fresh, 'casuser'));
  assert.equal(ok.status, 303);
});

test('cross-site POSTs are refused by Sec-Fetch-Site and by a foreign Origin, before the login ticket is used', async () => {
  const b = new Browser();
  const lt = await form(b);
  const cross = unique('cross');
  await refused(await b.post(LOGIN, credentials(lt, cross), { headers: { 'Sec-Fetch-Site': 'cross-site', Origin: ORIGIN } }),
    { username: cross, password: 'Mellon', reason: 'cross_site', stale: lt });
  const foreign = unique('origin');
  await refused(await b.post(LOGIN, credentials(lt, foreign), { headers: { Origin: 'https://evil.example' } }),
    { username: foreign, password: 'Mellon', reason: 'foreign_origin', stale: lt });
  const opaque = unique('null');
  await refused(await b.post(LOGIN, credentials(lt, opaque), { headers: { Origin: 'null' } }),
    { username: opaque, password: 'Mellon', reason: 'foreign_origin', stale: lt });
  // Not even read: the same login ticket still works from the CAS server's own page.
  const ok = await b.post(LOGIN, credentials(lt, 'casuser'), { headers: { Origin: ORIGIN, 'Sec-Fetch-Site': 'same-origin' } });
  assert.equal(ok.status, 303);
});

test('refused POSTs count nothing against the real user\'s throttling', async () => {
  // maxFailuresPerUser is 3 (make-config.mjs): five forged wrong-password POSTs for one
  // user, then that user's own first attempt is still checked (401, not 429).
  const username = unique('throttle');
  const headers = { 'CF-Connecting-IP': '198.18.7.7' };
  const attacker = new Browser();
  const victim = new Browser();
  await victim.get(LOGIN, { headers });
  for (let i = 0; i < 5; i++) {
    const lt = await form(attacker);
    const res = await victim.post(LOGIN, credentials(lt, username, 'wrong-guess'), { headers });
    assert.equal(res.status, 403);
  }
  assert.ok(await eventually(() => auditLines().filter((e) => e.event === 'login_csrf_refused' && e.username === username).length === 5, 8000));
  const own = await victim.get(LOGIN, { headers });
  const res = await victim.post(LOGIN, credentials(loginTicket(await own.text()), username, 'wrong-guess'), { headers });
  assert.equal(res.status, 401, 'checked, not locked');
  assert.ok(await eventually(() => auditLines().some((e) => e.event === 'login_failure' && e.username === username && e.reason === 'invalid_credentials'), 8000));
  assert.equal(auditLines().filter((e) => e.username === username && e.event === 'lockout').length, 0);
});

test.after(() => app.close());
