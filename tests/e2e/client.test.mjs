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
