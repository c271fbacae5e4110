// CAS load on loopback, the same way against several servers in one run (bench/cas-load.sh
// starts them): for each target, USERS users log in once (each its own SSO session), then
// for BENCH_SECONDS each scenario runs closed-loop (every user sends its next request when
// the previous one is answered), in BENCH_SLICES (default 5) slices interleaved with the
// other targets' scenario of the same rank (casplus floor, django floor, reference noop,
// casplus floor, …: a change of the machine's load weighs on all alike):
//   floor GET /no-such-endpoint → 404 (no storage): the runtime's own ceiling
//   sso   GET /login?service=S with the SSO cookie → 302 to S?ticket=ST-…
//   pair  the same, then GET /serviceValidate?service=S&ticket=ST-… → authenticationSuccess
// Prints operations/s and p50/p99 latency per target and scenario, the ratios of the first
// target to the others, and a JSON line (BENCH_JSON=FILE writes it to FILE).
//
// A target `ref:NAME=ORIGIN` is a runtime reference Worker (bench/runtime-ref in JavaScript,
// bench/runtime-ref-rust the same as a Rust Worker): no login;
// ORIGIN ends in /cas like casplus's base (it is configured like casplus: the same asset router
// in front); scenarios noop (GET /cas/x → 404), do1 and do2 (one / two Durable Object round
// trips, each user its own object), put and pair (what an SSO and its validation must store
// and take), page (a 404 page like casplus's). It tells what `wrangler dev` allows before
// any CAS work.
//
// node bench/cas-load.mjs NAME=BASE_URL ... (e.g. casplus=http://127.0.0.1:8788/cas)
import { agent, request } from './http.mjs';
import { writeFileSync } from 'node:fs';

const SERVICE = process.env.BENCH_SERVICE ?? 'http://127.0.0.1:9/app';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const SLICES = Number(process.env.BENCH_SLICES ?? 5);
const USERS = Number(process.env.BENCH_USERS ?? 8);
const USER = process.env.BENCH_USER ?? 'casuser';
const PASSWORD = process.env.BENCH_PASSWORD ?? 'Mellon';


/** A cookie jar of one user (name → value). */
class Jar {
  constructor() { this.cookies = new Map(); }
  take(res) {
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

const hidden = (html, name) => html.match(new RegExp(`name="${name}"[^>]*value="([^"]*)"`))?.[1]
  ?? html.match(new RegExp(`value="([^"]*)"[^>]*name="${name}"`))?.[1];

/** Logs one user in through the login form; returns the jar holding the SSO cookie. */
async function login(base) {
  const jar = new Jar();
  const loginUrl = `${base}/login?service=${encodeURIComponent(SERVICE)}`;
  const form = await request(loginUrl);
  jar.take(form);
  if (form.status !== 200) throw new Error(`${base}: login form ${form.status}`);
  const fields = { username: USER, password: PASSWORD, service: SERVICE };
  for (const name of ['lt', 'execution', 'csrfmiddlewaretoken']) {
    const v = hidden(form.body, name);
    if (v !== undefined) fields[name] = v.replaceAll('&amp;', '&');
  }
  const body = new URLSearchParams(fields).toString();
  const res = await request(loginUrl, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), Cookie: jar.header() },
  });
  jar.take(res);
  if (![302, 303].includes(res.status) || !/ticket=ST-/.test(res.headers.location ?? '')) {
    throw new Error(`${base}: login POST ${res.status} ${res.headers.location ?? res.body.slice(0, 300)}`);
  }
  return jar;
}

/** SSO: a service ticket from the session. */
async function sso(base, jar) {
  const res = await request(`${base}/login?service=${encodeURIComponent(SERVICE)}`, { headers: { Cookie: jar.header() } });
  const st = (res.headers.location ?? '').match(/[?&]ticket=(ST-[^&]+)/)?.[1];
  if (res.status !== 302 && res.status !== 303) throw new Error(`sso ${res.status}`);
  if (!st) throw new Error(`sso without ticket: ${res.headers.location}`);
  return decodeURIComponent(st);
}

