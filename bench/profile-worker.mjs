// Where the CAS Worker's CPU time goes (issue 16): a CPU profile of workerd under load,
// taken through its inspector port with the DevTools protocol (Profiler domain), per
// scenario, and summed by function and by kind (wasm code by crate, the JavaScript glue,
// the runtime's own work, garbage collection).
//
// Read it as proportions: the sampler charges the time between two samples to the stack it
// finds, so on a busy machine (other processes on the same cores) the absolute "CPU" is
// inflated, and sampling itself slows the isolate; the split between wasm, glue and
// runtime is what this tells.
//
// `make profile-worker` builds the Worker with its function names kept (WORKER_KEEP_NAMES=1,
// so wasm frames have Rust names) and runs this script, which starts `wrangler dev` itself on
// 127.0.0.1 with an inspector port and stops it by its process group when done.
//
// For each scenario (BENCH_SCENARIOS, default "floor,form,sso,validate,proxy,logout"; also "post"),
// USERS closed-loop users (BENCH_USERS, default 8) send requests for BENCH_SECONDS
// (default 5) while the profiler samples every BENCH_SAMPLE_US µs (default 200); the script prints the requests
// answered, the sampled CPU time per request (everything the isolate did that was not
// idle, divided by the requests) and the top functions by self time.
// node bench/profile-worker.mjs [--json FILE]
import { agent } from './http.mjs';
import { REF_SCENARIO, SCENARIO, freePort, startWrangler } from './worker-dev.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import WebSocket from 'ws';
import { join } from 'node:path';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const USERS = Number(process.env.BENCH_USERS ?? 8);
// BENCH_REF=1: profile the runtime reference (bench/runtime-ref, scenarios noop, do1, do2,
// log) instead: what the runtime spends on a request with no application code.
const REF = process.env.BENCH_REF === '1';
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? (REF ? 'noop,do1,log' : 'floor,form,sso,validate,proxy,logout')).split(',');
const TOP = Number(process.env.BENCH_TOP ?? 18);
// The functions whose inclusive time is listed too (BENCH_INCLUSIVE, a regular expression).
const INCLUSIVE = new RegExp(process.env.BENCH_INCLUSIVE ?? '^(<)?(casplus_worker|worker)(\\[[0-9a-f]+\\])?::');
const SAMPLE_US = Number(process.env.BENCH_SAMPLE_US ?? 200);
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;

