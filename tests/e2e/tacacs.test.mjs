// TACACS+ as the CAS authentication source (RFC 8907): CAS logins through the Worker are
// authenticated, authorized and accounted by `casplus tacacs-server` (tests/tacacs/server.json).
// The server runs on an ephemeral loopback port with an accounting JSON Lines file; each
// configuration gets its own `wrangler dev` (own process group, fresh state). Everything is
// stopped by process group id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createConnection, createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Browser, TMP, q, loginTicket, ticketFrom, xmlText, xmlAll, eventually, sleep, freePort, stopGroup as stop, startWrangler as startBoth } from './lib.mjs';

const ROOT = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const BIN = join(ROOT, 'target/debug/casplus');
const KEY = 'tac-test-key'; // tests/tacacs/server.json, client 127.0.0.1/32
const DIR = mkdtempSync(join(TMP, 'tacacs-'));
const ACCT = join(DIR, 'acct.jsonl');

/** `casplus tacacs-server` on a free port; resolves once it printed its address. */
async function startTacacsServer() {
  assert.ok(existsSync(BIN), `${BIN} is missing: run.sh builds it with 'cargo build --bin casplus'`);
  const child = spawn(BIN, ['tacacs-server', '--config', join(ROOT, 'tests/tacacs/server.json'),
    '--listen', '127.0.0.1:0', '--accounting-log', ACCT], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  assert.ok(await eventually(() => /listening on 127\.0\.0\.1:\d+/.test(log) || child.exitCode !== null, 10000),
    `tacacs-server starts:\n${log}`);
  const m = log.match(/listening on 127\.0\.0\.1:(\d+)/);
  assert.ok(m, `tacacs-server failed:\n${log}`);
  return { child, port: Number(m[1]), log: () => log };
}

/** A TCP server that accepts connections and never answers (a hung TACACS+ server). */
async function silentServer() {
  const sockets = new Set();
  const s = createServer((c) => { sockets.add(c); c.on('error', () => {}); c.on('close', () => sockets.delete(c)); });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: s.address().port,
    close: () => new Promise((r) => { for (const c of sockets) c.destroy(); s.close(r); }),
  };
}

const SERVICE_PATH = '/tacapp';
function casConfig(servers) {
  return {
    engine: {
      services: [{
        id: 1, name: 'TACACS+ app',
        service: { regex: String.raw`^http://127\.0\.0\.1:\d+/tacapp([/?#].*)?$` },
        releasedAttributes: ['priv-lvl', 'groups', 'mail'],
        authenticationSource: 'tacacs',
        singleLogout: false,
      }],
      throttle: { maxFailuresPerUser: 1000, maxFailuresPerAddress: 10000, lockoutSeconds: 60 },
      cookie: { secure: false },
    },
    users: {},
    tacacs: {
      servers,
      authen: 'pap',
      authorization: { service: 'casplus', cas_service_arg: 'cas-service' },
      accounting: true,
    },
  };
}

/** `wrangler dev` serving `config` (TACACS_KEY given as a variable, read as a secret) with
 * the TACACS+ gateway Worker beside it. */
async function startWrangler(config, key = KEY, extraEnv = {}) {
  const w = await startBoth({
    vars: { CASPLUS_CONFIG: JSON.stringify(config), TACACS_KEY: key },
    env: extraEnv,
    ready: async (o) => (await fetch(`${o}/cas/login`)).status === 200,
  });
  return { ...w, base: `${w.origin}/cas` };
}

