// The demo application of `make dev` (docs/cas-client.md "The demo application"): a Worker
// protected by casplus/client. Its pages:
//   /          who you are: the CAS user and the released attributes (CAS 3.0 §2.8)
//   /call      asks CAS for a proxy ticket (§2.7) and calls the back end with it
//   /api/whoami  the proxied back end: a second client that accepts proxy tickets (§2.9)
//              from the allowed chain only (this application's PGT callback)
//   /logout    ends the local session and goes to CAS /logout (§2.3); CAS then sends every
//              other application of the SSO session a logoutRequest (§2.3.3), this one too
// The PGT receptor (§2.5.4) is the path of PGT_CALLBACK_URL. Everything lives under the path
// of SERVICE_URL (empty in make dev). Sessions are kept in Durable Objects.
import { createCasClient, durableObjectStore, CasSessionObject } from 'casplus/client';
import wasm from '../../pkg/client/core/client_bg.wasm';

export { CasSessionObject };

let clients;
function clientsFor(env) {
  if (clients) return clients;
  const base = env.SERVICE_URL.replace(/\/$/, '');
  const sessionStore = durableObjectStore(env.SESSIONS);
  const cookie = { secret: env.COOKIE_SECRET, name: 'demo_session' };
  const receptorPath = new URL(env.PGT_CALLBACK_URL).pathname;
  const allowed = (env.SLO_ALLOWED_ADDRESSES ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  const front = createCasClient({
    casUrl: env.CAS_URL, serviceUrl: base, wasm, cookie, sessionStore,
    proxyCallbackUrl: env.PGT_CALLBACK_URL, proxyReceptorPath: receptorPath,
    singleLogout: allowed.length ? { allowedAddresses: allowed } : true,
    onError: (e) => console.log(`demo: CAS validation failed: ${e.code}`),
  });
  // The back end: no sessions of its own (a proxy ticket authenticates one request).
  const backend = createCasClient({
    casUrl: env.CAS_URL, serviceUrl: base, wasm, cookie: { secret: env.COOKIE_SECRET, name: 'demo_backend' },
    acceptProxyTickets: true, allowedProxyChains: [[env.PGT_CALLBACK_URL]],
  });
  clients = { base, prefix: new URL(base).pathname.replace(/\/$/, ''), front, backend };
  return clients;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) =>
  new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}
code,pre{background:#f4f4f4;padding:.1rem .3rem}nav a{margin-right:1rem}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`,
    { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } },
  );

async function app(request, env) {
  const { base, prefix, front, backend } = clientsFor(env);
  const path = new URL(request.url).pathname;
  // The back end answers API calls with a proxy ticket; it never redirects to a login page.
  // (CAS's logoutRequest for a proxy ticket comes here too, as a POST: 204, no session.)
  if (path === `${prefix}/api/whoami`) {
    if (request.method !== 'POST' && !new URL(request.url).searchParams.get('ticket')) return Response.json({ error: 'a proxy ticket is required' }, { status: 401 });
    const early = await backend(request);
    if (early) return early;
    const p = backend.principal(request);
    return Response.json({ service: 'demo back end', user: p.user, attributes: p.attributes, proxies: p.proxies });
  }
  const early = await front(request);
  if (early) return early;
  const p = front.principal(request);
  const nav = `<nav><a href="${esc(base)}/">Who am I</a><a href="${esc(base)}/call">Call the back end with a proxy ticket</a><a href="${esc(base)}/logout">Log out through CAS</a></nav>`;
  if (path === `${prefix}/logout`) return front.logout(request);
  if (path === `${prefix}/call`) {
    const target = `${base}/api/whoami`;
    let pt;
    try {
      pt = await front.getProxyTicket(request, target);
    } catch (e) {
      return page('Proxy ticket refused', `${nav}<p>CAS did not grant a proxy ticket: <code>${esc(e.code ?? 'ERROR')}</code> ${esc(e.message)}</p>`);
    }
    // The back end lives in this Worker: it is called in-process (a Worker cannot fetch its
    // own hostname on Cloudflare), with the request a remote caller would send.
    const res = await app(new Request(`${target}?ticket=${encodeURIComponent(pt)}`), env);
    let body = await res.text();
    try {
      body = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // not JSON: shown as it came
    }
    return page('The back end answered', `${nav}
<p>This application asked CAS for a proxy ticket for <code>${esc(target)}</code> (CAS 3.0 §2.7) with the
proxy-granting ticket CAS delivered to <code>${esc(env.PGT_CALLBACK_URL)}</code> at login, and called the back end
with it. The back end validated it at <code>/p3/proxyValidate</code> and accepted the proxy chain (§2.9):</p>
<p>HTTP ${res.status}</p><pre id="backend">${esc(body)}</pre>`);
  }
  if (path !== `${prefix}/` && path !== prefix) return page('Not found', nav);
  const rows = Object.entries(p.attributes)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v.map(esc).join('<br>')}</td></tr>`)
    .join('');
  return page(`Hello, ${p.user}`, `${nav}
<p>You are <strong id="user">${esc(p.user)}</strong>, authenticated by the CAS at <code>${esc(env.CAS_URL)}</code>
through <code>casplus/client</code>. The session lives in a Durable Object (CasSessionObject); the cookie only
carries its id, encrypted (AES-256-GCM).</p>
<h2>Attributes (CAS 3.0 §2.8)</h2><table id="attributes">${rows || '<tr><td>none released</td></tr>'}</table>`);
}

export default {
  fetch: (request, env) => app(request, env),
};