async function validate(base, st) {
  const q = new URLSearchParams({ service: SERVICE, ticket: st });
  const res = await request(`${base}/serviceValidate?${q}`);
  if (res.status !== 200 || !res.body.includes(`<cas:user>${USER}</cas:user>`)) {
    throw new Error(`serviceValidate ${res.status} ${res.body.slice(0, 200)}`);
  }
}

const SCENARIOS = {
  // The runtime's ceiling: a request the server answers 404 without touching storage.
  floor: async (base) => {
    const res = await request(`${base}/no-such-endpoint`);
    if (res.status !== 404) throw new Error(`floor: HTTP ${res.status}`);
  },
  sso: async (base, jar) => { await sso(base, jar); },
  pair: async (base, jar) => { await validate(base, await sso(base, jar)); },
};

/** GET `url`, expecting `status`. */
async function expect(url, status) {
  const res = await request(url);
  if (res.status !== status) throw new Error(`${url}: HTTP ${res.status}`);
}

// In the order of SCENARIOS' ranks (each runs interleaved with casplus's of the same rank):
// put, one round trip in which the object stores a ticket-sized row, then one audit line,
// is the runtime's part of an SSO (which must store its ST); pair, that and a second round
// trip taking the row (single use), each with its audit line, is the runtime's part of an
// SSO and its validation. do1 and do2 are bare round trips (a one-row read).
let serial = 0;
const REF_SCENARIOS = {
  noop: (origin) => expect(`${origin}/x`, 404),
  put: (origin, user) => expect(`${origin}/put?s=${user}&k=ST-${++serial}`, 200),
  pair: async (origin, user) => {
    const k = `ST-${++serial}`;
    await expect(`${origin}/put?s=${user}&k=${k}`, 200);
    await expect(`${origin}/take?s=${user}&k=${k}`, 200);
  },
  do1: (origin, user) => expect(`${origin}/do?s=${user}`, 200),
  do2: (origin, user) => expect(`${origin}/do2?s=${user}`, 200),
  // casplus's floor is its 404 page (1 866 bytes, six headers): the same page with no code.
  page: (origin) => expect(`${origin}/page`, 404),
};

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Runs `op` for every user until `seconds` pass; returns ops/s, latencies and errors. */
async function run(base, jars, op, seconds) {
  const lat = [];
  let errors = 0; let firstError;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(jars.map(async (jar) => {
    while (performance.now() < end) {
      const t = performance.now();
      try { await op(base, jar); lat.push(performance.now() - t); } catch (e) { errors++; firstError ??= e.message; }
    }
  }));
  return { lat, errors, firstError, secs: (performance.now() - t0) / 1000 };
}

/** Rate and latency percentiles of the runs `parts` of one target and scenario together. */
function merge(parts) {
  const lat = parts.flatMap((p) => p.lat).sort((a, b) => a - b);
  const secs = parts.reduce((a, p) => a + p.secs, 0);
  return {
    perSecond: lat.length / secs, n: lat.length,
    errors: parts.reduce((a, p) => a + p.errors, 0), firstError: parts.find((p) => p.firstError)?.firstError,
    p50: lat.length ? pct(lat, 50) : NaN, p99: lat.length ? pct(lat, 99) : NaN,
  };
}

const all = process.argv.slice(2).map((a) => {
  const ref = a.startsWith('ref:');
  const spec = ref ? a.slice(4) : a;
  const i = spec.indexOf('=');
  return { name: spec.slice(0, i), base: spec.slice(i + 1), ref };
});
const targets = all.filter((t) => !t.ref);
if (targets.length === 0) { console.error('usage: cas-load.mjs NAME=BASE_URL ... [ref:NAME=ORIGIN]'); process.exit(2); }