/** GET the form, POST the credentials (absolute URLs on `base`). */
async function login(base, browser, service, username, password) {
  const form = await browser.fetch(`${base}/login?${q({ service })}`);
  assert.equal(form.status, 200, 'login form');
  const lt = loginTicket(await form.text());
  const started = Date.now();
  const res = await browser.fetch(`${base}/login?${q({ service })}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: q({ username, password, lt, service }),
  });
  res.ms = Date.now() - started;
  return res;
}

/** The Worker's JSON log lines with `event` = `name` (wrangler decorates console.error
 * lines with colours and an `[ERROR]` tag). */
function events(log, name) {
  return log.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => {
    const i = l.indexOf('{"');
    if (i < 0) return {};
    try { return JSON.parse(l.slice(i, l.lastIndexOf('}') + 1)); } catch { return {}; }
  }).filter((e) => e.event === name);
}

function acctLines() {
  if (!existsSync(ACCT)) return [];
  return readFileSync(ACCT, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

let tac;
let closedPort;
let main; // wrangler: [closed port, real server]
const SERVICE = 'http://127.0.0.1:9/tacapp';

before(async () => {
  tac = await startTacacsServer();
  closedPort = await freePort();
  main = await startWrangler(casConfig([
    { host: '127.0.0.1', port: closedPort, key_secret: 'TACACS_KEY', timeout_ms: 2000 },
    { host: '127.0.0.1', port: tac.port, key_secret: 'TACACS_KEY', timeout_ms: 3000 },
  ]));
});

after(async () => {
  await stop(main?.child);
  await stop(tac?.child);
});

test('alice: PAP PASS on the second server (first refuses), authorization AV pairs become CAS attributes', async () => {
  const b = new Browser();
  const res = await login(main.base, b, SERVICE, 'alice', 'alice-pw');
  assert.equal(res.status, 303, `login redirects:\n${(await res.text()).slice(0, 300)}\n${main.log().slice(-2000)}`);
  const st = ticketFrom(res.headers.get('location'), SERVICE);
  const v = await fetch(`${main.base}/p3/serviceValidate?${q({ service: SERVICE, ticket: st })}`);
  const xml = await v.text();
  assert.equal(xmlText(xml, 'user'), 'alice', xml);
  assert.deepEqual(xmlAll(xml, 'priv-lvl'), ['15'], xml);
  assert.deepEqual(xmlAll(xml, 'groups'), ['netops'], xml);
  assert.deepEqual(xmlAll(xml, 'mail'), ['alice@example.net'], xml);
  // The failover is in the operator log (JSON lines), without secrets.
  assert.ok(await eventually(() => events(main.log(), 'tacacs_login').some((e) => e.user === 'alice'), 3000), main.log().slice(-2000));
  const [pass] = events(main.log(), 'tacacs_login');
  assert.equal(pass.result, 'pass');
  assert.equal(pass.server, 1, 'answered by the second server');
  // Single connection mode (§4.3): the refused connect + one connection for authentication
  // and authorization together.
  assert.equal(pass.connections, 2);
  assert.ok(events(main.log(), 'tacacs_log').some((e) => /connect failed/.test(e.note)), 'the refused server is logged');
  assert.ok(!main.log().includes('alice-pw') && !main.log().includes(KEY), 'no password or key in the log');
  console.log(`# alice login POST with failover: ${res.ms} ms`);
});

test('the CAS service travels as the optional authorization argument cas-service*URL (RFC 8907 §6.1)', async () => {
  const service = `${SERVICE}/arg?x=1`;
  const res = await login(main.base, new Browser(), service, 'alice', 'alice-pw');
  assert.equal(res.status, 303);
  // casplus tacacs-server logs each authorization REQUEST with its arguments.
  const line = tac.log().split('\n').find((l) => l.includes('author user="alice"') && l.includes(service));
  assert.ok(line, `authorization log:\n${tac.log().slice(-2000)}`);
  assert.match(line, /-> PASS_ADD/);
  assert.ok(line.includes(`args: service=casplus cas-service*${service}`), line);
});

test('bob with a wrong password: the login form again with an error and the server_msg (RFC 8907 §5.2), no ticket', async () => {
  const res = await login(main.base, new Browser(), SERVICE, 'bob', 'not-bobs');
  assert.equal(res.status, 401);
  const html = await res.text();
  assert.match(html, /user name or password is incorrect/);
  // tests/tacacs/server.json's FAIL carries server_msg "Authentication failed": shown with the error.
  assert.match(html, /role="alert" id="login-error">[^<]*<br><span class="source-msg">Authentication failed<\/span><\/p>/);
  assert.match(html, /name="lt"/);
  assert.equal(res.headers.get('location'), null);
});

