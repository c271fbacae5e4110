// casplus/client — a CAS client on the fetch Request/Response API (Workers, Node >= 18, Deno,
// Bun). The protocol lives in the wasm core (src/cas/client, exports in src/wasm/client.rs):
// URLs, the service URL, validation and proxy-chain checks, the PGT receptor, logoutRequest
// parsing. This file performs the I/O: fetches to the CAS server, the session store, the
// signed session cookie (WebCrypto HMAC-SHA-256) and the clock.

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
    const singleLogout = o.singleLogout ?? true;
    const returnTo = o.returnTo ?? [];
    const chains = (o.allowedProxyChains ?? []).map((chain) => chain.map((e) => (e instanceof RegExp ? `^${e.source}` : String(e))));
    const principals = new WeakMap();
    let ready;
    const core = () =>
      (ready ??= (async () => {
        const c = await loadCore(o);
        return { c, validator: new c.Validator(!!o.acceptProxyTickets, chains) };
      })());
    let keyPromise;
    const key = () => (keyPromise ??= crypto.subtle.importKey('raw', enc.encode(cookie.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));

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

    async function sign(sid) {
      return `${sid}.${b64url(await crypto.subtle.sign('HMAC', await key(), enc.encode(sid)))}`;
    }
    async function sessionOf(request) {
      for (const v of cookieValue(request.headers.get('cookie'), cookie.name)) {
        const [sid, mac] = v.split('.');
        const sig = mac && unb64url(mac);
        // crypto.subtle.verify compares in constant time.
        if (sid && sig && (await crypto.subtle.verify('HMAC', await key(), sig, enc.encode(sid)))) {
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

    async function slo(c, request) {
      const body = new Uint8Array(await request.clone().arrayBuffer());
      let index;
      try {
        index = c.logoutSessionIndex(body);
      } catch (e) {
        if (e?.code === 'MISSING_ELEMENT' && !new TextDecoder().decode(body).includes('logoutRequest')) return null; // an ordinary form POST
        return fail(400, wrap(e).code);
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
      const assertion = validator.validate(await res.text());
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

    async function handle(request) {
      const { c, validator } = await core();
      const url = new URL(request.url);
      if (o.proxyReceptorPath && url.pathname === o.proxyReceptorPath) return receptor(c, url);
      if (singleLogout && request.method === 'POST' && (request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
        const r = await slo(c, request);
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
        return redirect(v.service, [setCookie(url, cookie.name, await sign(sid), ttl), setCookie(url, `${cookie.name}_gw`, '', 0)]);
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

    const client = (request) => handle(request);
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
