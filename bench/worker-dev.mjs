// What bench/profile-worker.mjs and bench/cpu-per-request.mjs share: `wrangler dev`
// started on free ports, and the request scenarios of the CAS Worker (one kind of request
// each, `requests` per call) and of the runtime reference (bench/runtime-ref).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { request } from './http.mjs';

const SERVICE = 'http://127.0.0.1:9/app';
const enc = encodeURIComponent;

/** A port free now (wrangler prints no inspector port it picked itself; a bench, not a test). */
export function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

/** Starts `wrangler dev` on `port` (0: one it picks), with the inspector on `inspector`, in `cwd`
 * (the repository: the CAS Worker; bench/runtime-ref: the runtime reference). */
export async function startWrangler(state, inspector, cwd = '.', port = 0) {
  const child = spawn(resolvePath('node_modules/.bin/wrangler'), ['dev', '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspector), '--persist-to', state], {
    cwd,
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler did not start:\n${out}`)), 60_000);
    const seen = (chunk) => {
      out += chunk;
      const ready = out.match(/Ready on http:\/\/127\.0\.0\.1:(\d+)/);
      if (ready) { clearTimeout(timer); resolve({ http: Number(ready[1]), inspector }); }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (c) => reject(new Error(`wrangler exited (${c}):\n${out}`)));
  });
  return { child, ports, log: () => out };
}

/** A browser's SSO session: its cookies (the login form's binding and the TGC). */
export async function login(base) {
  const url = `${base}/login?service=${enc(SERVICE)}`;
  const jar = new Map();
  const take = (res) => { for (const c of res.headers['set-cookie'] ?? []) { const [kv] = c.split(';'); const i = kv.indexOf('='); jar.set(kv.slice(0, i), kv.slice(i + 1)); } };
  const header = () => [...jar].filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join('; ');
  const form = await request(url);
  take(form);
  const lt = form.body.match(/name="lt" value="([^"]+)"/)[1].replaceAll('&amp;', '&');
  const body = new URLSearchParams({ username: 'casuser', password: 'Mellon', lt, service: SERVICE }).toString();
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: header() } });
  take(res);
  if (res.status !== 303 && res.status !== 302) throw new Error(`login: HTTP ${res.status} ${res.body.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 600)}`);
  return header();
}
async function st(base, cookie) {
  const res = await request(`${base}/login?service=${enc(SERVICE)}`, { headers: { cookie } });
  if (res.status !== 302) throw new Error(`sso: HTTP ${res.status}`);
  return new URL(res.headers.location).searchParams.get('ticket');
}
const ok = (res, what) => { if (res.status >= 500) throw new Error(`${what}: HTTP ${res.status}`); return res; };

// Each scenario: one request measured per call (setup requests are made before the profile).
export const SCENARIO = {
  floor: { prepare: async () => ({}), run: async (base) => ok(await request(`${base}/no-such-endpoint`), 'floor') },
  form: { prepare: async () => ({}), run: async (base) => ok(await request(`${base}/login?service=${enc(SERVICE)}`), 'form') },
  sso: { prepare: async (base) => ({ cookie: await login(base) }), run: async (base, u) => st(base, u.cookie) },
  validate: {
    prepare: async (base) => ({ cookie: await login(base), tickets: [] }),
    // STs issued before the profile starts would expire (10 s); each call issues one
    // outside the measurement? No: both are sampled, so validate = (sso + validate) − sso.
    run: async (base, u) => {
      const t = await st(base, u.cookie);
      return ok(await request(`${base}/p3/serviceValidate?service=${enc(SERVICE)}&ticket=${t}`), 'validate');
    },
    requests: 2,
  },
  logout: {
    prepare: async () => ({}),
    run: async (base) => ok(await request(`${base}/logout`), 'logout'),
  },
  proxy: {
    prepare: async () => ({}),
    run: async (base) => ok(await request(`${base}/proxy?pgt=PGT-1-unknown&targetService=${enc(SERVICE)}`), 'proxy'),
  },
  // The login form and its POST (PBKDF2 check of the password): post = (form + POST) − form.
  // One user: concurrent logins of one user hold places on its throttle counter (429).
  post: {
    prepare: async () => ({}),
    run: async (base) => { await login(base); },
    requests: 2,
    users: 1,
  },
};

// The runtime reference (bench/runtime-ref, its base URL ending in /cas like casplus's): a
// no-op request, one and two Durable Object round trips, a no-op request that writes one
// audit-sized console line, one round trip and one audit line (the runtime's part of an SSO
// or a validation), the same with the object storing a ticket-sized row (put: an SSO's) and
// then taking it (pair: an SSO's and a validation's), and a KV read beside one round trip
// and one audit line (of /proxy).
export const REF_SCENARIO = {
  noop: { prepare: async (_, i) => ({ i }), run: async (origin) => expect(await request(`${origin}/x`), 404) },
  do1: { prepare: async (_, i) => ({ i }), run: async (origin, u) => expect(await request(`${origin}/do?s=${u.i}`), 200) },
  do2: { prepare: async (_, i) => ({ i }), run: async (origin, u) => expect(await request(`${origin}/do2?s=${u.i}`), 200) },
  page: { prepare: async (_, i) => ({ i }), run: async (origin) => expect(await request(`${origin}/page`), 404) },
  log: { prepare: async (_, i) => ({ i }), run: async (origin) => expect(await request(`${origin}/log`), 404) },
  do1log: { prepare: async (_, i) => ({ i }), run: async (origin, u) => expect(await request(`${origin}/do1log?s=${u.i}`), 200) },
  put: { prepare: async (_, i) => ({ i, n: 0 }), run: async (origin, u) => expect(await request(`${origin}/put?s=${u.i}&k=ST-${++u.n}`), 200) },
  pair: {
    prepare: async (_, i) => ({ i, n: 0 }),
    run: async (origin, u) => {
      const k = `ST-${++u.n}`;
      expect(await request(`${origin}/put?s=${u.i}&k=${k}`), 200);
      const res = expect(await request(`${origin}/take?s=${u.i}&k=${k}`), 200);
      if (!res.body.endsWith(' 1')) throw new Error(`take ${k}: ${res.body}`);
    },
    requests: 2,
  },
  kvdo1log: { prepare: async (_, i) => ({ i }), run: async (origin, u) => expect(await request(`${origin}/kvdo1log?s=${u.i}`), 200) },
};
const expect = (res, status) => { if (res.status !== status) throw new Error(`HTTP ${res.status}, not ${status}`); return res; };