test('carol: authentication PASS but authorization FAIL (no casplus rule) is denied', async () => {
  const b = new Browser();
  const res = await login(main.base, b, SERVICE, 'carol', 'carol-pw');
  assert.equal(res.status, 401);
  const html = await res.text();
  assert.match(html, /incorrect/);
  assert.match(html, /<span class="source-msg">Not authorized<\/span>/, 'the authorization FAIL server_msg (§6.2)');
  assert.equal(b.tgc(), undefined, 'no SSO session');
});

test('accounting: START when the TGT is created, STOP at logout with task_id, elapsed_time and the services', async () => {
  const before = acctLines().length;
  const b = new Browser();
  const res = await login(main.base, b, `${SERVICE}/acct`, 'alice', 'alice-pw');
  assert.equal(res.status, 303);
  assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'start'), 10000), 'START recorded');
  const start = acctLines().slice(before).find((l) => l.record === 'start');
  assert.equal(start.user, 'alice');
  assert.equal(start.status, 'SUCCESS');
  assert.equal(typeof start.rem_addr, 'string');
  const taskId = start.acct.task_id;
  assert.match(taskId, /^[0-9a-f]{24}$/);
  assert.ok(!b.tgc().includes(taskId), 'the task_id is not the TGT id');
  assert.ok(start.args.includes('service=casplus'), JSON.stringify(start.args));
  await sleep(1100); // elapsed_time counts whole seconds
  // SSO to a second service (and the first again): both listed once in the STOP.
  for (const s of [`${SERVICE}/acct2`, `${SERVICE}/acct`]) {
    const sso = await b.fetch(`${main.base}/login?${q({ service: s })}`);
    assert.equal(sso.status, 302, 'SSO');
  }
  const out = await b.fetch(`${main.base}/logout`);
  assert.equal(out.status, 200);
  assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'stop'), 10000), 'STOP recorded');
  const stop = acctLines().slice(before).find((l) => l.record === 'stop');
  assert.equal(stop.user, 'alice');
  assert.equal(stop.acct.task_id, taskId, 'STOP has the task_id of START');
  const elapsed = stop.args.find((a) => a.startsWith('elapsed_time='));
  assert.ok(elapsed && Number(elapsed.split('=')[1]) >= 1, JSON.stringify(stop.args));
  assert.deepEqual(stop.args.filter((a) => a.startsWith('cas-service=')),
    [`cas-service=${SERVICE}/acct`, `cas-service=${SERVICE}/acct2`], JSON.stringify(stop.args));
  assert.ok(stop.args.includes('reason=logout'), JSON.stringify(stop.args));
  assert.equal(acctLines().slice(before).filter((l) => l.acct?.task_id === taskId).length, 2,
    'START and STOP only (no WATCHDOG configured)');
});

