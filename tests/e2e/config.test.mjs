// Configuration that fails early: an invalid CASPLUS_CONFIG is never served half-way, and
// the built-in development configuration is refused off loopback. Each case starts its own
// `wrangler dev` (own process group, fresh state), stopped by process group id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TMP, sleep, eventually } from './lib.mjs';

const ROOT = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');

/** A request with full control of headers (Host) over http or https (wrangler's
 * self-signed certificate accepted). */
function raw(url, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, { method, headers, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function withWrangler(config, fn, { https = false } = {}) {
  const port = await freePort();
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', mkdtempSync(join(TMP, 'state-'))];
  if (config !== undefined) args.push('--var', `CASPLUS_CONFIG:${config}`);
  if (https) args.push('--local-protocol', 'https');
  let log = '';
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  try {
    const base = `${https ? 'https' : 'http'}://127.0.0.1:${port}`;
    assert.ok(await eventually(async () => {
      try { await raw(`${base}/cas/nope`); return true; } catch { return false; }
    }, 60000), `wrangler starts:\n${log}`);
    await fn(base, () => log);
  } finally {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    await sleep(300);
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

test('an invalid CASPLUS_CONFIG: every /cas endpoint answers 503 with the reason, and it is logged', async () => {
  const bad = JSON.stringify({ engine: { services: [{ id: 1, name: 'x', service: { regex: '(' } }] } });
  await withWrangler(bad, async (base, log) => {
    for (const path of ['/cas/login', '/cas/serviceValidate?service=x&ticket=ST-1', '/cas/logout']) {
      const res = await fetch(base + path, { redirect: 'manual' });
      assert.equal(res.status, 503, path);
      const html = await res.text();
      assert.match(html, /not configured/);
      assert.match(html, /regular expression/);
      assert.ok(!/name="lt"/.test(html), 'no login form');
    }
    assert.ok(await eventually(() => /config_invalid|config_error/.test(log()), 3000), 'a log line names the problem');
  });
});

test('no CASPLUS_CONFIG: the development configuration is served on loopback only', async () => {
  await withWrangler(undefined, async (base) => {
    const local = await fetch(`${base}/cas/login`);
    assert.equal(local.status, 200);
    // The same request addressed to a public host name is refused.
    const pub = await raw(`${base}/cas/login`, { headers: { Host: 'cas.example.org' } });
    assert.equal(pub.status, 503);
    assert.match(pub.body, /only on 127\.0\.0\.1\/localhost/);
  });
});

test('over https the ticket-granting cookie is Secure even when the configuration turns Secure off', async () => {
  await withWrangler(undefined, async (base) => {
    const form = await raw(`${base}/cas/login`);
    assert.equal(form.status, 200);
    const lt = form.body.match(/name="lt" value="(LT-[A-Za-z0-9-]+)"/)[1];
    const body = new URLSearchParams({ username: 'casuser', password: 'Mellon', lt }).toString();
    const res = await raw(`${base}/cas/login`, {
      method: 'POST', body,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
    });
    assert.equal(res.status, 200);
    const [cookie] = res.headers['set-cookie'];
    assert.match(cookie, /^TGC-casplus=TGT-[^;]+; Path=\/cas; HttpOnly; SameSite=Lax; Secure/);
  }, { https: true });
});
