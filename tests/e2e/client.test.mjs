// casplus/client (issue 17) against the casplus Worker under `wrangler dev` (the suite is
// tests/e2e/client-suite.mjs; the same suite runs against django-cas-server in
// client-django.test.mjs).
import assert from 'node:assert/strict';
import { BASE, submitLogin } from './lib.mjs';
import { clientSuite } from './client-suite.mjs';

await clientSuite({
  name: 'casplus',
  BASE,
  async login(browser, service, query = {}) {
    const res = await submitLogin(browser, { service, query });
    assert.equal(res.status, 303);
    return res.headers.get('location');
  },
  attributes: { email: ['casuser@example.org'], memberOf: ['staff', 'developers'] },
});

// The Connect/Express adapter (Node only) on a plain http server: the same dance through
// connectCas, then the app sees req.cas.
import { test, after } from 'node:test';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Browser as Jar } from './lib.mjs';

test('casplus: connectCas (Connect/Express middleware): login, then req.cas.principal', async () => {
  const { createCasClient, connectCas } = await import(join(process.env.E2E_ROOT, 'pkg/client/node.mjs'));
  let url;
  const server = createServer((req, res) => {
    const cas = connectCas(client);
    cas(req, res, (err) => {
      if (err) { res.writeHead(500); res.end(String(err)); return; }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: req.cas.principal?.user }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  after(() => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }));
  url = `http://127.0.0.1:${server.address().port}`;
  const client = createCasClient({ casUrl: BASE, serviceUrl: `${url}/app`, cookie: { secret: 'connect adapter test secret, 32+ chars' } });
  const b = new Jar();
  const first = await b.get(`${url}/app/x`);
  assert.equal(first.status, 302);
  const service = new URL(first.headers.get('location')).searchParams.get('service');
  assert.equal(service, `${url}/app/x`);
  const res = await submitLogin(b, { service });
  const back = await b.get(res.headers.get('location'));
  assert.equal(back.status, 302);
  const page = await b.get(`${url}/app/x`);
  assert.deepEqual(await page.json(), { user: 'casuser' });
});
