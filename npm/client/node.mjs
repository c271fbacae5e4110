// casplus/client for Node >= 18 (ESM): the wasm core loads synchronously.
import * as core from './core/node.mjs';
import { makeCreate } from './index.js';

export { CasClientError, MemoryStore, KvStore, DurableObjectStore, durableObjectStore, CasSessionObject } from './index.js';
export const createCasClient = makeCreate(async () => core);

/**
 * A Connect/Express middleware around a CasClient: `app.use(connectCas(cas))`. Requests the
 * client answers (redirects, validation, single logout, the PGT receptor) are answered here;
 * the others continue with `req.cas = { principal, getProxyTicket(target), logout(returnTo) }`.
 * The body of a form POST is read (single logout) and kept as `req.rawBody` (a Buffer).
 */
export function connectCas(client) {
  return async (req, res, next) => {
    try {
      const proto = req.socket?.encrypted ? 'https' : 'http';
      const url = `${proto}://${req.headers.host ?? 'localhost'}${req.originalUrl ?? req.url}`;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      let body;
      if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        body = req.rawBody = Buffer.concat(chunks);
      }
      const request = new Request(url, { method: req.method, headers, body });
      const response = await client(request, { remoteAddress: req.socket?.remoteAddress });
      if (!response) {
        req.cas = {
          principal: client.principal(request),
          getProxyTicket: (target) => client.getProxyTicket(request, target),
          logout: async (returnTo) => send(res, await client.logout(request, returnTo)),
        };
        return next();
      }
      await send(res, response);
    } catch (e) {
      next(e);
    }
  };
}

async function send(res, response) {
  const headers = {};
  response.headers.forEach((v, k) => { if (k !== 'set-cookie') headers[k] = v; });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}
