// casplus/client — a CAS client on the fetch Request/Response API (Workers, Node >= 18, Deno,
// Bun). The protocol lives in the wasm core (src/cas/client, exports in src/wasm/client.rs):
// URLs, the service URL, validation and proxy-chain checks, the PGT receptor, logoutRequest
// parsing. This file performs the I/O: fetches to the CAS server, the session store, the
// encrypted session cookie (WebCrypto AES-256-GCM, key from HKDF-SHA-256) and the clock.

/** An error with a stable `code` (a CAS code like `INVALID_TICKET`, or the client's own). */
export class CasClientError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CasClientError';
    this.code = code;
  }
}

const wrap = (e) => (e instanceof CasClientError ? e : new CasClientError(e?.code ?? (e instanceof TypeError ? 'CAS_UNREACHABLE' : 'INTERNAL'), e?.message ?? String(e)));

/** In-memory SessionStore (one process; for development and tests). `now` is injectable. */
export class MemoryStore {
  constructor({ now = Date.now } = {}) {
    this.map = new Map();
    this.now = now;
  }
  async get(key) {
    const e = this.map.get(key);
    if (!e) return null;
    if (this.now() >= e.expires) {
      this.map.delete(key);
      return null;
    }
    return e.value;
  }
  async put(key, value, ttlSeconds) {
    this.map.set(key, { value, expires: this.now() + ttlSeconds * 1000 });
  }
  async delete(key) {
    this.map.delete(key);
  }
}

/**
 * A SessionStore over any async key-value store shaped like Workers KV:
 * `get(key) → string | null`, `put(key, value, { expirationTtl })`, `delete(key)`.
 * (Workers KV refuses a TTL under 60 s: shorter ones are raised to 60.)
 */
export class KvStore {
  constructor(kv, { prefix = 'casplus:', minTtl = 60 } = {}) {
    this.kv = kv;
    this.prefix = prefix;
    this.minTtl = minTtl;
  }
  async get(key) {
    return (await this.kv.get(this.prefix + key)) ?? null;
  }
  async put(key, value, ttlSeconds) {
    await this.kv.put(this.prefix + key, value, { expirationTtl: Math.max(this.minTtl, Math.ceil(ttlSeconds)) });
  }
  async delete(key) {
    await this.kv.delete(this.prefix + key);
  }
}

/**
 * The Durable Object class behind DurableObjectStore: one object per key (so each session,
 * service-ticket index and PGTIOU is strongly consistent and lives on its own), holding the
 * value and its expiry; an alarm deletes it when it expires. Export it from the Worker under
 * the class_name of the binding (`export { CasSessionObject } from 'casplus/client'`).
 * Plain class (no `cloudflare:workers` import) so the module loads in every runtime.
 */
export class CasSessionObject {
  constructor(state) {
    this.storage = state.storage;
  }
  async fetch(request) {
    const s = this.storage;
    if (request.method === 'GET') {
      const e = await s.get('entry');
      if (!e || e.expires <= Date.now()) return new Response(null, { status: 404 });
      return new Response(e.value);
    }
    if (request.method === 'PUT') {
      const ttl = Number(request.headers.get('x-ttl-seconds'));
      if (!(ttl > 0)) return new Response('x-ttl-seconds must be a positive number\n', { status: 400 });
      const expires = Date.now() + ttl * 1000;
      await s.put('entry', { value: await request.text(), expires });
      await s.setAlarm(expires);
      return new Response(null, { status: 204 });
    }
    if (request.method === 'DELETE') {
      await s.deleteAlarm();
      await s.deleteAll();
      return new Response(null, { status: 204 });
    }
    return new Response(null, { status: 405 });
  }
  async alarm() {
    const e = await this.storage.get('entry');
    if (e && e.expires > Date.now()) await this.storage.setAlarm(e.expires);
    else await this.storage.deleteAll();
  }
}

/**
 * A SessionStore in a Durable Object namespace whose class is CasSessionObject: reads see
 * the last write at once, wherever they run (Workers KV may take up to 60 s to show a write
 * in another location — a single logout or a PGT delivered there could be missed).
 */
export class DurableObjectStore {
  constructor(namespace, { prefix = 'casplus:' } = {}) {
    this.ns = namespace;
    this.prefix = prefix;
  }
  stub(key) {
    return this.ns.get(this.ns.idFromName(this.prefix + key));
  }
  async call(key, init) {
    const res = await this.stub(key).fetch('https://casplus-session-store/', init);
    if (res.status !== 404 && !res.ok) throw new CasClientError('STORE_FAILED', `session store: HTTP ${res.status}`);
    return res;
  }
  async get(key) {
    const res = await this.call(key, { method: 'GET' });
    return res.status === 404 ? null : res.text();
  }
  async put(key, value, ttlSeconds) {
    await this.call(key, { method: 'PUT', body: value, headers: { 'x-ttl-seconds': String(ttlSeconds) } });
  }
  async delete(key) {
    await this.call(key, { method: 'DELETE' });
  }
}