/** A DevTools protocol session over the inspector's WebSocket. */
async function devtools(url) {
  // wrangler's inspector proxy accepts loopback origins only.
  const ws = new WebSocket(url, { origin: 'http://127.0.0.1' });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = (e) => reject(new Error(`inspector ${url}: ${e.message}`)); });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
    }
  };
  return {
    send: (method, params = {}) => new Promise((resolve, reject) => {
      id += 1;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

async function profileScenario(cdp, base, name) {
  const s = (REF ? REF_SCENARIO : SCENARIO)[name];
  // One login at a time: concurrent logins of one user hold places on its throttle counter.
  const users = [];
  for (let i = 0; i < (s.users ?? USERS); i++) users.push(await s.prepare(base, i));
  // Warm the isolate and the code paths, then sample.
  for (const u of users) await s.run(base, u);
  await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLE_US });
  await cdp.send('Profiler.start');
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(users.map(async (u) => {
    while (performance.now() < end) { await s.run(base, u); done += s.requests ?? 1; }
  }));
  const { profile } = await cdp.send('Profiler.stop');
  return { done, profile };
}

function kind(frame) {
  const { functionName: f, url } = frame;
  if (f === '(idle)') return 'idle';
  if (f === '(garbage collector)') return 'gc';
  if (f === '(program)' || f === '(root)') return 'runtime';
  if (url.startsWith('wasm://') || /^\$?[a-z_]+::|^<|^core::|^alloc::/.test(f)) {
    const m = f.match(/^(?:<)?([a-z_0-9]+)(?:\[[0-9a-f]+\])?::/);
    return `wasm ${m ? m[1] : '?'}`;
  }
  return 'js';
}

// The categories of issue 16, by the Worker's frames on a sample's stack: the frame
// nearest the leaf that matches one names the category (allocation: the leaf itself).
// Samples with no Worker frame are the runtime's: the entry shim of worker-build, wrangler
// dev's middleware, the Response constructor, promise jobs, (program), garbage collection.
const CATEGORIES = [
  ['allocation', /^(talc|alloc::alloc|__rustc.*(alloc|dealloc|realloc)|<alloc::alloc::Global|dlmalloc)/, 'leaf'],
  ['URL and cookie parsing', /casplus::url::|cookie|requrl::/],
  ['console logging', /log::audit|log::fault|console_(log|error)|__wbg_log|__wbg_error/],
  ['config access', /config::load/],
  ['request conversion (JS to wasm)', /From<web_sys::features::gen_Request|gen_Request::Request::|gen_Headers::Headers::get|body::read|routes::handle|routes::prepare/],
  ['response building', /reply::respond|From<worker::response::Response>|Response::from_bytes|gen_Response::Response::new|gen_Headers::Headers::(set|append|new)|gen_ResponseInit/],
  ['HTML pages', /html::/],
  ['storage calls (Durable Object, KV)', /store::|guard::|session::hand_off|SqlStorage|KvStore|object::/],
  ['CAS engine', /^(<)?casplus::/],
];
function category(chain) {
  const leaf = chain[0].callFrame.functionName;
  if (leaf === '(idle)') return 'idle';
  if (leaf === '(garbage collector)') return 'runtime: garbage collection';
  for (const [name, re, where] of CATEGORIES) if (where === 'leaf' && re.test(leaf)) return name;
  for (const n of chain) {
    for (const [name, re, where] of CATEGORIES) if (!where && re.test(n.callFrame.functionName)) return name;
  }
  const wasm = chain.some((n) => n.callFrame.url.startsWith('wasm://'));
  return wasm ? 'other wasm (futures, glue)' : 'runtime: no Worker frame (entry shim, dev middleware, promise jobs, program)';
}

function summarise(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]);
    self.set(node, (self.get(node) ?? 0) + dt);
  }
  const byFn = new Map();
  const byKind = new Map();
  for (const [node, us] of self) {
    const f = node.callFrame;
    const k = kind(f);
    // JavaScript frames by place too: the bundle is minified, many functions are anonymous.
    const at = f.url && !f.url.startsWith('wasm://') ? `:${f.lineNumber + 1}:${f.columnNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${f.url ? f.url.replace(/^.*\//, '') + at : ''}`.trim();
    byFn.set(key, { us: (byFn.get(key)?.us ?? 0) + us, kind: k, frame: f });
    byKind.set(k, (byKind.get(k) ?? 0) + us);
  }
  // Inclusive time of the Worker's own Rust functions (and workers-rs's): a function's
  // share is every sample with it anywhere on the stack (counted once per sample).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const total = new Map();
  const byCategory = new Map();
  for (const [node, us] of self) {
    const chain = [];
    for (let n = node; n; n = parent.get(n.id)) chain.push(n);
    const c = category(chain);
    byCategory.set(c, (byCategory.get(c) ?? 0) + us);
    const seen = new Set();
    for (let n = node; n; n = parent.get(n.id)) {
      const f = n.callFrame.functionName;
      if (INCLUSIVE.test(f)) seen.add(f.replace(/::h[0-9a-f]{16}$/, ''));
    }
    for (const f of seen) total.set(f, (total.get(f) ?? 0) + us);
  }
  return { byFn, byKind, total, byCategory };
}

