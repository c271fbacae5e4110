// Helpers for the end-to-end tests: a browser-like client (cookie jar, no automatic
// redirects), login, ticket extraction, small XML readers and throwaway HTTP(S) servers.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';

export const BASE = process.env.CAS_BASE ?? assert.fail('CAS_BASE is not set: run tests/e2e/run.sh');
export const TMP = process.env.E2E_TMP ?? assert.fail('E2E_TMP is not set');
export const ORIGIN = new URL(BASE).origin;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A browser: keeps cookies (name → {value, attributes}), never follows redirects. */
export class Browser {
  constructor() { this.cookies = new Map(); this.setCookieHeaders = []; }
  cookieHeader() {
    return [...this.cookies].map(([n, c]) => `${n}=${c.value}`).join('; ');
  }
  async fetch(url, init = {}) {
    const headers = new Headers(init.headers ?? {});
    const c = this.cookieHeader();
    if (c) headers.set('Cookie', c);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const sc of res.headers.getSetCookie()) {
      this.setCookieHeaders.push(sc);
      const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      const maxAge = attrs.find((a) => /^max-age=/i.test(a));
      if (value === '' || (maxAge && Number(maxAge.split('=')[1]) <= 0)) this.cookies.delete(name);
      else this.cookies.set(name, { value, attrs });
    }
    return res;
  }
  get(path, init = {}) { return this.fetch(abs(path), init); }
  post(path, form, init = {}) {
    return this.fetch(abs(path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(init.headers ?? {}) },
      body: new URLSearchParams(form).toString(),
    });
  }
  tgc() { return this.cookies.get('TGC-casplus')?.value; }
}

export const abs = (path) => (path.startsWith('http') ? path : BASE + path);
export const q = (params) => new URLSearchParams(params).toString();

/** The hidden `lt` of a login or warn page. */
export function loginTicket(html) {
  const m = html.match(/name="lt" value="(LT-[A-Za-z0-9-]+)"/);
  assert.ok(m, `no login ticket in page:\n${html.slice(0, 400)}`);
  return m[1];
}

/** GET the login form for `service`, POST the credentials; returns the POST response. */
export async function submitLogin(browser, { service, username = 'casuser', password = 'Mellon', extra = {}, query = {} } = {}) {
  const params = { ...(service ? { service } : {}), ...query };
  const form = await browser.get(`/login?${q(params)}`);
  assert.equal(form.status, 200, 'login form');
  const lt = loginTicket(await form.text());
  return browser.post(`/login?${q(params)}`, {
    username, password, lt, ...(service ? { service } : {}), ...extra,
  });
}

/** Logs in and returns the service ticket from the 303 redirect. */
export async function loginForTicket(browser, service, opts = {}) {
  const res = await submitLogin(browser, { service, ...opts });
  assert.equal(res.status, 303, `login should redirect with 303, got ${res.status}`);
  return ticketFrom(res.headers.get('location'), service);
}

/** The `ticket` parameter of a redirect to `service`. */
export function ticketFrom(location, service) {
  assert.ok(location, 'a Location header');
  assert.ok(location.startsWith(service), `redirect ${location} goes to ${service}`);
  const t = new URL(location).searchParams.get('ticket');
  assert.match(t ?? '', /^ST-[A-Za-z0-9-]+$/);
  return t;
}

/** SSO: a ticket for `service` with the browser's TGC (302). */
export async function ssoTicket(browser, service) {
  const res = await browser.get(`/login?${q({ service })}`);
  assert.equal(res.status, 302, 'SSO redirect');
  return ticketFrom(res.headers.get('location'), service);
}

export async function validate(path, params) {
  const res = await fetch(`${BASE}${path}?${q(params)}`, { redirect: 'manual' });
  return { res, body: await res.text() };
}

/** `<cas:name>` text (first) in a CAS XML response, entities decoded. */
export function xmlText(xml, name) {
  const m = xml.match(new RegExp(`<cas:${name}>([^<]*)</cas:${name}>`));
  return m ? decode(m[1]) : undefined;
}
export function xmlAll(xml, name) {
  return [...xml.matchAll(new RegExp(`<cas:${name}>([^<]*)</cas:${name}>`, 'g'))].map((m) => decode(m[1]));
}
export function failureCode(xml) {
  return xml.match(/<cas:(?:authentication|proxy)Failure code="([A-Z_]+)"/)?.[1];
}
export function decode(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** A plain HTTP server on a free loopback port recording requests. */
export async function httpServer(handler = (req, res, body) => res.end('ok')) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, requests, close: () => new Promise((r) => server.close(r)) };
}

