// casplus/client (issue 17) against an independent CAS server: django-cas-server from PyPI
// (pinned in tests/tools/setup.sh e2e, in .venv), started here on a free loopback port with
// SQLite, Django's own server and the e2e test CA for proxy callbacks. The same suite as
// against the casplus Worker (tests/e2e/client-suite.mjs); django-cas-server has no CAS 3.0
// JSON, so the second app validates with XML too.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TMP, freePort, stopGroup, eventually } from './lib.mjs';
import { clientSuite } from './client-suite.mjs';

const root = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const python = join(root, '.venv/bin/python');
assert.ok(existsSync(python), 'no .venv: run tests/tools/setup.sh e2e');
execFileSync(python, ['-c', 'import cas_server'], { stdio: 'inherit' }); // fails loudly when missing

const dir = join(TMP, 'djcas');
// The project (settings, SQLite, casuser, a loopback pattern with single logout) is made by
// the same script as the benchmark's; proxy callbacks are verified against the e2e test CA.
execFileSync(python, [join(root, 'tests/tools/django_cas_project.py'), dir,
  '--proxy-ca', join(TMP, 'ca.pem'), '--single-logout'], { stdio: 'inherit' });
const env = { ...process.env, PYTHONPATH: dir, DJANGO_SETTINGS_MODULE: 'casproject.settings' };

const port = await freePort();
const child = spawn(python, ['-m', 'django', 'runserver', '--noreload', '--nothreading', `127.0.0.1:${port}`], {
  env, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
child.stderr.on('data', (d) => { log += d; });
after(() => stopGroup(child));
const BASE = `http://127.0.0.1:${port}/cas`;
assert.ok(await eventually(async () => (await fetch(`${BASE}/login`).catch(() => null))?.status === 200, 30000), `django-cas-server did not start:\n${log}`);

/** The hidden and visible inputs of django-cas-server's login form. */
function formInputs(html) {
  const out = {};
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const name = m[0].match(/\bname="([^"]*)"/)?.[1];
    const value = m[0].match(/\bvalue="([^"]*)"/)?.[1] ?? '';
    if (name) out[name] = value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  }
  return out;
}

await clientSuite({
  name: 'django-cas-server',
  BASE,
  json: false,
  async login(browser, service, query = {}) {
    const url = `${BASE}/login?${new URLSearchParams({ service, ...query })}`;
    const form = await browser.get(url);
    assert.equal(form.status, 200, 'login form');
    const fields = { ...formInputs(await form.text()), username: 'casuser', password: 'Mellon' };
    const res = await browser.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: url },
      body: new URLSearchParams(fields).toString(),
    });
    assert.equal(res.status, 302, `login POST: ${res.status}`);
    return res.headers.get('location');
  },
  attributes: { email: ['casuser@example.org'], first_name: ['CAS'] },
});
