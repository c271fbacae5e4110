// Configuration that fails early: an invalid CASPLUS_CONFIG is never served half-way, and
// the built-in development configuration is refused off loopback. Each case starts its own
// `wrangler dev` (own process group, fresh state), stopped by process group id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, raw, startWrangler } from './lib.mjs';

/** The log lines of `event` (the Worker logs one JSON object per line). */
function logLines(log, event) {
  return log.split('\n').filter((l) => l.includes(`"event":"${event}"`));
}

async function withWrangler(config, fn, { https = false } = {}) {
  const w = await startWrangler({
    vars: config === undefined ? {} : { CASPLUS_CONFIG: config },
    https,
    workers: 'cas', // no TACACS+ here (see startWrangler)
    ready: async (origin) => { await raw(`${origin}/cas/nope`); return true; },
  });
  try {
    await fn(w.origin, w.log);
  } finally {
    await w.stop();
  }
}

test('an invalid CASPLUS_CONFIG: every /cas endpoint answers 503 with the request id only; the reason is logged', async () => {
  const bad = JSON.stringify({ engine: { services: [{ id: 1, name: 'x', service: { regex: '(' } }] } });
  await withWrangler(bad, async (base, log) => {
    for (const path of ['/cas/login', '/cas/serviceValidate?service=x&ticket=ST-1', '/cas/logout']) {
      const res = await fetch(base + path, { redirect: 'manual' });
      assert.equal(res.status, 503, path);
      const html = await res.text();
      assert.match(html, /not configured/);
      assert.match(html, /misconfigured/);
      assert.ok(!/regular expression|CASPLUS_CONFIG/.test(html), `the page names no problem:\n${html}`);
      assert.ok(!/name="lt"/.test(html), 'no login form');
      const id = html.match(/Request id: <code>([0-9A-Za-z-]+)<\/code>/)?.[1];
      assert.ok(id, `the page shows the request id:\n${html}`);
      // The operator finds the reason under that id in the log.
      assert.ok(await eventually(() => logLines(log(), 'config_error').some((l) =>
        l.includes(id) && /regular expression/.test(l)), 3000), log().slice(-3000));
    }
  });
});

test('issue 20 item 11: the 503 page never lists user names, TACACS+ hosts or secret names', async () => {
  const bad = JSON.stringify({
    engine: { services: [{ id: 1, name: 'x', service: { regex: '^http://127\\.0\\.0\\.1:\\d+/app$' } }] },
    users: { 'secret-admin-name': { password: 'not a hash' } },
    tacacs: {
      servers: [{ host: 'tacacs-internal.corp.example', port: 49, key_secret: 'HIDDEN_TACACS_SECRET' }],
      authen: 'pap',
    },
  });
  await withWrangler(bad, async (base, log) => {
    const res = await fetch(`${base}/cas/login`, { redirect: 'manual' });
    assert.equal(res.status, 503);
    const html = await res.text();
    for (const leak of ['secret-admin-name', 'tacacs-internal.corp.example', 'HIDDEN_TACACS_SECRET', 'tacacs.servers']) {
      assert.ok(!html.includes(leak), `${leak} is not on the page:\n${html}`);
    }
    assert.match(html, /Request id: <code>/);
    assert.ok(await eventually(() => logLines(log(), 'config_error').some((l) => l.includes('HIDDEN_TACACS_SECRET')), 3000),
      `the log names it:\n${log().slice(-3000)}`);
  });
});

test('no CASPLUS_CONFIG: the development configuration is served on loopback only', async () => {
  await withWrangler(undefined, async (base, log) => {
    const local = await fetch(`${base}/cas/login`);
    assert.equal(local.status, 200);
    // The same request addressed to a public host name is refused; the log says why.
    const pub = await raw(`${base}/cas/login`, { headers: { Host: 'cas.example.org' } });
    assert.equal(pub.status, 503);
    assert.match(pub.body, /misconfigured/);
    assert.ok(await eventually(() => logLines(log(), 'config_error').some((l) => /only on 127\.0\.0\.1\/localhost/.test(l)), 3000),
      log().slice(-3000));
  });
});

test('over https the ticket-granting cookie is Secure even when the configuration turns Secure off', async () => {
  await withWrangler(undefined, async (base) => {
    const form = await raw(`${base}/cas/login`);
    assert.equal(form.status, 200);
    const lt = form.body.match(/name="lt" value="(LT-[A-Za-z0-9-]+)"/)[1];
    const body = new URLSearchParams({ username: 'casuser', password: 'Mellon', lt }).toString();
    // The form's binding cookie goes back with its POST (csrf.test.mjs).
    const binding = form.headers['set-cookie'].map((c) => c.split(';')[0]).join('; ');
    const res = await raw(`${base}/cas/login`, {
      method: 'POST', body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), Cookie: binding },
    });
    assert.equal(res.status, 200);
    const [cookie] = res.headers['set-cookie'];
    // And a __Host- cookie for the whole host (issue 20 item 10; transport.test.mjs).
    assert.match(cookie, /^__Host-TGC-casplus=TGT-[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure/);
  }, { https: true });
});