/** The first characters of a JavaScript function's source (minified bundles), or ''. */
const sources = new Map();
async function snippet(cdp, frame) {
  if (!frame.url || frame.url.startsWith('wasm://') || !frame.scriptId || frame.scriptId === '0') return '';
  if (!sources.has(frame.scriptId)) {
    sources.set(frame.scriptId, cdp.send('Debugger.getScriptSource', { scriptId: frame.scriptId })
      .then((r) => r.scriptSource.split('\n'), () => []));
  }
  const line = (await sources.get(frame.scriptId))[frame.lineNumber] ?? '';
  // What precedes an anonymous function names it (`__wbg_set_…: function(e) {`).
  return `${line.slice(Math.max(0, frame.columnNumber - 70), frame.columnNumber)}⁁${line.slice(frame.columnNumber, frame.columnNumber + 70)}`.replace(/\s+/g, ' ');
}

const state = mkdtempSync(join(tmpdir(), 'casplus-profile-'));
const w = await startWrangler(state, Number(process.env.BENCH_INSPECTOR_PORT ?? await freePort()), REF ? 'bench/runtime-ref' : '.', Number(process.env.BENCH_HTTP_PORT ?? 0));
const results = {};
try {
  const base = `http://127.0.0.1:${w.ports.http}/cas`;
  const targets = await (await fetch(`http://127.0.0.1:${w.ports.inspector}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  const cdp = await devtools(target.webSocketDebuggerUrl);
  await cdp.send('Profiler.enable');
  // For the sources of minified JavaScript frames (no breakpoints are set).
  await cdp.send('Debugger.enable');
  for (const name of SCENARIOS) {
    const { done, profile } = await profileScenario(cdp, base, name);
    const { byFn, byKind, total, byCategory } = summarise(profile);
    // BENCH_RAW_DIR: the raw profiles too (open them in Chromium's DevTools, Performance tab).
    if (process.env.BENCH_RAW_DIR) writeFileSync(join(process.env.BENCH_RAW_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    const busy = [...byKind].filter(([k]) => k !== 'idle').reduce((a, [, us]) => a + us, 0);
    const perRequest = busy / done / 1000;
    console.log(`\n## ${name}: ${done} requests in ${SECONDS} s, sampled CPU ${(busy / 1000).toFixed(0)} ms → ${perRequest.toFixed(3)} ms per request`);
    const kinds = [...byKind].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]);
    console.log(kinds.map(([k, us]) => `${k} ${(100 * us / busy).toFixed(1)} %`).join(', '));
    const cats = [...byCategory].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]);
    console.log('by category:');
    for (const [k, us] of cats) console.log(`  ${(100 * us / busy).toFixed(1).padStart(5)} %  ${(us / done / 1000).toFixed(4)} ms/req  ${k}`);
    const top = [...byFn].filter(([, v]) => v.kind !== 'idle').sort((a, b) => b[1].us - a[1].us).slice(0, TOP);
    for (const [f, v] of top) {
      const code = await snippet(cdp, v.frame);
      console.log(`  ${(100 * v.us / busy).toFixed(1).padStart(5)} %  ${(v.us / done / 1000).toFixed(4)} ms/req  ${f.slice(0, 150)}${code ? `  ‹${code}›` : ''}`);
    }
    const inclusive = [...total].sort((a, b) => b[1] - a[1]).slice(0, TOP);
    if (inclusive.length) console.log(`  inclusive (${INCLUSIVE.source}):`);
    for (const [f, us] of inclusive) console.log(`  ${(100 * us / busy).toFixed(1).padStart(5)} %  ${(us / done / 1000).toFixed(4)} ms/req  ${f.slice(0, 150)}`);
    results[name] = { requests: done, seconds: SECONDS, busyMs: busy / 1000, msPerRequest: perRequest,
      kinds: Object.fromEntries(kinds.map(([k, us]) => [k, us / 1000])),
      categories: Object.fromEntries(cats.map(([k, us]) => [k, us / 1000])),
      top: top.map(([f, v]) => ({ fn: f, ms: v.us / 1000 })),
      inclusive: inclusive.map(([f, us]) => ({ fn: f, ms: us / 1000 })) };
  }
  cdp.close();
} finally {
  try { process.kill(-w.child.pid, 'SIGTERM'); } catch { /* gone */ }
  rmSync(state, { recursive: true, force: true });
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 1));
agent.destroy();
