// The audit trail (docs/audit-log.md): a login failure, a login, a validation (and a
// replay), SSO and a logout with single logout, read back from wrangler's output
// (run.sh writes it to $E2E_TMP/wrangler.log). One JSON object per line, each with a
// request id and a time; no password, no whole ticket id anywhere in the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, TMP, q, submitLogin, loginForTicket, ssoTicket, validate, failureCode, httpServer, eventually, xmlText } from './lib.mjs';

const LOG = join(TMP, 'wrangler.log');
const USER = 'remember'; // make-config.mjs; no other test logs in as this user with a service
const PASSWORD = 'remember-pass';
const WRONG = 'Wr0ng-audit-secret';

/** Every JSON object wrangler printed (console.log/error lines, colours stripped). */
function auditLines() {
  return readFileSync(LOG, 'utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n').flatMap((l) => {
    const i = l.indexOf('{"');
    if (i < 0) return [];
    try { return [JSON.parse(l.slice(i, l.lastIndexOf('}') + 1))]; } catch { return []; }
  });
}
const find = (pred) => auditLines().filter(pred);
/** wrangler prints the Worker's console lines asynchronously, after the response may have
 * arrived: wait until `n` lines match (up to 5 s), then return them all. */
async function lines(pred, n) {
  await eventually(() => find(pred).length >= n, 5000);
  return find(pred);
}

test('login, validation, SSO and logout are audited with a request id, short ticket ids and no secrets', async () => {
  const slo = await httpServer();
  try {
    const service = `${slo.url}/app`;
    const b = new Browser();

    // A failure first (user name, reason; never the password).
    const bad = await submitLogin(b, { service, username: USER, password: WRONG });
    assert.equal(bad.status, 401);

    const st = await loginForTicket(b, service, { username: USER, password: PASSWORD });
    const tgt = b.tgc();
    assert.match(tgt, /^TGT-/);
    const v = await validate('/p3/serviceValidate', { service, ticket: st });
    assert.equal(xmlText(v.body, 'user'), USER);
    const replay = await validate('/serviceValidate', { service, ticket: st });
    assert.equal(failureCode(replay.body), 'INVALID_TICKET');
    const st2 = await ssoTicket(b, service);
    const out = await b.get(`/logout?${q({ service })}`);
    assert.equal(out.status, 302);
    assert.ok(await eventually(() => slo.requests.some((r) => r.method === 'POST'), 8000), 'single logout POSTed');

    const short = (id) => id.slice(0, id.indexOf('-') + 1 + 8);
    const failure = await lines((e) => e.event === 'login_failure' && e.username === USER && e.reason === 'invalid_credentials', 1);
    assert.equal(failure.length, 1, JSON.stringify(failure));
    assert.equal(failure[0].source, 'builtin');

    const [success] = await lines((e) => e.event === 'login_success' && e.principal === USER && e.service === service, 1);
    assert.ok(success, 'login_success');
    assert.equal(success.tgt, short(tgt));
    assert.equal(success.remember_me, false);
    assert.match(success.request_id, /^[0-9a-f]{16}$|^[0-9a-f]+-[A-Z]{3}$/, 'a request id (cf-ray or generated)');
    assert.ok(!Number.isNaN(Date.parse(success.time)), success.time);

    const issued = await lines((e) => e.event === 'st_issued' && e.service === service, 2);
    assert.deepEqual(issued.map((e) => [e.ticket, e.sso, e.principal, e.tgt]),
      [[short(st), false, USER, short(tgt)], [short(st2), true, USER, short(tgt)]]);
    assert.equal(issued[0].request_id, success.request_id, 'same request, same id');
    assert.notEqual(issued[1].request_id, success.request_id, 'another request, another id');

    const validated = await lines((e) => e.event === 'st_validated' && e.service === service, 1);
    assert.deepEqual(validated.map((e) => [e.endpoint, e.ticket, e.principal]), [['p3/serviceValidate', short(st), USER]]);
    const rejected = await lines((e) => e.event === 'st_rejected' && e.service === service, 1);
    assert.deepEqual(rejected.map((e) => [e.endpoint, e.ticket, e.code]), [['serviceValidate', short(st), 'INVALID_TICKET']]);

    const [logout] = await lines((e) => e.event === 'logout' && e.tgt === short(tgt), 1);
    assert.ok(logout, 'logout');
    assert.equal(logout.principal, USER);
    assert.equal(logout.single_logouts, 2, 'both service tickets of the session get a logout request');
    const sent = await lines((e) => e.event === 'single_logout_sent' && e.service === service, 2);
    assert.ok(sent.every((e) => e.status === 200 && e.request_id === logout.request_id), JSON.stringify(sent));
    assert.deepEqual(sent.map((e) => e.session_index).sort(), [short(st), short(st2)].sort());

    // Nothing secret anywhere in the log.
    const raw = readFileSync(LOG, 'utf8');
    for (const secret of [PASSWORD, WRONG, st, st2, tgt]) {
      assert.ok(!raw.includes(secret), `the log contains ${secret.slice(0, 6)}…`);
    }
  } finally {
    await slo.close();
  }
});

test('a lockout is audited (throttling), then the locked attempt', async () => {
  const b = new Browser();
  const user = `audit-lock-${Date.now()}`; // unknown user: counted all the same
  let last;
  for (let i = 0; i < 4; i += 1) last = await submitLogin(b, { username: user, password: 'nope-nope' });
  assert.equal(last.status, 429);
  const locks = await lines((e) => e.event === 'lockout' && e.username === user, 1);
  assert.equal(locks.length, 1);
  const [lock] = locks;
  assert.ok(Date.parse(lock.time) < lock.until, 'the lockout ends in the future');
  const reasons = (await lines((e) => e.event === 'login_failure' && e.username === user, 4)).map((e) => e.reason);
  assert.deepEqual(reasons, ['invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'locked']);
});
