// CPU time per request, per endpoint (issue 16): the process CPU time of workerd (user +
// system, from /proc) over closed-loop runs of one kind of request, divided by the requests
// answered, for the CAS Worker and, interleaved with it, for the runtime reference
// (bench/runtime-ref: a JavaScript Worker with no application code, configured like casplus:
// the asset router in front). The difference is what casplus's own code costs per request.
// No profiler is attached.
//
// Each casplus request is paired with the reference doing the runtime work the protocol
// needs, with no code (bench/runtime-ref/index.js), and the two run in turn in BENCH_SLICES
// (default 8) slices of BENCH_SLICE_SECONDS (default 1.5) each, so that a change of the
// machine's load weighs on both alike:
//   floor (404 page), form (the login form)   with noop (404 'not found')
//   post (form + POST: throttle counters, the spent login ticket, the session's object,
//     the PBKDF2 check; the POST alone = 2 × post − form) with do1 (reported apart)
//   sso (one object call that must store its service ticket, one audit line) with put
//   validate (SSO + /p3/serviceValidate, taking the ticket; the validation alone =
//     2 × validate − sso) with pair (put then take; take alone = 2 × pair − put)
//   proxy (a KV read beside one object call, one audit line) with kvdo1log
//   logout (no session: a page and one audit line) with log
// What is left is casplus's own: its wasm entry, engine, storage beyond the reference's one
// row (an SSO also writes its TGT back), pages.
//
// The same reference as a Rust Worker (bench/runtime-ref-rust: the same routes, built by the
// same toolchain as casplus, through the same runtime interfaces) runs in turn with both, so
// the difference splits in two: Rust reference − JavaScript reference = what Rust on Workers
// costs (worker-build's entry, wasm-bindgen's glue and futures), casplus − Rust reference =
// what casplus's own code costs. BENCH_RUST_REF=0 leaves it out.
//
// BENCH_SCENARIOS picks casplus's (default all), BENCH_USERS (default 8). `make bench-cpu`
// builds all three first (the size-optimised builds).
// node bench/cpu-per-request.mjs [--json FILE]
import { existsSync, readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent } from './http.mjs';
import { REF_SCENARIO, SCENARIO, freePort, startWrangler } from './worker-dev.mjs';

const SLICES = Number(process.env.BENCH_SLICES ?? 8);
const SLICE = Number(process.env.BENCH_SLICE_SECONDS ?? 1.5);
const USERS = Number(process.env.BENCH_USERS ?? 8);
// casplus's scenario → the reference's that does the same runtime work.
const PAIRS = { floor: 'noop', form: 'noop', post: 'do1', sso: 'put', validate: 'pair', proxy: 'kvdo1log', logout: 'log' };
// BENCH_PAIRS=floor:page,… pairs other references (e.g. the floor with a page of its size).
for (const p of (process.env.BENCH_PAIRS ?? '').split(',').filter(Boolean)) { const [c, r] = p.split(':'); PAIRS[c] = r; }
const CAS = (process.env.BENCH_SCENARIOS ?? Object.keys(PAIRS).join(',')).split(',');
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

/** The users of scenario `s` against `base`, logged in and warmed up. */
async function prepare(s, base) {
  const users = [];
  // One login at a time: concurrent logins of one user hold places on its throttle counter.
  for (let i = 0; i < (s.users ?? USERS); i++) users.push(await s.prepare(base, i));
  for (const u of users) await s.run(base, u);
  return users;
}

/** One closed-loop slice of `s` against `base`: requests answered and workerd CPU ms. */
async function slice(s, base, users, pids) {
  let done = 0;
  const cpu0 = cpuMs(pids);
  const end = performance.now() + SLICE * 1000;
  await Promise.all(users.map(async (u) => {
    while (performance.now() < end) { await s.run(base, u); done += s.requests ?? 1; }
  }));
  return { done, cpu: cpuMs(pids) - cpu0 };
}

