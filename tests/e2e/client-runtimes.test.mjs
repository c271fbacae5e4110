// casplus/client under Deno and Bun (issue 17): the web build (pkg/client/web.js, the wasm
// core fetched next to it) in an app served by Deno.serve / Bun.serve
// (client-runtime-app.mjs), against the CAS Worker of this run: login (§2.1) → validation
// (§2.8) → principal with attributes, the encrypted session cookie (WebCrypto HKDF and
// AES-GCM in that runtime), a foreign cookie refused, and single logout (§2.3.3) accepted
// from the peer address the runtime reports. Deno and Bun come from the repository's npm dev
// tools (tests/tools/setup.sh npm); a missing one fails the test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, TMP, Browser, submitLogin, eventually, stopGroup } from './lib.mjs';

const root = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const entry = join(root, 'pkg/client/web.js');
assert.ok(existsSync(entry), `${entry} is missing: run make npm first`);

const runtimes = {
  deno: (app) => [join(root, 'node_modules/.bin/deno'), ['run', '--allow-net=127.0.0.1', `--allow-read=${join(root, 'pkg')}`, '--no-prompt', app, entry, BASE]],
  bun: (app) => [join(root, 'node_modules/.bin/bun'), ['run', app, entry, BASE]],
};

/** Starts the app under `runtime`; resolves to its origin once it prints that it listens. */
async function start(runtime) {
  const [bin, args] = runtimes[runtime](join(root, 'tests/e2e/client-runtime-app.mjs'));
  assert.ok(existsSync(bin), `${bin} is missing: run tests/tools/setup.sh npm`);
  const child = spawn(bin, args, {
    detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DENO_DIR: mkdtempSync(join(TMP, 'deno-')), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  });
  after(() => stopGroup(child));
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => reject(new Error(`${runtime} exited with ${code}:\n${out}`)));
  });
}

for (const runtime of Object.keys(runtimes)) {
  test(`casplus/client under ${runtime}: login → validation → principal, encrypted cookie, single logout`, async () => {
    const origin = await start(runtime);
    const app = `${origin}/app`;
    const b = new Browser();
    const first = await b.get(`${app}/page?x=1`);
    assert.equal(first.status, 302);
    const to = new URL(first.headers.get('location'));
    assert.equal(to.origin + to.pathname, `${BASE}/login`);
    assert.equal(to.searchParams.get('service'), `${app}/page?x=1`);
    const res = await submitLogin(b, { service: `${app}/page?x=1` });
    assert.equal(res.status, 303);
    const back = await b.get(res.headers.get('location'));
    assert.equal(back.status, 302, `validation: ${back.status} ${await back.clone().text()}`);
    assert.equal(back.headers.get('location'), `${app}/page?x=1`);
    const page = await b.get(`${app}/page?x=1`);
    assert.equal(page.status, 200);
    const body = await page.json();
    assert.match(body.runtime, new RegExp(`^${runtime} `));
    assert.equal(body.principal.user, 'casuser');
    assert.deepEqual(body.principal.attributes.email, ['casuser@example.org']);
    assert.deepEqual(body.principal.attributes.memberOf, ['staff', 'developers']);
    // The cookie under another name or altered does not open.
    const value = b.cookies.get('casplus_session').value;
    const tampered = new Browser();
    tampered.cookies.set('casplus_session', { value: value.slice(0, -2) + (value.endsWith('AA') ? 'BA' : 'AA') });
    assert.equal((await tampered.get(`${app}/`)).status, 302);
    // Logging out at CAS: its logoutRequest (from 127.0.0.1, the peer the runtime reports)
    // ends the session.
    assert.equal((await b.get(`${BASE}/logout`)).status, 200);
    assert.ok(await eventually(async () => (await b.get(`${app}/`)).status === 302, 10000), 'single logout ended the session');
  });
}
