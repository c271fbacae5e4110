// An application protected by casplus/client (the web build, pkg/client/web.js) served by
// Deno (Deno.serve) or Bun (Bun.serve) for client-runtimes.test.mjs. Arguments: the package's
// client/web.js path and the CAS URL. Listens on a free loopback port, builds the client with
// that port as its fixed service base, then prints `listening on http://127.0.0.1:PORT`.
// The peer address goes with each request (single logout only from 127.0.0.1).
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const [entry, casUrl] = args;
const { createCasClient } = await import(new URL(`file://${entry}`).href);
const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : `bun ${Bun.version}`;

let client;
async function handler(request, info) {
  return (await client(request, info)) ?? Response.json({ runtime, principal: client.principal(request) });
}

let port;
if (globalThis.Deno) {
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, (req, info) => handler(req, { remoteAddress: info.remoteAddr.hostname }));
  port = server.addr.port;
} else if (globalThis.Bun) {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req, srv) => handler(req, { remoteAddress: srv.requestIP(req)?.address }) });
  port = server.port;
} else {
  throw new Error('run me with deno or bun');
}
client = createCasClient({
  casUrl, serviceUrl: `http://127.0.0.1:${port}/app`,
  cookie: { secret: 'a Deno and Bun test secret of 32+ characters' },
  singleLogout: { allowedAddresses: ['127.0.0.1', '::1'] },
});
console.log(`listening on http://127.0.0.1:${port}`);