const RUST = process.env.BENCH_RUST_REF !== '0';
const dirs = [['casplus', '.'], ['reference', 'bench/runtime-ref'], ...(RUST ? [['rust', 'bench/runtime-ref-rust']] : [])];
if (RUST && !existsSync('bench/runtime-ref-rust/build/index.js')) throw new Error('no bench/runtime-ref-rust/build: run `make bench-cpu` (it builds the Rust reference)');
const states = dirs.map(([name]) => mkdtempSync(join(tmpdir(), `casplus-cpu-${name}-`)));
// BENCH_PORTS=HTTP,INSPECTOR,REF_HTTP,REF_INSPECTOR[,RUST_HTTP,RUST_INSPECTOR]: fixed ports (default: free ones).
const fixed = (process.env.BENCH_PORTS ?? '').split(',').filter(Boolean).map(Number);
const port = async (i) => fixed[i] ?? (i % 2 ? await freePort() : 0);
const servers = [];
for (const [i, [, dir]] of dirs.entries()) servers.push(await startWrangler(states[i], await port(2 * i + 1), dir, await port(2 * i)));
// All under /cas: the references' wrangler.toml run them first for /cas/* like casplus's.
const best = {};
try {
  const sides = dirs.map(([name], i) => ({
    name, base: `http://127.0.0.1:${servers[i].ports.http}/cas`, pids: workerdPids(servers[i].child.pid), of: i === 0 ? SCENARIO : REF_SCENARIO,
  }));
  for (const name of CAS) {
    const runs = [];
    for (const side of sides) {
      const n = side.name === 'casplus' ? name : PAIRS[name];
      runs.push({ side, n, s: side.of[n], users: await prepare(side.of[n], side.base), done: 0, cpu: 0 });
    }
    for (let i = 0; i < SLICES; i++) {
      for (const r of runs) { const { done, cpu } = await slice(r.s, r.side.base, r.users, r.side.pids); r.done += done; r.cpu += cpu; }
    }
    for (const r of runs) {
      // A reference's figure is kept per pairing (it ran beside that casplus scenario).
      const key = r.side.name === 'casplus' ? `casplus ${r.n}` : `${r.side.name} ${r.n} (with ${name})`;
      best[key] = { ms: r.cpu / r.done, done: r.done, cpu: r.cpu };
      console.log(`${key.padEnd(32)} ${String(r.done).padStart(6)} requests  ${r.cpu.toFixed(0).padStart(6)} ms CPU  ${(r.cpu / r.done).toFixed(3)} ms/request`);
    }
  }
} finally {
  for (const w of servers) { try { process.kill(-w.child.pid, 'SIGTERM'); } catch { /* gone */ } }
  for (const s of states) rmSync(s, { recursive: true, force: true });
}
const ms = (k) => best[k]?.ms;
const refOf = (name, side = 'reference') => ms(`${side} ${PAIRS[name]} (with ${name})`);
const f = (x) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3));
console.log(`\n| request | casplus | JavaScript reference | casplus's own (the difference) |${RUST ? ' Rust reference | of which Rust on Workers (Rust − JavaScript) | of which casplus\'s code (casplus − Rust) |' : ''}`);
console.log(`|---|---|---|---|${RUST ? '---|---|---|' : ''}`);
// Each figure: workerd CPU ms per request.
const row = (label, value, base, baseName, rust) => console.log(`| ${label} | ${f(value)} | ${f(base)} (${baseName}) | **${f(value - base)}** |${
  RUST ? ` ${f(rust)} | ${f(rust - base)} | **${f(value - rust)}** |` : ''}`);
const has = (n) => ms(`casplus ${n}`) !== undefined;
for (const [n, label] of [['floor', 'floor (404)'], ['form', 'login form'], ['sso', 'SSO'], ['proxy', 'proxy (unknown PGT)'], ['logout', 'logout (no session)']]) {
  if (has(n)) row(label, ms(`casplus ${n}`), refOf(n), PAIRS[n], refOf(n, 'rust'));
}
if (has('validate') && has('sso')) {
  // Both composites less their first request: the validation, and the references' take.
  const v = 2 * ms('casplus validate') - ms('casplus sso');
  const take = (side) => 2 * refOf('validate', side) - refOf('sso', side);
  row('serviceValidate = 2 × validate − SSO', v, take('reference'), 'take = 2 × pair − put', take('rust'));
}
if (has('post') && has('form')) {
  // The PBKDF2 check of the password dominates: reported apart (the issue's exception).
  row('login POST, PBKDF2 = 2 × post − form', 2 * ms('casplus post') - ms('casplus form'), refOf('post'), 'do1', refOf('post', 'rust'));
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(best, null, 1));
agent.destroy();
