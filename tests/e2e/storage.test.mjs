// Durable Object storage (issue 20, item 4): requests with made-up ticket ids reach an
// object named after them, and must leave nothing stored there; every object that stores
// something has an alarm that will delete it.
//
// Inspects the local state of the Worker under test (run.sh starts it with
// `--persist-to $E2E_TMP/state`): miniflare keeps one SQLite file per Durable Object under
// v3/do/<script>-<class>/, holding its own `__miniflare_do_name` table from the first
// call, and the object's storage (our `entries` table, the alarm's `_cf_METADATA`) once
// it stores something; v3/do/<script>-<class>/metadata.sqlite lists the pending alarms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BASE, TMP, Browser, q, failureCode, validate, eventually, loginForTicket, ssoTicket,
} from './lib.mjs';

const ROOT = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const OBJECTS = join(TMP, 'state', 'v3', 'do', 'casplus-TicketGuard');
const APP = 'http://127.0.0.1:9/app';

// One Python (the test venv's) reads the SQLite files: Node 20 has no SQLite module.
const INSPECT = String.raw`
import glob, json, os, sqlite3, sys
d = sys.argv[1]
def ro(f):
    return sqlite3.connect('file:' + f + '?mode=ro', uri=True, timeout=5)
alarms = set()
meta = os.path.join(d, 'metadata.sqlite')
if os.path.exists(meta):
    c = ro(meta)
    alarms = {r[0] for r in c.execute("SELECT actor_id FROM _cf_ALARM WHERE scheduled_time IS NOT NULL")}
    c.close()
out = {}
for f in glob.glob(os.path.join(d, '*.sqlite')):
    actor = os.path.basename(f)[:-len('.sqlite')]
    if actor == 'metadata':
        continue
    c = ro(f)
    tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    keys = [r[0] for r in c.execute('SELECT k FROM entries')] if 'entries' in tables else []
    name = c.execute('SELECT name FROM __miniflare_do_name').fetchone()[0] if '__miniflare_do_name' in tables else None
    c.close()
    stored = [t for t in tables if t != '__miniflare_do_name']
    out[actor] = {'name': name, 'tables': stored, 'keys': keys, 'alarm': actor in alarms}
print(json.dumps(out))
`;

/** Every object's storage: actor id → { name, tables (ours and the platform's), row keys,
 *  alarm pending }. */
function objects() {
  if (!existsSync(OBJECTS)) return {};
  const out = execFileSync(join(ROOT, '.venv/bin/python'), ['-c', INSPECT, OBJECTS], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** The objects that store something (any table besides miniflare's own). */
const storing = (all) => Object.keys(all).filter((a) => all[a].tables.length > 0);

const hex = (n) => randomBytes(n).toString('hex');
/** A made-up id of `prefix`: half with a session route (reaching a session's object),
 *  half without (reaching an object named by the id). */
const madeUp = (prefix, i) => (i % 2 ? `${prefix}-${hex(16)}-${hex(6)}` : `${prefix}-${hex(16)}`);

/** Runs `n` requests `make(i)`, `width` at a time. */
async function batches(n, width, make) {
  const out = [];
  for (let i = 0; i < n; i += width) {
    out.push(...await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => make(i + j))));
  }
  return out;
}

test('storage 20.4: 1,000 validations of made-up STs and /proxy with made-up PGTs store nothing; made-up LTs and cookies store nothing either (forms store nothing)', async () => {
  const before = new Set(storing(objects()));
  const endpoints = ['/serviceValidate', '/p3/serviceValidate', '/proxyValidate', '/validate'];
  const validations = await batches(1000, 25, (i) =>
    validate(endpoints[i % endpoints.length], { service: APP, ticket: madeUp('ST', i) }));
  assert.ok(validations.every((r) => r.res.status === 200), 'validation failures are HTTP 200');
  assert.ok(validations.every((r) => r.body === 'no\n\n' || failureCode(r.body) === 'INVALID_TICKET'));
  const proxies = await batches(50, 25, (i) =>
    fetch(`${BASE}/proxy?${q({ pgt: madeUp('PGT', i), targetService: APP })}`).then(async (res) => ({ res, body: await res.text() })));
  assert.ok(proxies.every((r) => r.res.status === 200 && failureCode(r.body) === 'INVALID_TICKET'), proxies[0].body);
  const afterReads = objects();
  const created = storing(afterReads).filter((a) => !before.has(a));
  assert.deepEqual(created.map((a) => afterReads[a]), [], `${created.length} objects got storage from read-only requests`);

  // A login form with a made-up login ticket, and SSO / logout with a made-up session
  // cookie (handed off to the session object the cookie names): no storage at all — the
  // forms they answer with store nothing (a login ticket is stored when a POST spends it).
  const served = new Set();
  const page = async (res) => {
    const lt = (await res.text()).match(/name="lt" value="(LT-[A-Za-z0-9-]+)"/)?.[1];
    if (lt) served.add(lt);
    return res;
  };
  const logins = await batches(20, 10, (i) => fetch(`${BASE}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: q({ username: 'casuser', password: 'Mellon', lt: madeUp('LT', i), service: APP }),
  }).then(page));
  assert.ok(logins.every((r) => r.status !== 303), 'no session from a made-up login ticket');
  const cookie = (i) => ({ headers: { Cookie: `TGC-casplus=${madeUp('TGT', i + 1)}` }, redirect: 'manual' });
  await batches(20, 10, (i) => fetch(`${BASE}/login?${q({ service: APP })}`, cookie(i)).then(page));
  await batches(20, 10, (i) => fetch(`${BASE}/logout`, cookie(i)).then(page));

  assert.ok(served.size >= 40, `the POSTs and SSO attempts each answered with a fresh form (${served.size})`);
  const after = objects();
  const unexpected = storing(after).filter((a) => !before.has(a)).map((a) => after[a]);
  assert.deepEqual(unexpected, [], `${unexpected.length} objects got storage from forms and refused POSTs`);
});

test('storage 20.4: every object that stores something has an alarm that will delete it', async () => {
  // A real flow first (login ticket, session, service ticket, validation, logout: TGT
  // revocation marks), then every object of this run is checked, including those the
  // other test files left. Retried briefly: an alarm may be firing right now.
  const b = new Browser();
  const st = await loginForTicket(b, APP);
  assert.equal((await validate('/p3/serviceValidate', { service: APP, ticket: st })).res.status, 200);
  await ssoTicket(b, APP); // an SSO in the session's object (the hand-off), left unvalidated
  assert.equal((await b.get('/logout')).status, 200);

  let unscheduled = [];
  const ok = await eventually(() => {
    const all = objects();
    unscheduled = storing(all).filter((a) => !all[a].alarm).map((a) => ({ actor: a, ...all[a] }));
    return unscheduled.length === 0;
  }, 5000);
  assert.ok(ok, `objects with storage and no alarm: ${JSON.stringify(unscheduled.slice(0, 5))} (${unscheduled.length})`);
});