// Every target's k-th scenario runs in the same stretch of time, in SLICES interleaved
// slices (casplus floor, django floor, reference noop, casplus floor, …), so that a change
// of the machine's load weighs on all of them alike and the ratios stay comparable.
const results = {};
const jarsOf = new Map();
for (const t of all) {
  const jars = [];
  for (let i = 0; i < USERS; i++) jars.push(t.ref ? `u${i}` : await login(t.base));
  jarsOf.set(t, jars);
  results[t.name] = {};
}
const scenariosOf = (t) => Object.entries(t.ref ? REF_SCENARIOS : SCENARIOS);
const rounds = Math.max(...all.map((t) => scenariosOf(t).length));
for (let k = 0; k < rounds; k++) {
  const here = all.filter((t) => scenariosOf(t)[k]);
  for (const t of here) await run(t.base, jarsOf.get(t), scenariosOf(t)[k][1], WARMUP);
  const parts = new Map(here.map((t) => [t, []]));
  for (let slice = 0; slice < SLICES; slice++) {
    for (const t of here) parts.get(t).push(await run(t.base, jarsOf.get(t), scenariosOf(t)[k][1], SECONDS / SLICES));
  }
  for (const t of here) {
    const name = scenariosOf(t)[k][0];
    const r = merge(parts.get(t));
    results[t.name][name] = r;
    console.log(`${t.name.padEnd(20)} ${name.padEnd(5)} ${r.perSecond.toFixed(1).padStart(8)} /s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(6)} ms  (${r.n} ok, ${r.errors} errors${r.firstError ? `: ${r.firstError}` : ''})`);
  }
}
const [first, ...others] = targets.map((t) => t.name);
for (const o of others) {
  for (const s of Object.keys(SCENARIOS)) {
    const a = results[first][s]; const b = results[o][s];
    console.log(`${first} / ${o} ${s}: throughput ×${(a.perSecond / b.perSecond).toFixed(2)}, p99 ${a.p99.toFixed(1)} vs ${b.p99.toFixed(1)} ms (×${(a.p99 / b.p99).toFixed(2)})`);
  }
}
for (const t of targets.map((x) => x.name)) {
  const r = results[t];
  console.log(`${t}: sso at ${(100 * r.sso.perSecond / r.floor.perSecond).toFixed(0)} % of its floor, pair at ${(100 * r.pair.perSecond / r.floor.perSecond).toFixed(0)} %`);
}
for (const r of all.filter((t) => t.ref)) {
  const ref = results[r.name];
  for (const o of others) {
    const goal = 5 * results[o].sso.perSecond;
    console.log(`5 × ${o} sso = ${goal.toFixed(0)}/s; ${r.name} (no application code): noop ${ref.noop.perSecond.toFixed(0)}/s, one Durable Object round trip ${ref.do1.perSecond.toFixed(0)}/s, two ${ref.do2.perSecond.toFixed(0)}/s`);
  }
  const perRequestMs = (1000 / results[first].floor.perSecond) - (1000 / ref.noop.perSecond);
  const share = (a, b) => (100 * a / b).toFixed(0);
  console.log(`${first} against ${r.name}: pairs at ${share(results[first].pair.perSecond, ref.pair.perSecond)} % of its pairs (store a row, take it, one audit line each), ${share(results[first].pair.perSecond, ref.do1.perSecond / 2)} % of half its bare round trip`);
  console.log(`${first} against ${r.name}: sso at ${share(results[first].sso.perSecond, ref.put.perSecond)} % of one round trip storing a row with one audit line, ${share(results[first].sso.perSecond, ref.do1.perSecond)} % of the bare round trip; floor at ${(100 * results[first].floor.perSecond / ref.noop.perSecond).toFixed(0)} % of its noop (${perRequestMs.toFixed(2)} ms more per request)`);
  console.log(`${r.name}: a page the size of casplus's 404 at ${share(ref.page.perSecond, ref.noop.perSecond)} % of its noop; casplus's floor at ${share(results[first].floor.perSecond, ref.page.perSecond)} % of that page (not interleaved with it)`);
  for (const o of others) {
    const budget = 1000 / (5 * results[o].sso.perSecond) - 1000 / ref.do1.perSecond;
    console.log(`time left per SSO for ×5 over ${o} after one round trip with no code: ${budget.toFixed(2)} ms`);
  }
}
const json = JSON.stringify({ service: SERVICE, seconds: SECONDS, users: USERS, results });
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, json);
agent.destroy();
