// Latency and throughput of the Worker under `wrangler dev` on loopback (not a test; run
// by hand: CAS_BASE=http://127.0.0.1:8787/cas E2E_TMP=/tmp node tests/e2e/bench-latency.mjs).
// Measures SSO ticket issue (GET /login with the TGC → 302) + /serviceValidate pairs,
// sequentially (latency) and for 8 users at once (throughput).
import { Browser, loginForTicket, ssoTicket, validate, xmlText } from './lib.mjs';

const SERVICE = process.env.BENCH_SERVICE ?? 'http://127.0.0.1:9/app';
const N = Number(process.env.BENCH_N ?? 300);
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs) => { xs.sort((a, b) => a - b); return `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms`; };

const b = new Browser();
await loginForTicket(b, SERVICE);
async function pair(issue, check, browser = b) {
  let t = performance.now();
  const st = await ssoTicket(browser, SERVICE);
  issue.push(performance.now() - t);
  t = performance.now();
  const { body } = await validate('/serviceValidate', { service: SERVICE, ticket: st });
  check.push(performance.now() - t);
  if (xmlText(body, 'user') !== 'casuser') throw new Error(body);
}
for (let i = 0; i < 20; i++) await pair([], []); // warm-up
const issue = []; const check = [];
for (let i = 0; i < N; i++) await pair(issue, check);
console.log(`sequential, ${N} pairs: ST issue ${fmt(issue)}; serviceValidate ${fmt(check)}`);
const t0 = performance.now();
let done = 0;
// Eight users, each with their own session (one session's TGT is rewritten at each ticket).
const users = await Promise.all(Array.from({ length: 8 }, async () => {
  const u = new Browser();
  await loginForTicket(u, SERVICE);
  return u;
}));
await Promise.all(users.map(async (u) => { while (done < N) { done++; await pair([], [], u); } }));
const secs = (performance.now() - t0) / 1000;
console.log(`8 in flight: ${(N / secs).toFixed(0)} issue+validate pairs/s (${done} pairs in ${secs.toFixed(1)} s)`);
