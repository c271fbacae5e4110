// A real CAS client: PyPI django-cas-ng (CAS 3.0) protecting a Django application under
// Django's development server, driven browser-less with cookie jars: login, attributes,
// SSO, and single logout that ends the Django session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BASE, TMP, Browser, loginTicket, sleep, eventually, freePort } from './lib.mjs';

const ROOT = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');

const port = await freePort();
const DJ = `http://127.0.0.1:${port}`;
let djLog = '';
const dj = spawn(join(ROOT, '.venv/bin/python'), [join(ROOT, 'tests/e2e/django_cas_app.py'), String(port), BASE, join(TMP, 'django.sqlite3')], {
  stdio: ['ignore', 'pipe', 'pipe'], detached: true,
});
dj.stdout.on('data', (d) => { djLog += d; });
dj.stderr.on('data', (d) => { djLog += d; });
assert.ok(await eventually(async () => {
  try { await fetch(`${DJ}/django/whoami`, { redirect: 'manual' }); return true; } catch { return false; }
}, 30000), 'the Django server starts');

/** app → login_required → django-cas-ng → CAS login → back with a ticket → session. */
async function djangoLogin(cas = new Browser()) {
  const app = new Browser();
  let res = await app.fetch(`${DJ}/django/whoami`);
  assert.equal(res.status, 302);
  res = await app.fetch(new URL(res.headers.get('location'), DJ).href);
  assert.equal(res.status, 302, `django-cas-ng redirects to CAS (${djLog.slice(-400)})`);
  const login = res.headers.get('location');
  assert.ok(login.startsWith(`${BASE}/login?service=`), login);
  const service = new URL(login).searchParams.get('service');
  assert.ok(service.startsWith(`${DJ}/django/accounts/login`), service);
  res = await cas.fetch(login);
  if (res.status === 200) {
    const lt = loginTicket(await res.text());
    res = await cas.post('/login', { username: 'casuser', password: 'Mellon', lt, service });
    assert.equal(res.status, 303);
  } else {
    assert.equal(res.status, 302, 'SSO');
  }
  const back = res.headers.get('location');
  assert.ok(back.startsWith(service), back);
  res = await app.fetch(back);
  assert.equal(res.status, 302, `django-cas-ng validated the ticket (${djLog.slice(-600)})`);
  res = await app.fetch(new URL(res.headers.get('location'), DJ).href);
  assert.equal(res.status, 200);
  return { app, cas, body: await res.json() };
}

test('django-cas-ng (CAS 3.0): login through the Worker, user and attributes in the Django session', async () => {
  const { body } = await djangoLogin();
  assert.equal(body.user, 'casuser');
  assert.equal(body.attributes.email, 'casuser@example.org');
  assert.deepEqual(body.attributes.memberOf, ['staff', 'developers']);
});

test('django-cas-ng: SSO for a second browser session of the app, single logout ends both Django sessions', async () => {
  const first = await djangoLogin();
  const second = await djangoLogin(first.cas);
  assert.equal(second.body.user, 'casuser');
  const out = await first.cas.get('/logout');
  assert.equal(out.status, 200);
  assert.ok(await eventually(async () => (await first.app.fetch(`${DJ}/django/whoami`)).status === 302, 10000),
    `the first Django session is gone (${djLog.slice(-600)})`);
  assert.ok(await eventually(async () => (await second.app.fetch(`${DJ}/django/whoami`)).status === 302, 10000),
    'the second one too');
});

test.after(async () => {
  try { process.kill(-dj.pid, 'SIGTERM'); } catch { /* gone */ }
  await sleep(200);
});
