// Faults (issue "Operations"): storage faults injected with the test-only CASPLUS_FAULTS
// switch (worker/src/faults.rs: `per-request` → the X-Casplus-Faults header names the
// failing operations; honoured for loopback hosts only) and TACACS+ servers that hang,
// reset the connection, close it or answer garbage. Every fault must give a clean 500 page
// or INTERNAL_ERROR (or "authentication service unavailable"), no ticket, no cookie, and
// nothing half-written: once the fault is gone, the state is as if the request never
// happened. This file starts its own `wrangler dev` (free loopback port, own process
// group, fresh state) and its own fake TACACS+ server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { Browser, q, loginTicket, ticketFrom, xmlText, failureCode, eventually, sleep, startWrangler, freePort } from './lib.mjs';


function hash(password) {
  const salt = randomBytes(16);
  const b64 = (b) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha256$i=1000$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 1000, 32, 'sha256'))}`;
}

/** A TCP server misbehaving as `mode` says (switchable between tests):
 * `hang` (accepts, never answers), `reset` (RST on the first bytes), `close` (FIN on the
 * first bytes), `garbage` (an HTTP answer), `huge` (a TACACS+ header announcing a 4 GiB
 * body, then silence). */
async function badTacacsServer() {
  const sockets = new Set();
  const state = { mode: 'hang', connections: 0 };
  const server = createServer((c) => {
    state.connections += 1;
    sockets.add(c);
    c.on('error', () => {});
    c.on('close', () => sockets.delete(c));
    c.once('data', (d) => {
      switch (state.mode) {
        case 'reset': c.resetAndDestroy(); break;
        case 'close': c.end(); break;
        case 'garbage': c.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'); break;
        case 'huge': {
          const h = Buffer.from(d.subarray(0, 12));
          h[2] += 1; // seq_no of a reply
          h.writeUInt32BE(0xffffffff, 8);
          c.write(h);
          break;
        }
        default: break; // hang
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    state,
    close: () => new Promise((r) => { for (const c of sockets) c.destroy(); server.close(r); }),
  };
}

let tac;
let w; // { child, origin, base, log, stop }
let APP;
const TACAPP = 'http://127.0.0.1:9/tacapp';

before(async () => {
  tac = await badTacacsServer();
  const port = await freePort();
  APP = `http://127.0.0.1:${port}/app`; // nothing listens there (no single logout is enabled)
  const config = {
    engine: {
      services: [
        { id: 1, name: 'Faults app', service: { regex: String.raw`^http://127\.0\.0\.1:\d+/app([/?#].*)?$` }, singleLogout: false },
        { id: 2, name: 'Faults TACACS+ app', service: { regex: String.raw`^http://127\.0\.0\.1:\d+/tacapp([/?#].*)?$` }, authenticationSource: 'tacacs', singleLogout: false },
      ],
      throttle: { maxFailuresPerUser: 1000, maxFailuresPerAddress: 10000, lockoutSeconds: 60 },
      cookie: { secure: false },
    },
    users: { casuser: { password: hash('Mellon') } },
    tacacs: {
      servers: [{ host: '127.0.0.1', port: tac.port, key: 'faults-test-key', timeout_ms: 800 }],
      authen: 'pap',
      accounting: false,
    },
  };
  const wr = await startWrangler({
    vars: { CASPLUS_CONFIG: JSON.stringify(config), CASPLUS_FAULTS: 'per-request' },
    ready: async (o) => (await fetch(`${o}/cas/login`)).status === 200,
  });
  w = { ...wr, base: `${wr.origin}/cas` };
});

after(async () => {
  await w?.stop();
  await tac?.close();
});

const faulty = (faults) => (faults ? { 'X-Casplus-Faults': faults } : {});

