// A consumer of casplus/client (fetch API types from lib "dom"), checked with `tsc --noEmit`
// against the shipped client/index.d.ts.
import { createCasClient, connectCas, MemoryStore, KvStore, CasClientError, DurableObjectStore, durableObjectStore, CasSessionObject } from 'casplus/client';
import type { CasClient, CasClientOptions, Principal, SessionStore } from 'casplus/client';

const kv = new Map<string, string>();
const store: SessionStore = new KvStore({
  get: async (k) => kv.get(k) ?? null,
  put: async (k, v, o) => { kv.set(k, v); return o.expirationTtl; },
  delete: async (k) => kv.delete(k),
});
const options: CasClientOptions = {
  casUrl: 'https://cas.example/cas',
  serviceUrl: 'https://app.example',
  protocol: 3,
  format: 'JSON',
  proxyCallbackUrl: 'https://app.example/pgt',
  proxyReceptorPath: '/pgt',
  acceptProxyTickets: true,
  allowedProxyChains: [['https://proxy.example/pgt'], [/https:\/\/[a-z]+\.example\/pgt/]],
  sessionStore: store,
  cookie: { secret: 'x'.repeat(32), sameSite: 'Lax', maxAge: 3600 },
  returnTo: ['https://app.example/bye'],
};
const client: CasClient = createCasClient(options);
export async function fetchHandler(request: Request): Promise<Response> {
  const early: Response | null = await client(request);
  if (early) return early;
  const p: Principal | null = client.principal(request);
  const groups: string[] | undefined = p?.attributes['memberOf'];
  const pt: string = await client.getProxyTicket(request, 'https://backend.example/');
  void [groups, pt, new MemoryStore({ now: () => 0 })];
  return client.logout(request, 'https://app.example/bye');
}
try { /* typed errors */ } catch (e) { if (e instanceof CasClientError) { const code: string = e.code; void code; } }

// @ts-expect-error cookie.secret is required
createCasClient({ casUrl: 'https://cas.example', serviceUrl: 'https://a', cookie: {} });
// @ts-expect-error protocol is 1, 2 or 3
createCasClient({ ...options, protocol: 4 });
// @ts-expect-error a principal has no field usr
void client.principal(new Request('https://a/'))?.usr;
// A Durable Object namespace (Workers) as the store; the class the binding names.
declare const ns: { idFromName(n: string): object; get(id: object): { fetch(u: string, i?: RequestInit): Promise<Response> } };
const doStore: SessionStore = durableObjectStore(ns, { prefix: 'app:' });
void [doStore, new DurableObjectStore(ns), CasSessionObject];
// Single logout only at one path and from the CAS server's address; the host's peer address.
const strict = createCasClient({ ...options, singleLogout: { path: '/slo', allowedAddresses: ['192.0.2.10'] } });
void strict(new Request('https://app.example/slo'), { remoteAddress: '192.0.2.10' });
// @ts-expect-error allowedAddresses is a list
createCasClient({ ...options, singleLogout: { allowedAddresses: '192.0.2.10' } });
const middleware = connectCas(client);
void middleware;
