// Issue 20 item 6: a credential login by a browser that already has a session gets a new
// TGT id, carries the old session's services over and revokes the old TGT — inside the
// old session's Durable Object, where its SSOs run. A concurrent SSO of the old session
// then either happens before the rotation (its service is carried over, so the single
// logout of the new session reaches it) or after it (refused: the old TGT is gone); it
// can never extend a copy the rotation already replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, Browser, q, loginTicket, loginForTicket, httpServer, eventually, sleep } from './lib.mjs';

test('item 6: re-login during 16 concurrent SSOs of the old session: each SSO is carried over or refused, none lost', async () => {
  const svc = await httpServer();
  try {
    const b = new Browser();
    const first = await loginForTicket(b, `${svc.url}/app/first`);
    const oldTgc = b.tgc();
    const renewed = `${svc.url}/app/renewed`;
    const form = await b.get(`/login?${q({ service: renewed, renew: 'true' })}`);
    assert.equal(form.status, 200);
    const lt = loginTicket(await form.text());
    const sso = (name) => fetch(`${BASE}/login?${q({ service: `${svc.url}/app/${name}` })}`,
      { headers: { Cookie: `TGC-casplus=${oldTgc}` }, redirect: 'manual' });
    const [relogin, ...ssos] = await Promise.all([
      b.post(`/login?${q({ service: renewed, renew: 'true' })}`,
        { username: 'casuser', password: 'Mellon', lt, service: renewed, renew: 'true' }),
      ...Array.from({ length: 16 }, (_, i) => sso(`sso${i}`)),
    ]);
    assert.equal(relogin.status, 303);
    const renewedSt = new URL(relogin.headers.get('location')).searchParams.get('ticket');
    assert.ok(b.tgc() && b.tgc() !== oldTgc, 'a new TGT id');
    const issued = [];
    for (const r of ssos) {
      if (r.status === 302) issued.push(new URL(r.headers.get('location')).searchParams.get('ticket'));
      else assert.equal(r.status, 200, 'refused: the login form');
    }
    // The old TGC is dead.
    assert.equal((await sso('late')).status, 200);
    // The new session's logout reaches every service the old one gave a ticket to.
    const res = await b.get('/logout');
    assert.equal(res.status, 200);
    const want = [first, renewedSt, ...issued];
    const indexes = () => svc.requests.filter((r) => r.method === 'POST')
      .map((r) => new URLSearchParams(r.body).get('logoutRequest')?.match(/<samlp:SessionIndex>([^<]+)</)?.[1]);
    await eventually(() => indexes().length >= want.length, 10000);
    await sleep(300);
    for (const t of want) assert.ok(indexes().includes(t), `single logout for ${t} (${issued.length} SSOs before the rotation)`);
  } finally {
    await svc.close();
  }
});
