// Two builds of the CAS Worker side by side (issue 16's before/after): both under
// `wrangler dev` at once, loaded in turn in short interleaved slices, so that whatever else
// runs on the machine weighs on both alike. Per scenario: requests per second and workerd
// CPU time (/proc, user + system) per request of each build, and their ratio.
//
// node bench/ab-worker.mjs OLD_BUILD_DIR NEW_BUILD_DIR (copies of worker/build after
// `make build-worker`). BENCH_SCENARIOS (default floor,sso,validate), BENCH_SLICES (default 8)
// slices of BENCH_SLICE_SECONDS (default 1.5) per build and scenario, BENCH_USERS (8),
// BENCH_PORTS=OLD_HTTP,OLD_INSPECTOR,NEW_HTTP,NEW_INSPECTOR (default: free ones).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { agent } from './http.mjs';
import { SCENARIO, freePort, startWrangler } from './worker-dev.mjs';

const [oldDir, newDir] = process.argv.slice(2).map((d) => resolve(d));
if (!newDir) { console.error('usage: ab-worker.mjs OLD_BUILD_DIR NEW_BUILD_DIR'); process.exit(2); }
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'floor,sso,validate').split(',');
const SLICES = Number(process.env.BENCH_SLICES ?? 8);
const SLICE = Number(process.env.BENCH_SLICE_SECONDS ?? 1.5);
const USERS = Number(process.env.BENCH_USERS ?? 8);
const fixed = (process.env.BENCH_PORTS ?? '').split(',').filter(Boolean).map(Number);

/** CPU ms (user + system) of the workerd processes in process group `pgid`. */
function workerdCpuMs(pgid) {
  let ticks = 0; let found = false;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && stat.includes('(workerd)')) { ticks += Number(f[11]) + Number(f[12]); found = true; }
    } catch { /* gone */ }
  }
  if (!found) throw new Error(`no workerd in process group ${pgid}`);
  return ticks * 10; // USER_HZ = 100
}

/** A directory with the repository's wrangler.toml pointed at the build in `dir`. */
function configFor(dir) {
  const at = mkdtempSync(join(tmpdir(), 'casplus-ab-'));
  const toml = readFileSync('wrangler.toml', 'utf8')
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(dir, 'index.js'))}`)
    .replace(/^directory = "www"$/m, `directory = ${JSON.stringify(resolve('www'))}`);
  writeFileSync(join(at, 'wrangler.toml'), toml);
  return at;
}

const builds = [];
try {
  for (const [i, dir] of [oldDir, newDir].entries()) {
    const cwd = configFor(dir);
    const w = await startWrangler(join(cwd, 'state'), fixed[2 * i + 1] ?? await freePort(), cwd, fixed[2 * i] ?? 0);
    builds.push({ name: i ? 'new' : 'old', cwd, w, base: `http://127.0.0.1:${w.ports.http}/cas` });
  }
  for (const name of SCENARIOS) {
    const s = SCENARIO[name];
    for (const b of builds) {
      b.users = [];
      for (let i = 0; i < (s.users ?? USERS); i++) b.users.push(await s.prepare(b.base, i));
      for (const u of b.users) await s.run(b.base, u);
      b.done = 0; b.cpu = 0; b.secs = 0;
    }
    for (let k = 0; k < SLICES; k++) {
      for (const b of (k % 2 ? [...builds].reverse() : builds)) {
        const cpu0 = workerdCpuMs(b.w.child.pid);
        const t0 = performance.now();
        const end = t0 + SLICE * 1000;
        await Promise.all(b.users.map(async (u) => {
          while (performance.now() < end) { await s.run(b.base, u); b.done += s.requests ?? 1; }
        }));
        b.secs += (performance.now() - t0) / 1000;
        b.cpu += workerdCpuMs(b.w.child.pid) - cpu0;
      }
    }
    const [o, n] = builds;
    const line = (b) => `${(b.done / b.secs).toFixed(1)} req/s, ${(b.cpu / b.done).toFixed(3)} ms CPU/req`;
    console.log(`${name.padEnd(9)} old ${line(o)} | new ${line(n)} | new/old throughput ×${((n.done / n.secs) / (o.done / o.secs)).toFixed(2)}, CPU per request ×${((n.cpu / n.done) / (o.cpu / o.done)).toFixed(2)}`);
  }
} finally {
  for (const b of builds) {
    try { process.kill(-b.w.child.pid, 'SIGTERM'); } catch { /* gone */ }
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const b of builds) rmSync(b.cwd, { recursive: true, force: true });
}
agent.destroy();