/** `new DurableObjectStore(namespace, options)`. */
export const durableObjectStore = (namespace, options) => new DurableObjectStore(namespace, options);

const enc = new TextEncoder();
const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64url = (s) => {
  try {
    return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
};
/** A stored JSON record, or undefined when it does not parse. */
const parseJson = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const isLoopback = (host) => host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

function cookieValue(header, name) {
  const out = [];
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) out.push(part.slice(i + 1).trim());
  }
  return out;
}

// HKDF parameters of the cookie key (changing them ends every session).
const COOKIE_KDF_SALT = 'casplus/client session cookie';
const COOKIE_KDF_INFO = 'AES-256-GCM key v1';

/**
 * Where a request came from, by default: the `remoteAddress` the host passed with it
 * (`client(request, { remoteAddress })`: connectCas does, from the socket; Deno's
 * `info.remoteAddr.hostname`, Bun's `server.requestIP(request).address`), else on Cloudflare
 * Workers the CF-Connecting-IP header (set by Cloudflare's edge, which replaces any the client
 * sent), else unknown. Never X-Forwarded-For (anyone can send it).
 */
function defaultClientAddress(request, info) {
  if (info?.remoteAddress) return info.remoteAddress;
  if (globalThis.navigator?.userAgent === 'Cloudflare-Workers') return request.headers.get('cf-connecting-ip');
  return null;
}

/** `::ffff:192.0.2.1` (a v4 client on a dual-stack socket) → `192.0.2.1`; v6 in lower case. */
function normalizeAddress(a) {
  if (typeof a !== 'string' || !a) return null;
  const s = a.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s;
}

/** The `singleLogout` option: `false`, `true` (default) or `{ path, allowedAddresses, clientAddress }`. */
function sloOptions(v) {
  if (v === false) return null;
  const x = typeof v === 'object' && v ? v : {};
  if (x.path !== undefined && (typeof x.path !== 'string' || !x.path.startsWith('/'))) throw new CasClientError('INVALID_OPTIONS', 'singleLogout.path must be a path starting with /');
  if (x.allowedAddresses !== undefined && !Array.isArray(x.allowedAddresses)) throw new CasClientError('INVALID_OPTIONS', 'singleLogout.allowedAddresses must be an array of IP addresses');
  return {
    path: x.path ?? null,
    allowedAddresses: x.allowedAddresses ? x.allowedAddresses.map(normalizeAddress) : null,
    clientAddress: x.clientAddress ?? defaultClientAddress,
  };
}

/**
 * Builds a CAS client from `options` (see client/index.d.ts). `loadCore(options)` resolves
 * to the wasm exports.
 */