test('short session: WATCHDOG when used after the interval (§7.2), STOP when found expired, stop_time = the expiry instant (§8.3)', async () => {
  const config = casConfig([{ host: '127.0.0.1', port: tac.port, key_secret: 'TACACS_KEY', timeout_ms: 3000 }]);
  config.engine.tickets = { ticketGranting: { hardSeconds: 4, idleSeconds: 3 } };
  config.tacacs.watchdog_seconds = 1;
  const w = await startWrangler(config);
  try {
    const before = acctLines().length;
    const b = new Browser();
    const t0 = Date.now();
    const res = await login(w.base, b, `${SERVICE}/short`, 'alice', 'alice-pw');
    assert.equal(res.status, 303, w.log().slice(-2000));
    assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'start' && l.user === 'alice'), 10000), 'START');
    const start = acctLines().slice(before).find((l) => l.record === 'start');
    const taskId = start.acct.task_id;
    const startTime = Number(start.args.find((a) => a.startsWith('start_time=')).split('=')[1]);
    await sleep(Math.max(0, t0 + 1300 - Date.now()));
    const sso = await b.fetch(`${w.base}/login?${q({ service: `${SERVICE}/short2` })}`);
    assert.equal(sso.status, 302, 'SSO after the watchdog interval');
    assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'watchdog'), 10000), 'WATCHDOG recorded');
    const wd = acctLines().slice(before).find((l) => l.record === 'watchdog');
    assert.equal(wd.acct.task_id, taskId);
    assert.ok(wd.flags.includes('WATCHDOG') && !wd.flags.includes('START'), JSON.stringify(wd.flags));
    assert.ok(Number(wd.args.find((a) => a.startsWith('elapsed_time=')).split('=')[1]) >= 1, JSON.stringify(wd.args));
    // Past the 4 s hard timeout (idle 3 s from the SSO ends later): the cookie's session is expired.
    await sleep(Math.max(0, t0 + 5500 - Date.now()));
    const again = await b.fetch(`${w.base}/login?${q({ service: `${SERVICE}/short` })}`);
    assert.equal(again.status, 200, 'the login form: the session is over');
    assert.match(await again.text(), /name="lt"/);
    assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'stop'), 10000), 'STOP recorded');
    const stop = acctLines().slice(before).find((l) => l.record === 'stop');
    assert.equal(stop.acct.task_id, taskId, 'STOP has the task_id of START');
    assert.ok(stop.args.includes('reason=expired'), JSON.stringify(stop.args));
    assert.ok(stop.args.includes(`stop_time=${startTime + 4}`), `hard timeout instant, not when noticed: ${JSON.stringify(stop.args)}`);
    assert.ok(stop.args.includes('elapsed_time=4'), JSON.stringify(stop.args));
    assert.deepEqual(stop.args.filter((a) => a.startsWith('cas-service=')),
      [`cas-service=${SERVICE}/short`, `cas-service=${SERVICE}/short2`]);
    // Noticed once: a second visit finds no session and sends nothing more.
    await b.fetch(`${w.base}/login?${q({ service: `${SERVICE}/short` })}`);
    await sleep(500);
    assert.equal(acctLines().slice(before).filter((l) => l.acct?.task_id === taskId).length, 3, 'START, WATCHDOG, STOP');
  } finally {
    await stop(w.child);
  }
});

test('a session that expires unseen: the session object\'s alarm sends the STOP (§7.2), once', async () => {
  const config = casConfig([{ host: '127.0.0.1', port: tac.port, key_secret: 'TACACS_KEY', timeout_ms: 3000 }]);
  config.engine.tickets = { ticketGranting: { hardSeconds: 3, idleSeconds: 3 } };
  const w = await startWrangler(config);
  try {
    const before = acctLines().length;
    const b = new Browser();
    const res = await login(w.base, b, `${SERVICE}/unseen`, 'alice', 'alice-pw');
    assert.equal(res.status, 303, w.log().slice(-2000));
    assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'start' && l.user === 'alice'), 10000), 'START');
    const start = acctLines().slice(before).find((l) => l.record === 'start');
    const taskId = start.acct.task_id;
    const startTime = Number(start.args.find((a) => a.startsWith('start_time=')).split('=')[1]);
    // No further request: only the Durable Object's alarm can notice the end.
    assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'stop' && l.acct?.task_id === taskId), 15000),
      `STOP from the alarm: ${w.log().slice(-1500)}`);
    const stop = acctLines().slice(before).find((l) => l.record === 'stop');
    assert.ok(stop.args.includes('reason=expired'), JSON.stringify(stop.args));
    assert.ok(stop.args.includes(`stop_time=${startTime + 3}`), JSON.stringify(stop.args));
    assert.deepEqual(stop.args.filter((a) => a.startsWith('cas-service=')), [`cas-service=${SERVICE}/unseen`]);
    // The cookie now finds no session, and nothing is accounted twice.
    const again = await b.fetch(`${w.base}/login?${q({ service: `${SERVICE}/unseen` })}`);
    assert.equal(again.status, 200);
    await sleep(500);
    assert.equal(acctLines().slice(before).filter((l) => l.acct?.task_id === taskId).length, 2, 'START and STOP');
  } finally {
    await stop(w.child);
  }
});

