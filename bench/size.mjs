// `make size`: the Worker bundle's size and start-up cost.
//  - size: worker/build/index_bg.wasm and index.js, raw and `gzip -9` (and, apart, the
//    TACACS+ gateway Worker's, worker/aaa/build: loaded only for TACACS+);
//  - wasm start-up: WebAssembly.compile + instantiate of the Worker wasm in V8 (Debian
//    Chromium, headless: Node 20's V8 lacks the wasm exception-handling opcodes workerd
//    has; a deployed Worker may not compile wasm at run time), median of SIZE_RUNS (15);
//  - wrangler dev: time from spawn to the first 200 of /cas/login (prebuilt Worker, fresh
//    state, free loopback port, own process group), median of SIZE_WRANGLER_RUNS (3), and
//    the first request's latency; the same for the runtime reference (bench/runtime-ref, no
//    code: its /cas/x), started in turn with casplus.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const RUNS = Number(process.env.SIZE_RUNS ?? 15);
const WRANGLER_RUNS = Number(process.env.SIZE_WRANGLER_RUNS ?? 3);
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

const files = ['worker/build/index_bg.wasm', 'worker/build/index.js'];
// gzip -9 as `make build-worker` prints it (Debian gzip, not zlib: they differ by a few KB).
const gzipped = (f) => execFileSync('gzip', ['-9c', f], { maxBuffer: 1 << 26 }).length;
const rows = files.map((f) => [f, readFileSync(f).length, gzipped(f)]);
const total = rows.reduce((a, r) => [a[0] + r[1], a[1] + r[2]], [0, 0]);

// --- wasm compile + instantiate in Chromium's V8 -------------------------------------
const wasm = readFileSync('worker/build/index_bg.wasm');
/** compile + instantiate timings in a fresh headless Chromium started with `jsFlags`. */
async function v8Timings(jsFlags) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic', ...(jsFlags ? [`--js-flags=${jsFlags}`] : [])],
  });
  try {
    const page = await browser.newPage();
    const t = await page.evaluate(async ({ b64, runs }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const c = []; const i = [];
      for (let r = 0; r < runs; r += 1) {
        // A custom section with the run number makes each module new to V8's module cache
        // (same bytes would be a cache hit after the first run).
        const run = new Uint8Array(bytes.length + 10);
        run.set(bytes);
        run.set([0, 8, 3, 0x72, 0x75, 0x6e, r & 255, (r >> 8) & 255, 0, 0], bytes.length);
        const t0 = performance.now();
        const m = await WebAssembly.compile(run);
        const t1 = performance.now();
        const imports = {};
        for (const imp of WebAssembly.Module.imports(m)) {
          (imports[imp.module] ??= {})[imp.name] = imp.kind === 'tag'
            ? (WebAssembly.JSTag ?? new WebAssembly.Tag({ parameters: ['externref'] }))
            : () => undefined;
        }
        await WebAssembly.instantiate(m, imports);
        const t2 = performance.now();
        c.push(t1 - t0); i.push(t2 - t1);
      }
      return { compile: c, instantiate: i };
    }, { b64: wasm.toString('base64'), runs: RUNS });
    return { ...t, version: browser.version() };
  } finally {
    await browser.close();
  }
}
// V8's default (as in workerd): lazy compilation, functions compiled (Liftoff) on first
// call; and everything compiled up front with Liftoff, an upper bound for a cold start.
const lazy = await v8Timings('');
const eager = await v8Timings('--no-wasm-lazy-compilation --no-wasm-tier-up');

// --- wrangler dev: spawn → first 200 --------------------------------------------------
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}
// casplus (the repository's wrangler.toml, its login form: no storage) and the runtime
// reference (bench/runtime-ref: a JavaScript Worker with no code, the same asset router in
// front; its no-op 404), started in turn.
const TARGETS = {
  casplus: { cwd: '.', path: '/cas/login', status: 200 },
  reference: { cwd: 'bench/runtime-ref', path: '/cas/x', status: 404 },
};
async function wranglerStart({ cwd, path, status }) {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'casplus-size-'));
  const t0 = performance.now();
  const child = spawn(resolve('node_modules/.bin/wrangler'), ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state], {
    cwd, detached: true, stdio: 'ignore',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
  });
  let ready; let first;
  try {
    for (let i = 0; i < 1200 && ready === undefined; i += 1) {
      const t = performance.now();
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        await res.arrayBuffer();
        if (res.status === status) { ready = performance.now() - t0; first = performance.now() - t; }
      } catch { await new Promise((r) => setTimeout(r, 50)); }
    }
  } finally {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => { const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } r(); }, 3000); child.once('exit', () => { clearTimeout(t); r(); }); });
    rmSync(state, { recursive: true, force: true });
  }
  if (ready === undefined) throw new Error(`wrangler dev in ${cwd} never answered ${status}`);
  return { ready, first };
}
const starts = { casplus: [], reference: [] };
for (let r = 0; r < WRANGLER_RUNS; r += 1) {
  for (const [name, t] of Object.entries(TARGETS)) starts[name].push(await wranglerStart(t));
}

console.log('| artifact | bytes | gzip -9 |');
console.log('|---|---:|---:|');
for (const [f, raw, gz] of rows) console.log(`| \`${f}\` | ${raw} (${kb(raw)}) | ${gz} (${kb(gz)}) |`);
console.log(`| total | ${total[0]} (${kb(total[0])}) | ${total[1]} (${kb(total[1])}) |`);
for (const f of ['worker/aaa/build/index_bg.wasm', 'worker/aaa/build/index.js']) {
  const raw = readFileSync(f).length; const gz = gzipped(f);
  console.log(`| \`${f}\` (TACACS+ gateway, not in the total) | ${raw} (${kb(raw)}) | ${gz} (${kb(gz)}) |`);
}
console.log('');
console.log(`| start-up step | median ms | min–max ms | runs |`);
console.log('|---|---:|---:|---:|');
const line = (name, a) => console.log(`| ${name} | ${median(a).toFixed(1)} | ${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)} | ${a.length} |`);
line(`\`WebAssembly.compile\`, lazy (V8 default; Chromium ${lazy.version})`, lazy.compile);
line('`WebAssembly.instantiate` (stub imports)', lazy.instantiate);
line('`WebAssembly.compile`, eager (every function, Liftoff)', eager.compile);
line('`wrangler dev` spawn → first 200 of `/cas/login`', starts.casplus.map((s) => s.ready));
line('that first request (cold isolate)', starts.casplus.map((s) => s.first));
line('reference (no code, same asset router): spawn → first answer of `/cas/x`', starts.reference.map((s) => s.ready));
line('reference: that first request (cold isolate)', starts.reference.map((s) => s.first));