export function makeCreate(loadCore) {
  return function createCasClient(options) {
    const o = { ...options };
    if (typeof o.casUrl !== 'string' || !/^https?:\/\//.test(o.casUrl)) throw new CasClientError('INVALID_OPTIONS', 'casUrl must be an http(s) URL');
    const mode = o.serviceUrl ? 'fixed' : o.trustForwardedHeaders ? 'forwarded' : o.trustHost ? 'host' : null;
    if (!mode) throw new CasClientError('INVALID_OPTIONS', 'serviceUrl is required (or trustHost / trustForwardedHeaders)');
    const cookie = { name: 'casplus_session', sameSite: 'Lax', path: '/', maxAge: 8 * 3600, ...(o.cookie ?? {}) };
    if (typeof cookie.secret !== 'string' || cookie.secret.length < 32) throw new CasClientError('INVALID_OPTIONS', 'cookie.secret must be a string of at least 32 characters');
    const protocol = String(o.protocol ?? 3);
    const json = String(o.format ?? 'XML').toUpperCase() === 'JSON';
    const store = o.sessionStore ?? new MemoryStore();
    const now = o.now ?? Date.now;
    const doFetch = o.fetch ?? ((...a) => fetch(...a));
    const ttl = Math.max(1, Math.floor(cookie.maxAge));
    const pgtTtl = o.pgtTtl ?? 300;
    const slo = sloOptions(o.singleLogout);
    const returnTo = o.returnTo ?? [];
    const chains = (o.allowedProxyChains ?? []).map((chain) => chain.map((e) => (e instanceof RegExp ? `^${e.source}` : String(e))));
    const principals = new WeakMap();
    let ready;
    const core = () =>
      (ready ??= (async () => {
        const c = await loadCore(o);
        return { c, validator: new c.Validator(!!o.acceptProxyTickets, chains) };
      })());
    // The session cookie holds the session id encrypted and authenticated with AES-256-GCM
    // (random 96-bit IV, the cookie name as additional data), under a key derived from
    // cookie.secret with HKDF-SHA-256: a tampered cookie, one made under another secret or
    // for another cookie name does not open, and the value shows nothing of the session.
    let keyPromise;
    const key = () =>
      (keyPromise ??= (async () => {
        const ikm = await crypto.subtle.importKey('raw', enc.encode(cookie.secret), 'HKDF', false, ['deriveKey']);
        return crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: enc.encode(COOKIE_KDF_SALT), info: enc.encode(COOKIE_KDF_INFO) },
          ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
        );
      })());
    const aad = enc.encode(cookie.name);

    const serviceOf = (c, request) =>
      c.serviceUrl(mode, o.serviceUrl ?? '', request.url, request.headers.get('x-forwarded-proto') ?? undefined, request.headers.get('x-forwarded-host') ?? undefined);
    const secureFor = (url) => cookie.secure ?? !(url.protocol === 'http:' && isLoopback(url.hostname));
    const setCookie = (url, name, value, maxAge) =>
      [`${name}=${value}`, `Path=${cookie.path}`, `Max-Age=${maxAge}`, 'HttpOnly', `SameSite=${cookie.sameSite}`, ...(secureFor(url) ? ['Secure'] : [])].join('; ');
    const redirect = (location, cookies = []) => {
      const h = new Headers({ location, 'cache-control': 'no-store' });
      for (const c of cookies) h.append('set-cookie', c);
      return new Response(null, { status: 302, headers: h });
    };
    const fail = (status, code) => new Response(`CAS authentication failed: ${code}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });

    async function seal(sid) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, await key(), enc.encode(sid)));
      const out = new Uint8Array(iv.length + sealed.length);
      out.set(iv);
      out.set(sealed, iv.length);
      return b64url(out);
    }
    async function unseal(value) {
      const raw = unb64url(value);
      if (!raw || raw.length < 12 + 16) return null;
      try {
        // The GCM tag is checked by WebCrypto (constant time); any change fails here.
        return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: raw.subarray(0, 12), additionalData: aad }, await key(), raw.subarray(12)));
      } catch {
        return null;
      }
    }
    async function sessionOf(request) {
      for (const v of cookieValue(request.headers.get('cookie'), cookie.name)) {
        const sid = await unseal(v);
        if (sid && /^[0-9a-f]{64}$/.test(sid)) {
          const raw = await store.get(`session:${sid}`);
          if (raw) return { sid, data: JSON.parse(raw) };
        }
      }
      return null;
    }

    async function receptor(c, url) {
      let pair;
      try {
        pair = c.pgtCallback(url.search);
      } catch (e) {
        return fail(400, wrap(e).code);
      }
      if (pair) {
        const [iou, pgt] = pair;
        await store.put(`pgtiou:${iou}`, JSON.stringify(c.keepPgt(iou, pgt, now(), pgtTtl)), pgtTtl);
      }
      return new Response('OK\n', { headers: { 'content-type': 'text/plain' } });
    }

    async function logoutRequest(c, request, info) {
      const body = new Uint8Array(await request.clone().arrayBuffer());
      let index;
      try {
        index = c.logoutSessionIndex(body);
      } catch (e) {
        return fail(400, wrap(e).code);
      }
      if (index === undefined) return null; // no logoutRequest parameter: an ordinary form POST
      if (slo.allowedAddresses) {
        const from = normalizeAddress(slo.clientAddress(request, info));
        if (!from || !slo.allowedAddresses.includes(from)) {
          o.onError?.(new CasClientError('LOGOUT_SOURCE_NOT_ALLOWED', `logoutRequest from ${from ?? 'an unknown address'} refused`));
          return fail(403, 'LOGOUT_SOURCE_NOT_ALLOWED');
        }
      }
      // Only the session created from this very service ticket ends.
      const sid = await store.get(`st:${index}`);
      if (sid) {
        await store.delete(`session:${sid}`);
        await store.delete(`st:${index}`);
      }
      return new Response(null, { status: 204 });
    }

    async function validateTicket(c, validator, request, url, ticket) {
      const service = serviceOf(c, request);
      const target = c.validateUrl(o.casUrl, ticket, protocol, !!o.acceptProxyTickets, service, !!o.renew, o.proxyCallbackUrl, json);
      const res = await doFetch(target, { headers: { accept: json ? 'application/json' : 'application/xml, text/plain' }, redirect: 'manual' });
      if (!res.ok) throw new CasClientError('CAS_HTTP_' + res.status, `CAS answered HTTP ${res.status}`);
      // The body's bytes go into the core as they are (it reads them as UTF-8, like res.text()).
      const assertion = validator.validate(new Uint8Array(await res.arrayBuffer()));
      let pgt = null;
      if (assertion.pgtIou) {
        const kept = await store.get(`pgtiou:${assertion.pgtIou}`);
        if (kept) {
          pgt = c.claimPgt(parseJson(kept), now()) ?? null;
          await store.delete(`pgtiou:${assertion.pgtIou}`);
        }
      }
      return { service, principal: { user: assertion.user, attributes: assertion.attributes, proxies: assertion.proxies }, pgt };
    }

    async function handle(request, info) {
      const { c, validator } = await core();
      const url = new URL(request.url);
      if (o.proxyReceptorPath && url.pathname === o.proxyReceptorPath) return receptor(c, url);
      if (slo && request.method === 'POST' && (!slo.path || url.pathname === slo.path) && (request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
        const r = await logoutRequest(c, request, info);
        if (r) return r;
      }
      const ticket = url.searchParams.get('ticket');
      if (ticket && (request.method === 'GET' || request.method === 'HEAD')) {
        let v;
        try {
          v = await validateTicket(c, validator, request, url, ticket);
        } catch (e) {
          // The ticket itself is never logged.
          o.onError?.(wrap(e));
          return fail(403, wrap(e).code);
        }
        if (v.principal.proxies.length) {
          // A proxy ticket (a back end called by a proxy): this request only, no session.
          principals.set(request, v.principal);
          return null;
        }
        const sid = hex(crypto.getRandomValues(new Uint8Array(32)));
        await store.put(`session:${sid}`, JSON.stringify({ ...v.principal, pgt: v.pgt, st: ticket }), ttl);
        await store.put(`st:${ticket}`, sid, ttl);
        return redirect(v.service, [setCookie(url, cookie.name, await seal(sid), ttl), setCookie(url, `${cookie.name}_gw`, '', 0)]);
      }
      const s = await sessionOf(request);
      if (s) {
        principals.set(request, { user: s.data.user, attributes: s.data.attributes, proxies: s.data.proxies });
        return null;
      }
      if (o.gateway && cookieValue(request.headers.get('cookie'), `${cookie.name}_gw`).includes('1')) {
        principals.set(request, null);
        return null; // back from a gateway login without a ticket: continue unauthenticated
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') return fail(401, 'NOT_AUTHENTICATED');
      const login = c.loginUrl(o.casUrl, serviceOf(c, request), !!o.renew, !!o.gateway);
      return redirect(login, o.gateway ? [setCookie(url, `${cookie.name}_gw`, '1', 300)] : []);
    }

    const client = (request, info) => handle(request, info);
    client.handle = handle;
    /** The authenticated principal of a request the handler let through (`null` if none). */
    client.principal = (request) => principals.get(request) ?? null;
    /** A proxy ticket for `targetService` (§2.7), with the PGT of the request's session. */
    client.getProxyTicket = async (request, targetService) => {
      const { c } = await core();
      const s = await sessionOf(request);
      if (!s?.data.pgt) throw new CasClientError('NO_PROXY_GRANTING_TICKET', 'this session has no proxy-granting ticket');
      const res = await doFetch(c.proxyUrl(o.casUrl, s.data.pgt, targetService), { redirect: 'manual' });
      try {
        return c.proxyTicket(await res.text());
      } catch (e) {
        throw wrap(e);
      }
    };
    /** Ends the local session and redirects to CAS /logout; `returnTo` must be allowed. */
    client.logout = async (request, target) => {
      const { c } = await core();
      const url = new URL(request.url);
      const s = await sessionOf(request);
      if (s) {
        await store.delete(`session:${s.sid}`);
        if (s.data.st) await store.delete(`st:${s.data.st}`);
      }
      const base = o.serviceUrl ?? url.origin + '/';
      const allowed = (t) => t === base || returnTo.some((a) => t === a || (a.endsWith('/') && t.startsWith(a)));
      const service = typeof target === 'string' && allowed(target) ? target : base;
      return redirect(c.logoutUrl(o.casUrl, service), [setCookie(url, cookie.name, '', 0)]);
    };
    return client;
  };
}
