// A real CAS client: Debian php-cas (phpCAS) protecting a PHP application under `php -S`,
// driven browser-less over HTTP with cookie jars: redirect to the Worker's login, login,
// ticket validation by phpCAS, the application's session, and single logout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, TMP, Browser, loginTicket, sleep, eventually, freePort } from './lib.mjs';

const ROOT = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');

const port = await freePort();
const sessions = join(TMP, 'php-sessions');
mkdirSync(sessions, { recursive: true });
const php = spawn('php', ['-d', `session.save_path=${sessions}`, '-d', 'display_errors=stderr',
  '-S', `127.0.0.1:${port}`, join(ROOT, 'tests/e2e/php/index.php')], {
  env: { ...process.env, CAS_BASE: BASE }, stdio: ['ignore', 'ignore', 'pipe'],
});
let phpLog = '';
php.stderr.on('data', (d) => { phpLog += d; });
const PHP = `http://127.0.0.1:${port}`;
assert.ok(await eventually(async () => {
  try { await fetch(`${PHP}/php/v1/`, { redirect: 'manual' }); return true; } catch { return false; }
}, 10000), 'php -S starts');

/** The whole browser dance: app → CAS login → app with ticket → app session. */
async function phpLogin(version, cas = new Browser()) {
  const app = new Browser();
  const start = `${PHP}/php/${version}/page`;
  const first = await app.fetch(start);
  assert.equal(first.status, 302, `phpCAS redirects to CAS (${phpLog})`);
  const login = first.headers.get('location');
  assert.ok(login.startsWith(`${BASE}/login?service=`), login);
  let res = await cas.fetch(login);
  if (res.status === 200) {
    const lt = loginTicket(await res.text());
    const service = new URL(login).searchParams.get('service');
    res = await cas.post(`/login?${new URL(login).searchParams}`, { username: 'casuser', password: 'Mellon', lt, service });
    assert.equal(res.status, 303);
  } else {
    assert.equal(res.status, 302, 'SSO');
  }
  const back = res.headers.get('location');
  assert.ok(back.startsWith(`${PHP}/php/${version}/page?ticket=ST-`), back);
  const validated = await app.fetch(back);
  assert.equal(validated.status, 302, `phpCAS validates and drops the ticket from the URL (${phpLog.slice(-500)})`);
  assert.equal(validated.headers.get('location'), start);
  const page = await app.fetch(start);
  assert.equal(page.status, 200);
  const text = await page.text();
  let body;
  try { body = JSON.parse(text); } catch { assert.fail(`the application page is not JSON:\n${text}`); }
  return { app, cas, start, body, ticket: new URL(back).searchParams.get('ticket') };
}

test('phpCAS CAS 1.0 client: login through the Worker, /validate', async () => {
  const { body } = await phpLogin('v1');
  assert.equal(body.user, 'casuser');
});

test('phpCAS CAS 2.0 client: /serviceValidate', async () => {
  const { body } = await phpLogin('v2');
  assert.equal(body.user, 'casuser');
});

test('phpCAS CAS 3.0 client: /p3/serviceValidate with attributes', async () => {
  const { body } = await phpLogin('v3');
  assert.equal(body.user, 'casuser');
  assert.equal(body.attributes.email, 'casuser@example.org');
  assert.equal(body.attributes.displayName, 'CAS User');
  assert.deepEqual(body.attributes.memberOf, ['staff', 'developers']);
});

test('phpCAS SAML 1.1 client: /samlValidate', async () => {
  const { body } = await phpLogin('saml');
  assert.equal(body.user, 'casuser');
});

test('phpCAS SSO across two phpCAS apps, then single logout ends the phpCAS session', async () => {
  const first = await phpLogin('v3');
  const second = await phpLogin('v2', first.cas); // SSO: no password the second time
  assert.equal(second.body.user, 'casuser');
  const out = await first.cas.get('/logout');
  assert.equal(out.status, 200);
  // phpCAS receives the logoutRequest and destroys the sessions of both tickets.
  assert.ok(await eventually(async () => {
    const r = await first.app.fetch(first.start);
    return r.status === 302;
  }, 10000), 'the v3 application session is gone');
  // The single-logout POSTs go out one after the other.
  let r2;
  assert.ok(await eventually(async () => {
    r2 = await second.app.fetch(second.start);
    return r2.status === 302;
  }, 10000), 'the v2 application session is gone');
  assert.ok(r2.headers.get('location').startsWith(`${BASE}/login`));
});

test.after(async () => {
  php.kill('SIGTERM');
  await sleep(100);
});
