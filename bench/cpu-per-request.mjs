// CPU time per request, per endpoint (issue 16): the process CPU time of workerd (user +
// system, from /proc) over a closed-loop run of one kind of request, divided by the requests
// answered, for the CAS Worker and, in the same run, for the runtime reference
// (bench/runtime-ref: a JavaScript Worker with no application code). The difference is
// what casplus's own code costs per request. No profiler is attached.
//
// Scenarios (bench/worker-dev.mjs): floor, form, post (form + POST with the PBKDF2 check;
// the POST alone = post − form), sso, validate (SSO + /p3/serviceValidate; the validation
// alone = validate − sso), proxy, logout; reference: noop, do1, do2, log.
// BENCH_SECONDS (default 5) per scenario, BENCH_USERS (default 8), BENCH_ROUNDS (default 2:
// the scenarios of both Workers are run in turn that many times, and each figure is the
// smallest of its rounds — the least disturbed by other work on the machine).
// `make build-worker` first (the size-optimised build). node bench/cpu-per-request.mjs [--json FILE]
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent } from './http.mjs';
import { REF_SCENARIO, SCENARIO, freePort, startWrangler } from './worker-dev.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const USERS = Number(process.env.BENCH_USERS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CAS = (process.env.BENCH_SCENARIOS ?? 'floor,form,post,sso,validate,proxy,logout').split(',');
const REF = ['noop', 'do1', 'do2', 'log'];
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;
const TICK_MS = 1000 / 100; // USER_HZ: /proc/PID/stat counts in 1/100 s on Linux

/** The workerd processes of the process group `pgid` (wrangler's, started detached). */
function workerdPids(pgid) {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && stat.includes('(workerd)')) pids.push(Number(d));
    } catch { /* gone */ }
  }
  if (pids.length === 0) throw new Error(`no workerd in process group ${pgid}`);
  return pids;
}

/** CPU time (ms, user + system) of `pids` so far. */
function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks * TICK_MS;
}

/** One closed-loop run of `s` against `base`: requests answered and workerd CPU ms. */
async function measure(s, base, pids) {
  const users = [];
  // One login at a time: concurrent logins of one user hold places on its throttle counter.
  for (let i = 0; i < (s.users ?? USERS); i++) users.push(await s.prepare(base, i));
  for (const u of users) await s.run(base, u);
  let done = 0;
  const cpu0 = cpuMs(pids);
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(users.map(async (u) => {
    while (performance.now() < end) { await s.run(base, u); done += s.requests ?? 1; }
  }));
  return { done, cpu: cpuMs(pids) - cpu0 };
}

const states = [mkdtempSync(join(tmpdir(), 'casplus-cpu-')), mkdtempSync(join(tmpdir(), 'casplus-cpu-ref-'))];
// BENCH_PORTS=HTTP,INSPECTOR,REF_HTTP,REF_INSPECTOR: fixed ports (default: free ones).
const fixed = (process.env.BENCH_PORTS ?? '').split(',').filter(Boolean).map(Number);
const port = async (i) => fixed[i] ?? (i % 2 ? await freePort() : 0);
const cas = await startWrangler(states[0], await port(1), '.', await port(0));
const ref = await startWrangler(states[1], await port(3), 'bench/runtime-ref', await port(2));
const best = {};
try {
  const targets = [
    { name: 'casplus', base: `http://127.0.0.1:${cas.ports.http}/cas`, pids: workerdPids(cas.child.pid), scenarios: CAS.map((n) => [n, SCENARIO[n]]) },
    { name: 'reference', base: `http://127.0.0.1:${ref.ports.http}`, pids: workerdPids(ref.child.pid), scenarios: REF.map((n) => [n, REF_SCENARIO[n]]) },
  ];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of targets) {
      for (const [name, s] of t.scenarios) {
        const { done, cpu } = await measure(s, t.base, t.pids);
        const ms = cpu / done;
        const key = `${t.name} ${name}`;
        console.log(`round ${round} ${key.padEnd(20)} ${String(done).padStart(6)} requests  ${cpu.toFixed(0).padStart(6)} ms CPU  ${ms.toFixed(3)} ms/request`);
        if (!(key in best) || ms < best[key].ms) best[key] = { ms, done, cpu };
      }
    }
  }
} finally {
  for (const w of [cas, ref]) { try { process.kill(-w.child.pid, 'SIGTERM'); } catch { /* gone */ } }
  for (const s of states) rmSync(s, { recursive: true, force: true });
}
const ms = (k) => best[k]?.ms;
const noop = ms('reference noop');
const do1 = ms('reference do1');
const row = (label, value, base, baseName) => console.log(`| ${label} | ${value.toFixed(3)} | ${base === undefined ? '' : `${(value - base).toFixed(3)} (minus ${baseName})`} |`);
console.log('\n| request | workerd CPU ms per request | casplus\'s own (minus the reference) |\n|---|---|---|');
for (const n of REF) if (ms(`reference ${n}`) !== undefined) row(`reference ${n}`, ms(`reference ${n}`));
const has = (n) => ms(`casplus ${n}`) !== undefined;
if (has('floor')) row('floor (404)', ms('casplus floor'), noop, 'noop');
// A login form touches no storage (its login ticket is stored only when used: issue 16).
if (has('form')) row('login form', ms('casplus form'), noop, 'noop');
if (has('post') && has('form')) row('login POST (PBKDF2) = 2 × post − form', 2 * ms('casplus post') - ms('casplus form'), do1, 'do1');
if (has('sso')) row('SSO', ms('casplus sso'), do1, 'do1');
if (has('validate') && has('sso')) row('serviceValidate = 2 × validate − SSO', 2 * ms('casplus validate') - ms('casplus sso'), do1, 'do1');
// One Durable Object call (the revocation check), with the KV read beside it.
if (has('proxy')) row('proxy (unknown PGT)', ms('casplus proxy'), do1, 'do1');
if (has('logout')) row('logout (no session)', ms('casplus logout'), noop, 'noop');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(best, null, 1));
agent.destroy();