/** The login form (no fault), then the POST under `faults`. */
async function login(b, { service = APP, username = 'casuser', password = 'Mellon', faults } = {}) {
  const form = await b.fetch(`${w.base}/login?${q({ service })}`);
  assert.equal(form.status, 200);
  const lt = loginTicket(await form.text());
  return b.fetch(`${w.base}/login?${q({ service })}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...faulty(faults) },
    body: q({ username, password, lt, service }),
  });
}

/** A clean 500: the error page, no ticket, no cookie set. */
async function assertClean500(res, b, what) {
  const body = await res.text();
  assert.equal(res.status, 500, `${what}: ${res.status}\n${body.slice(0, 300)}`);
  assert.match(body, /Nothing was issued/, what);
  assert.equal(res.headers.get('location'), null, `${what}: no redirect`);
  assert.ok(!/ST-|TGT-/.test(body), `${what}: no ticket in the page`);
  assert.deepEqual(res.headers.getSetCookie().filter((c) => c.startsWith('TGC-')), [], `${what}: no TGC`);
  assert.equal(b.tgc(), undefined, `${what}: no session`);
}

const sv = (params, faults) => fetch(`${w.base}/serviceValidate?${q(params)}`, { headers: faulty(faults) }).then((r) => r.text());

test('the fault switch is off without a header and on with one', async () => {
  // Without the header nothing fails (the same wrangler serves every other test here).
  const res = await login(new Browser());
  assert.equal(res.status, 303);
  // Off loopback (a deployment's own host name) the switch is ignored: wrangler dev always
  // serves a loopback URL, so the Worker's unit tests (faults::tests) prove that part.
  assert.equal((await login(new Browser(), { faults: 'put_new:LT' })).status, 500, 'on loopback it applies');
  // The fault is logged for the operator with the request's id (docs/audit-log.md).
  const faultLine = () => w.log().replace(/\x1b\[[0-9;]*m/g, '').split('\n')
    .filter((l) => l.includes('"event":"fault"') && l.includes('injected fault'))
    .map((l) => JSON.parse(l.slice(l.indexOf('{'))))[0];
  assert.ok(await eventually(() => faultLine() !== undefined, 3000), w.log().slice(-2000));
  assert.match(faultLine().request_id, /^[0-9a-f]{16}$/);
  assert.equal(faultLine().endpoint, 'login');
});

test('login with a failing write of the TGT: 500, no TGC, no ST, no session afterwards', async () => {
  const b = new Browser();
  await assertClean500(await login(b, { faults: 'put:TGT' }), b, 'TGT write');
  const again = await b.fetch(`${w.base}/login?${q({ service: APP })}`);
  assert.equal(again.status, 200, 'no session: the form again');
});

test('login with a failing Durable Object write of the ST: 500, no redirect, no TGT without its TGC', async () => {
  const b = new Browser();
  await assertClean500(await login(b, { faults: 'put:ST' }), b, 'ST write');
});

test('login with every guard call failing (throttle counters, login ticket): 500 before any password check', async () => {
  const b = new Browser();
  await assertClean500(await login(b, { faults: 'guard' }), b, 'guard down');
  // Spending the login ticket alone failing (§3.5.1): 500, nothing issued.
  await assertClean500(await login(new Browser(), { faults: 'put_new:LT' }), b, 'login ticket not spent');
  // A login form needs no storage at all (issue 16): served with every guard call failing.
  const form = await fetch(`${w.base}/login`, { headers: faulty('guard') });
  assert.equal(form.status, 200, 'the form does not touch the Durable Object');
  assert.match(await form.text(), /name="lt" value="LT-/);
});

test('SSO with the Durable Object failing issues nothing (KV is not on its path); the session survives', async () => {
  const b = new Browser();
  assert.equal((await login(b)).status, 303);
  // SSO never touches KV (the session lives in its Durable Object): KV down changes nothing.
  const viaKvDown = await b.fetch(`${w.base}/login?${q({ service: APP })}`, { headers: faulty('kv') });
  assert.equal(viaKvDown.status, 302, 'SSO does not depend on KV');
  for (const faults of ['get:TGT', 'guard', 'put:ST', 'put:TGT']) {
    const res = await b.fetch(`${w.base}/login?${q({ service: APP })}`, { headers: faulty(faults) });
    const body = await res.text();
    assert.equal(res.status, 500, `${faults}: ${res.status}`);
    assert.equal(res.headers.get('location'), null, faults);
    assert.ok(!body.includes('ST-'), faults);
  }
  const sso = await b.fetch(`${w.base}/login?${q({ service: APP })}`);
  assert.equal(sso.status, 302, 'the session is intact');
  const xml = await sv({ service: APP, ticket: ticketFrom(sso.headers.get('location'), APP) });
  assert.equal(xmlText(xml, 'user'), 'casuser', xml);
});

test('validation with a failing take: INTERNAL_ERROR (HTTP 200), the ticket is not burnt, then valid exactly once', async () => {
  const b = new Browser();
  const st = ticketFrom((await login(b)).headers.get('location'), APP);
  const failed = await fetch(`${w.base}/serviceValidate?${q({ service: APP, ticket: st })}`, { headers: faulty('take:ST') });
  assert.equal(failed.status, 200);
  const xml = await failed.text();
  assert.equal(failureCode(xml), 'INTERNAL_ERROR', xml);
  assert.equal(xmlText(xml, 'user'), undefined);
  const json = await (await fetch(`${w.base}/p3/serviceValidate?${q({ service: APP, ticket: st, format: 'JSON' })}`, { headers: faulty('guard') })).json();
  assert.equal(json.serviceResponse.authenticationFailure.code, 'INTERNAL_ERROR');
  const v1 = await (await fetch(`${w.base}/validate?${q({ service: APP, ticket: st })}`, { headers: faulty('guard') })).text();
  assert.equal(v1, 'no\n\n', 'CAS 1.0: no');
  assert.equal(xmlText(await sv({ service: APP, ticket: st }), 'user'), 'casuser');
  assert.equal(failureCode(await sv({ service: APP, ticket: st })), 'INVALID_TICKET');
});

test('logout with a failing delete: 500, the session stays usable; a retry ends it', async () => {
  const b = new Browser();
  assert.equal((await login(b)).status, 303);
  const failed = await b.fetch(`${w.base}/logout`, { headers: faulty('delete:TGT,revoke:TGT') });
  assert.equal(failed.status, 500);
  assert.ok(b.tgc(), 'the cookie is not cleared by a failed logout');
  assert.equal((await b.fetch(`${w.base}/login?${q({ service: APP })}`)).status, 302, 'still logged in');
  assert.equal((await b.fetch(`${w.base}/logout`)).status, 200);
  assert.equal((await b.fetch(`${w.base}/login?${q({ service: APP })}`)).status, 200, 'logged out');
});

for (const mode of ['hang', 'reset', 'close', 'garbage', 'huge']) {
  test(`a TACACS+ server that ${mode === 'huge' ? 'announces a 4 GiB body' : mode === 'garbage' ? 'answers garbage' : `${mode}s`}: "authentication service unavailable", no login`, async () => {
    tac.state.mode = mode;
    const before = tac.state.connections;
    const b = new Browser();
    const started = Date.now();
    const res = await login(b, { service: TACAPP, username: 'alice', password: 'alice-pw' });
    const ms = Date.now() - started;
    const body = await res.text();
    assert.equal(res.status, 503, `${mode}: ${res.status}\n${body.slice(0, 300)}`);
    assert.match(body, /authentication service is unavailable/);
    assert.equal(res.headers.get('location'), null);
    assert.equal(b.tgc(), undefined, 'never a login');
    assert.ok(tac.state.connections > before, 'the server was contacted');
    assert.ok(ms < 10000, `bounded in time (${ms} ms)`);
    if (mode === 'hang') assert.ok(ms >= 800, `the 800 ms timeout was waited for (${ms} ms)`);
    // A 4 GiB length is refused at the header, not waited for (and never allocated).
    if (mode === 'huge') assert.ok(ms < 800, `refused at once (${ms} ms)`);
    assert.ok(await eventually(() => w.log().includes('"event":"auth_source_error"'), 3000), 'audited');
    console.log(`# TACACS+ ${mode}: ${res.status} in ${ms} ms`);
  });
}

test('the fault log names faults, never a secret', async () => {
  await sleep(200);
  const log = w.log();
  assert.match(log, /injected fault/);
  assert.ok(!log.includes('Mellon') && !log.includes('alice-pw') && !log.includes('faults-test-key'));
});