/** An HTTPS server on a free loopback port with the test CA's certificate
 * (`trusted`) or a self-signed one. */
export async function httpsServer(handler, { trusted = true } = {}) {
  const name = trusted ? 'server' : 'untrusted';
  const requests = [];
  const server = createHttpsServer({
    key: readFileSync(join(TMP, `${name}.key`)),
    cert: readFileSync(join(TMP, `${name}.pem`)),
  }, (req, res) => {
    requests.push({ method: req.method, url: req.url });
    handler(req, res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${server.address().port}`;
  return { url, requests, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

/** Waits until `cond()` holds (polling), up to `ms`. */
export async function eventually(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(50);
  }
  return false;
}

// ----- wrangler dev for the files that need their own configuration --------------------

/** A request with full control of headers (Host) over http or https (wrangler's
 * self-signed certificate accepted). */
export function raw(url, { method = 'GET', headers = {}, body } = {}) {
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

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  const s = createNetServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Ends a process group started with `detached: true` (SIGTERM, SIGKILL after 3 s). */
export function stopGroup(child) {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    try { process.kill(-child.pid, 'SIGTERM'); } catch { clearTimeout(t); resolve(); }
  });
}

/**
 * `wrangler dev` with both Workers — the CAS Worker and its TACACS+ gateway (service
 * binding AAA, docs/tacacs.md "TACACS+ gateway") — on a free loopback port, with fresh state, in
 * its own process group. `vars`: `--var NAME:VALUE` for the CAS Worker. Resolves once
 * `ready(origin)` holds (default: any answer at all), else fails with wrangler's output.
 * Returns `{ child, origin, log(), stop() }`. `workers: 'cas'` serves the CAS Worker
 * alone (wrangler 4.86's multi-Worker dev sometimes hands the first Worker an http:// URL
 * under `--local-protocol https`, seen 1 run in 3, which the https test cannot have);
 * `workers: 'gateway'` the gateway alone; `workers: 'demo'` the demo application of make dev
 * (worker/demo-app, `vars` for it).
 */
export async function startWrangler({ vars = {}, https = false, env = {}, ready, workers = 'both' } = {}) {
  const root = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
  const configs = {
    both: ['-c', 'wrangler.toml', '-c', 'worker/aaa/wrangler.toml'],
    cas: ['-c', 'wrangler.toml'],
    gateway: ['-c', 'worker/aaa/wrangler.toml'],
    demo: ['-c', 'worker/demo-app/wrangler.toml'],
  }[workers] ?? assert.fail(`workers: ${workers}`);
  const args = ['dev', ...configs,
    // Port 0: the runtime binds a free port itself and names it ("Ready on …"). A port
    // picked beforehand and freed again could be taken by another process before wrangler
    // binds it (seen once in CI: "Address already in use").
    '--ip', '127.0.0.1', '--port', '0', '--persist-to', mkdtempSync(join(TMP, 'state-'))];
  for (const [name, value] of Object.entries(vars)) args.push('--var', `${name}:${value}`);
  if (https) args.push('--local-protocol', 'https');
  let log = '';
  const child = spawn(join(root, 'node_modules/.bin/wrangler'), args, {
    cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true', ...env },
  });
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  // The scheme is the one asked for: the line may say http:// under https (see above).
  const bound = () => log.match(/Ready on https?:\/\/127\.0\.0\.1:(\d+)/)?.[1];
  let origin = null;
  const probe = ready ?? (async (o) => { await fetch(`${o}/cas/nope`); return true; });
  const ok = await eventually(async () => {
    if (!origin && bound()) origin = `${https ? 'https' : 'http'}://127.0.0.1:${bound()}`;
    if (!origin) return false;
    try { return await probe(origin); } catch { return false; }
  }, 60000);
  const stop = () => stopGroup(child);
  if (!ok) { await stop(); assert.fail(`wrangler starts:\n${log}`); }
  return { child, origin, log: () => log, stop };
}