/** A TCP relay to the test server that records every chunk, per connection and direction,
 * as hex with `#` comments (a form `casplus decode` reads). */
async function recordingRelay(targetPort) {
  const lines = [];
  let conns = 0;
  const s = createServer((client) => {
    const n = ++conns;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    const record = (dir) => (d) => { lines.push(`# connection ${n}, ${dir}`, d.toString('hex').replace(/(.{2})/g, '$1 ').trim()); };
    client.on('data', record('client -> server'));
    upstream.on('data', record('server -> client'));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { port: s.address().port, text: () => `${lines.join('\n')}\n`, close: () => new Promise((r) => s.close(r)) };
}

test('the AAA exchange of one login, recorded on the wire and read back with casplus decode', async () => {
  const relay = await recordingRelay(tac.port);
  const w = await startWrangler(casConfig([{ host: '127.0.0.1', port: relay.port, key_secret: 'TACACS_KEY', timeout_ms: 3000 }]));
  try {
    const before = acctLines().length;
    const b = new Browser();
    const service = `${SERVICE}/wire`;
    const res = await login(w.base, b, service, 'alice', 'alice-pw');
    assert.equal(res.status, 303);
    assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'start'), 10000), 'START');
    assert.equal((await b.fetch(`${w.base}/logout`)).status, 200);
    assert.ok(await eventually(() => acctLines().slice(before).some((l) => l.record === 'stop'), 10000), 'STOP');
    await sleep(300);
    const art = join(ROOT, 'target/e2e-artifacts');
    mkdirSync(art, { recursive: true });
    const hexFile = join(art, 'tacacs-login.hex');
    writeFileSync(hexFile, relay.text());
    const decoded = execFileSync(BIN, ['decode', '--key', KEY, hexFile], { encoding: 'utf8' });
    writeFileSync(join(art, 'tacacs-login.decode.txt'), decoded);
    const pdus = [...decoded.matchAll(/^TACACS\+ PDU #\d+: (\S+), (client → server|server → client)/gm)].map((m) => m[1]);
    // Single connection (§4.3): authentication and authorization on one connection; the
    // START and the STOP each on their own, after the responses.
    assert.deepEqual(pdus, ['authen_start', 'authen_reply', 'author_request', 'author_response',
      'acct_request', 'acct_reply', 'acct_request', 'acct_reply'], decoded);
    assert.match(decoded, /authen_type: PAP/);
    assert.match(decoded, /status: PASS  \[/);
    assert.ok(decoded.includes(`cas-service*${service}`), 'the service in the authorization REQUEST');
    assert.match(decoded, /status: PASS_ADD/);
    assert.ok(decoded.includes(`cas-service=${service}`), 'the service in the STOP');
    assert.ok(!/Diagnostics/.test(decoded), `no diagnostics:\n${decoded}`);
  } finally {
    await stop(w.child);
    await relay.close();
  }
});

test('a wrong shared key: "authentication service unavailable", key mismatch logged for the operator; a hung server times out first', async () => {
  const silent = await silentServer();
  const w = await startWrangler(casConfig([
    { host: '127.0.0.1', port: silent.port, key_secret: 'TACACS_KEY', timeout_ms: 800 },
    { host: '127.0.0.1', port: tac.port, key_secret: 'TACACS_KEY', timeout_ms: 3000 },
  ]), 'not-the-key');
  try {
    const b = new Browser();
    const res = await login(w.base, b, SERVICE, 'alice', 'alice-pw');
    assert.equal(res.status, 503);
    assert.match(await res.text(), /authentication service is unavailable/);
    assert.equal(b.tgc(), undefined, 'never a login');
    assert.ok(res.ms >= 800, `the silent server was waited for (${res.ms} ms)`);
    assert.ok(await eventually(() => events(w.log(), 'tacacs_key_mismatch').length > 0, 3000), w.log().slice(-3000));
    // wrangler prints the Worker's lines asynchronously: wait for this one too.
    assert.ok(await eventually(() => events(w.log(), 'tacacs_unavailable').length === 1, 3000), w.log().slice(-3000));
    assert.ok(events(w.log(), 'tacacs_log').some((e) => /no answer within 800 ms/.test(e.note)), `the hung server's timeout is logged:\n${w.log().slice(-3000)}`);
    assert.ok(!w.log().includes('not-the-key') && !w.log().includes('alice-pw'), 'no secret in the log');
    console.log(`# wrong key after a 800 ms timeout: ${res.ms} ms`);
  } finally {
    await stop(w.child);
    await silent.close();
  }
});

test('ASCII login (GETPASS / CONTINUE): bob with his ASCII secret passes, his PAP secret does not', async () => {
  const config = casConfig([{ host: '127.0.0.1', port: tac.port, key_secret: 'TACACS_KEY', timeout_ms: 3000 }]);
  config.tacacs.authen = 'ascii';
  config.tacacs.accounting = false;
  const w = await startWrangler(config);
  try {
    const res = await login(w.base, new Browser(), SERVICE, 'bob', 'bob-pw');
    assert.equal(res.status, 303, `ASCII login:\n${w.log().slice(-3000)}`);
    const xml = await (await fetch(`${w.base}/p3/serviceValidate?${q({ service: SERVICE, ticket: ticketFrom(res.headers.get('location'), SERVICE) })}`)).text();
    assert.equal(xmlText(xml, 'user'), 'bob', xml);
    assert.deepEqual(xmlAll(xml, 'groups'), ['readonly'], xml);
    assert.deepEqual(xmlAll(xml, 'priv-lvl'), ['1'], xml);
    const pap = await login(w.base, new Browser(), SERVICE, 'bob', 'bob-pap');
    assert.equal(pap.status, 401, 'the PAP secret is not the ASCII login secret');
  } finally {
    await stop(w.child);
  }
});

test('without the gateway Worker: "authentication service unavailable", never a login, the reason logged', async () => {
  const config = casConfig([{ host: '127.0.0.1', port: tac.port, key_secret: 'TACACS_KEY', timeout_ms: 3000 }]);
  const w = await startBoth({
    workers: 'cas',
    vars: { CASPLUS_CONFIG: JSON.stringify(config), TACACS_KEY: KEY },
    ready: async (o) => (await fetch(`${o}/cas/login`)).status === 200,
  });
  try {
    const b = new Browser();
    const res = await login(`${w.origin}/cas`, b, SERVICE, 'alice', 'alice-pw');
    assert.equal(res.status, 503);
    assert.match(await res.text(), /authentication service is unavailable/);
    assert.equal(b.tgc(), undefined);
    assert.ok(await eventually(() => events(w.log(), 'tacacs_unavailable').length > 0, 3000), w.log().slice(-3000));
    const [{ reason, request_id: rid }] = events(w.log(), 'tacacs_unavailable');
    assert.match(reason, /gateway/);
    assert.ok(rid, 'the line carries the request id');
  } finally {
    await w.stop();
  }
});

test('every server down: "authentication service unavailable", never a login', async () => {
  await stop(tac.child);
  const b = new Browser();
  const res = await login(main.base, b, SERVICE, 'alice', 'alice-pw');
  assert.equal(res.status, 503);
  assert.match(await res.text(), /authentication service is unavailable/);
  assert.equal(b.tgc(), undefined);
  console.log(`# all servers down: ${res.ms} ms`);
});

/** A minimal RFC 9887 peer: TLS with the test CA's certificate; answers every
 * authentication START with PASS (unobfuscated, UNENCRYPTED flag) and records what came. */
async function tlsPassServer({ cert = 'server' } = {}) {
  const seen = [];
  let handshakes = 0;
  const server = createTlsServer({
    key: readFileSync(join(TMP, `${cert}.key`)),
    cert: readFileSync(join(TMP, `${cert}.pem`)),
    minVersion: 'TLSv1.3',
  }, (sock) => {
    handshakes += 1;
    let buf = Buffer.alloc(0);
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 12 && buf.length >= 12 + buf.readUInt32BE(8)) {
        const len = buf.readUInt32BE(8);
        const header = buf.subarray(0, 12);
        const body = buf.subarray(12, 12 + len);
        buf = buf.subarray(12 + len);
        seen.push({ version: header[0], type: header[1], seq: header[2], flags: header[3], body: Buffer.from(body) });
        const reply = Buffer.alloc(12 + 6);
        header.copy(reply, 0, 0, 12);
        reply[2] = header[2] + 1; // seq_no
        reply[3] = 0x01; // TAC_PLUS_UNENCRYPTED_FLAG (RFC 9887 §4)
        reply.writeUInt32BE(6, 8);
        reply[12] = 0x01; // TAC_PLUS_AUTHEN_STATUS_PASS
        sock.write(reply);
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, seen, handshakes: () => handshakes, close: () => new Promise((r) => server.close(r)) };
}

test('TLS (RFC 9887): secureTransport on, certificate from the test CA, UNENCRYPTED flag, no obfuscation', async () => {
  const peer = await tlsPassServer();
  const config = casConfig([{ host: 'localhost', port: peer.port, tls: true, timeout_ms: 3000 }]);
  config.tacacs.authorization = null;
  config.tacacs.accounting = false;
  const w = await startWrangler(config, KEY, { NODE_EXTRA_CA_CERTS: join(TMP, 'ca.pem') });
  try {
    const res = await login(w.base, new Browser(), SERVICE, 'tls-user', 'tls-password');
    assert.equal(res.status, 303, `TLS login:\n${w.log().slice(-3000)}`);
    const xml = await (await fetch(`${w.base}/p3/serviceValidate?${q({ service: SERVICE, ticket: ticketFrom(res.headers.get('location'), SERVICE) })}`)).text();
    assert.equal(xmlText(xml, 'user'), 'tls-user');
    assert.equal(peer.seen.length, 1, 'one authentication START');
    const [start] = peer.seen;
    assert.equal(start.type, 0x01, 'AUTHEN');
    assert.equal(start.seq, 1);
    assert.equal(start.flags & 0x01, 0x01, 'UNENCRYPTED flag set');
    assert.ok(start.body.includes(Buffer.from('tls-user')), 'body in clear (TLS replaces obfuscation)');
    assert.ok(start.body.includes(Buffer.from('tls-password')), 'PAP data in clear inside TLS');
  } finally {
    await stop(w.child);
    await peer.close();
  }
});

test('TLS: a certificate the runtime does not trust is refused → unavailable, nothing sent', async () => {
  const peer = await tlsPassServer({ cert: 'untrusted' });
  const config = casConfig([{ host: 'localhost', port: peer.port, tls: true, timeout_ms: 3000 }]);
  config.tacacs.authorization = null;
  config.tacacs.accounting = false;
  const w = await startWrangler(config, KEY, { NODE_EXTRA_CA_CERTS: join(TMP, 'ca.pem') });
  try {
    const b = new Browser();
    const res = await login(w.base, b, SERVICE, 'tls-user', 'tls-password');
    assert.equal(res.status, 503, `untrusted TLS:\n${w.log().slice(-3000)}`);
    assert.equal(b.tgc(), undefined);
    assert.equal(peer.seen.length, 0, 'no TACACS+ packet over an untrusted connection');
    assert.ok(await eventually(() => events(w.log(), 'tacacs_unavailable').length > 0, 3000), `log:\n${w.log().slice(-3000)}`);
    const [{ reason }] = events(w.log(), 'tacacs_unavailable');
    console.log(`# untrusted certificate: ${reason} (server-side handshakes: ${peer.handshakes()})`);
  } finally {
    await stop(w.child);
    await peer.close();
  }
});

test('TLS (RFC 9887) against casplus tacacs-server --tls-…: login, authorization attributes and accounting through TLS 1.3', async () => {
  // The server's TLS listener alone (no --listen), with the run's throwaway CA's certificate;
  // no client CA: the Workers runtime presents no client certificate.
  const acct = join(DIR, 'tls-acct.jsonl');
  const child = spawn(BIN, ['tacacs-server', '--config', join(ROOT, 'tests/tacacs/server.json'),
    '--tls-listen', '127.0.0.1:0', '--tls-cert', join(TMP, 'server.pem'), '--tls-key', join(TMP, 'server.key'),
    '--accounting-log', acct], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  let w;
  try {
    assert.ok(await eventually(() => /listening on 127\.0\.0\.1:\d+ \(TLS\)/.test(log) || child.exitCode !== null, 10000),
      `tacacs-server --tls starts:\n${log}`);
    const port = Number(log.match(/listening on 127\.0\.0\.1:(\d+) \(TLS\)/)[1]);
    w = await startWrangler(casConfig([{ host: 'localhost', port, tls: true, timeout_ms: 3000 }]), KEY,
      { NODE_EXTRA_CA_CERTS: join(TMP, 'ca.pem') });
    const b = new Browser();
    const res = await login(w.base, b, SERVICE, 'alice', 'alice-pw');
    assert.equal(res.status, 303, `TLS login:\n${w.log().slice(-3000)}\nserver:\n${log}`);
    const xml = await (await fetch(`${w.base}/p3/serviceValidate?${q({ service: SERVICE, ticket: ticketFrom(res.headers.get('location'), SERVICE) })}`)).text();
    assert.equal(xmlText(xml, 'user'), 'alice');
    assert.deepEqual(xmlAll(xml, 'groups'), ['netops'], xml);
    assert.match(log, /TLS 1\.3 TLS13_\w+, no client certificate/);
    assert.match(log, /authen LOGIN PAP LOGIN user="alice" -> PASS/);
    assert.match(log, /author user="alice" -> PASS_ADD/);
    assert.ok(await eventually(() => /acct start user="alice" task_id="[^"]+" -> SUCCESS/.test(log), 5000),
      `accounting START over TLS:\n${log}`);
    assert.ok(existsSync(acct) && readFileSync(acct, 'utf8').includes('"alice"'), 'the START record');
    const bad = await login(w.base, new Browser(), SERVICE, 'alice', 'wrong-pw');
    assert.equal(bad.status, 401);
    assert.match(log, /user="alice" -> FAIL \(bad password\)/);
    assert.doesNotMatch(log, /rejected/, 'every packet of the gateway carried the UNENCRYPTED flag (RFC 9887 §4)');
  } finally {
    if (w) await stop(w.child);
    await stop(child);
  }
});

test('the TACACS+ gateway Worker refuses requests from the Internet: only its service binding reaches it', async () => {
  const gw = await startBoth({ workers: 'gateway' });
  try {
    // wrangler dev, like Cloudflare's edge, stamps CF-Connecting-IP on requests from
    // outside; a service binding call has none.
    const login = {
      op: 'authenticate', tacacs: JSON.stringify({ servers: [{ host: '127.0.0.1', port: tac.port, key: KEY }] }),
      request_id: 'x', username: 'alice', password: 'alice-pap', service: null, rem_addr: null,
    };
    const res = await fetch(`${gw.origin}/aaa`, { method: 'POST', body: JSON.stringify(login) });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /service binding only/);
    assert.ok(!gw.log().includes('tacacs_login'), 'no login was attempted');
  } finally {
    await gw.stop();
  }
});
