// CAS Protocol 3.0 over HTTP against the Worker: login, SSO, renew, gateway, warn,
// response methods, validation endpoints and formats, logout. Section numbers refer to
// the CAS Protocol 3.0 Specification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, Browser, q, loginTicket, submitLogin, loginForTicket, ssoTicket, ticketFrom, validate,
  xmlText, xmlAll, failureCode, httpServer, sleep,
} from './lib.mjs';

const app = await httpServer();
const APP = `${app.url}/app`;
const SECOND = `${app.url}/second`;

function assertHtmlPage(res, { formAction } = {}) {
  assert.match(res.headers.get('content-type'), /^text\/html; charset=utf-8$/);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
  assert.match(csp, /frame-ancestors 'none'/);
  if (formAction) assert.ok(csp.includes(`form-action ${formAction};`), csp);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

test('login form 2.1.3: labelled fields, single-use lt, strict CSP, no external resources', async () => {
  const b = new Browser();
  const res = await b.get(`/login?${q({ service: APP })}`);
  assert.equal(res.status, 200);
  assertHtmlPage(res, { formAction: `'self' ${app.url}` });
  const html = await res.text();
  for (const s of ['<label for="username">', '<label for="password">', 'name="warn"', 'name="rememberMe"',
    'autocomplete="current-password"', `name="service" value="${APP}"`, 'E2E app']) {
    assert.ok(html.includes(s), `missing ${s}`);
  }
  loginTicket(html);
  assert.doesNotMatch(html, /\s(src|href)="(https?:)?\/\//, 'no external resources');
  assert.doesNotMatch(html, /<script/i, 'no script on the login page');
  // No TGC before login: only the form's binding cookie (login CSRF, csrf.test.mjs).
  assert.deepEqual(res.headers.getSetCookie().map((c) => c.split('=')[0]), ['LOGIN-casplus'], 'no TGC before login');
});

test('login 2.2.4: 303 to the service with a ticket, TGC HttpOnly SameSite=Lax Path=/cas session cookie, no-store', async () => {
  const b = new Browser();
  const res = await submitLogin(b, { service: APP });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  ticketFrom(res.headers.get('location'), APP);
  const [sc] = res.headers.getSetCookie();
  assert.match(sc, /^TGC-casplus=TGT-[A-Za-z0-9-]+; /);
  const attrs = sc.split(';').map((s) => s.trim().toLowerCase());
  for (const a of ['path=/cas', 'httponly', 'samesite=lax']) assert.ok(attrs.includes(a), `${a} in ${sc}`);
  assert.ok(!attrs.some((a) => a.startsWith('max-age') || a.startsWith('expires')), 'session cookie unless remember-me');
  assert.ok(!attrs.includes('secure'), 'this loopback test configuration turns Secure off');
});

test('serviceValidate 2.5: XML success, then the ticket is gone (3.1.1 single use)', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const { res, body } = await validate('/serviceValidate', { service: APP, ticket: st });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /xml/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(body, /<cas:serviceResponse xmlns:cas="http:\/\/www\.yale\.edu\/tp\/cas">/);
  assert.equal(xmlText(body, 'user'), 'casuser');
  assert.ok(!body.includes('<cas:email>'), 'CAS 2.0 releases no attributes');
  const again = await validate('/serviceValidate', { service: APP, ticket: st });
  assert.equal(again.res.status, 200);
  assert.equal(failureCode(again.body), 'INVALID_TICKET');
});

test('p3/serviceValidate 2.8: attributes, multi-valued memberOf, protocol attributes, isFromNewLogin', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const { body } = await validate('/p3/serviceValidate', { service: APP, ticket: st });
  assert.equal(xmlText(body, 'user'), 'casuser');
  assert.equal(xmlText(body, 'email'), 'casuser@example.org');
  assert.deepEqual(xmlAll(body, 'memberOf'), ['staff', 'developers']);
  assert.equal(xmlText(body, 'isFromNewLogin'), 'true');
  assert.equal(xmlText(body, 'longTermAuthenticationRequestTokenUsed'), 'false');
  assert.match(xmlText(body, 'authenticationDate'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('format=JSON 2.5.1: JSON success and failure; unknown format is INVALID_REQUEST', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const { res, body } = await validate('/p3/serviceValidate', { service: APP, ticket: st, format: 'json' });
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const j = JSON.parse(body);
  assert.equal(j.serviceResponse.authenticationSuccess.user, 'casuser');
  assert.deepEqual(j.serviceResponse.authenticationSuccess.attributes.memberOf, ['staff', 'developers']);
  const fail = JSON.parse((await validate('/serviceValidate', { service: APP, ticket: st, format: 'JSON' })).body);
  assert.equal(fail.serviceResponse.authenticationFailure.code, 'INVALID_TICKET');
  const bad = await validate('/serviceValidate', { service: APP, ticket: 'ST-1', format: 'YAML' });
  assert.equal(failureCode(bad.body), 'INVALID_REQUEST');
});

test('validate 2.4: CAS 1.0 yes/no', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const ok = await validate('/validate', { service: APP, ticket: st });
  assert.equal(ok.res.status, 200);
  assert.match(ok.res.headers.get('content-type'), /^text\/plain/);
  assert.equal(ok.body, 'yes\ncasuser\n');
  const no = await validate('/validate', { service: APP, ticket: st });
  assert.equal(no.body, 'no\n\n');
});

test('INVALID_SERVICE 2.5.3 burns the ticket: the right service afterwards gets INVALID_TICKET', async () => {
  const st = await loginForTicket(new Browser(), APP);
  const wrong = await validate('/serviceValidate', { service: SECOND, ticket: st });
  assert.equal(failureCode(wrong.body), 'INVALID_SERVICE');
  const right = await validate('/serviceValidate', { service: APP, ticket: st });
  assert.equal(failureCode(right.body), 'INVALID_TICKET');
});

test('INVALID_REQUEST 2.5.3: missing or duplicated parameters', async () => {
  assert.equal(failureCode((await validate('/serviceValidate', { service: APP })).body), 'INVALID_REQUEST');
  assert.equal(failureCode((await validate('/serviceValidate', { ticket: 'ST-x' })).body), 'INVALID_REQUEST');
  const dup = await fetch(`${BASE}/serviceValidate?service=${encodeURIComponent(APP)}&service=${encodeURIComponent(SECOND)}&ticket=ST-1`);
  assert.equal(failureCode(await dup.text()), 'INVALID_REQUEST');
  assert.equal(failureCode((await validate('/serviceValidate', { service: APP, ticket: 'not-a-ticket' })).body), 'INVALID_TICKET');
});

test('SSO 2.1.1: a second service gets a ticket by 302 from the TGC alone; isFromNewLogin=false', async () => {
  const b = new Browser();
  await loginForTicket(b, APP);
  const st = await ssoTicket(b, SECOND);
  const { body } = await validate('/p3/serviceValidate', { service: SECOND, ticket: st });
  assert.equal(xmlText(body, 'user'), 'casuser');
  assert.equal(xmlText(body, 'isFromNewLogin'), 'false');
  assert.equal(xmlText(body, 'email'), 'casuser@example.org');
  assert.equal(xmlText(body, 'displayName'), undefined, 'only the released attributes');
});

test('session routing: a session\'s tickets end in its route; SSO during logout cannot revive the session', async () => {
  const b = new Browser();
  const st1 = await loginForTicket(b, APP);
  const tgc = b.tgc();
  const route = tgc.match(/^TGT-[0-9a-f]{64}-([0-9a-f]{12})$/)?.[1];
  assert.ok(route, `TGT id with a route: ${tgc.slice(0, 4)}…`);
  // Every service ticket of the session carries it, after >= 128 random bits (3.7).
  const st2 = await ssoTicket(b, SECOND);
  for (const st of [st1, st2]) assert.match(st, new RegExp(`^ST-[0-9a-f]{40}-${route}$`));
  // Tickets of different sessions land in different objects.
  const other = new Browser();
  await loginForTicket(other, APP);
  assert.notEqual(other.tgc().slice(-12), route);
  // SSO requests racing a logout: whatever they got, the session is dead afterwards.
  const racing = Array.from({ length: 8 }, () =>
    fetch(`${BASE}/login?${q({ service: APP })}`, { headers: { Cookie: `TGC-casplus=${tgc}` }, redirect: 'manual' }));
  await b.get('/logout');
  await Promise.all(racing);
  const after = await fetch(`${BASE}/login?${q({ service: APP })}`, { headers: { Cookie: `TGC-casplus=${tgc}` }, redirect: 'manual' });
  assert.equal(after.status, 200, 'the login form: the TGT was not written back');
});

test('renew 2.1.1/2.5.1: renew bypasses SSO; renew validation refuses an SSO ticket and accepts a fresh login', async () => {
  const b = new Browser();
  await loginForTicket(b, APP);
  const renewForm = await b.get(`/login?${q({ service: APP, renew: 'true' })}`);
  assert.equal(renewForm.status, 200, 'credentials are asked again');
  loginTicket(await renewForm.text());
  const sso = await ssoTicket(b, APP);
  const refused = await validate('/serviceValidate', { service: APP, ticket: sso, renew: 'true' });
  assert.equal(failureCode(refused.body), 'INVALID_TICKET');
  const fresh = await loginForTicket(b, APP, { query: { renew: 'true' } });
  const ok = await validate('/serviceValidate', { service: APP, ticket: fresh, renew: 'true' });
  assert.equal(xmlText(ok.body, 'user'), 'casuser');
});

test('gateway 2.1.1: without a session, back to the service without a ticket; with one, a ticket', async () => {
  const anon = new Browser();
  const res = await anon.get(`/login?${q({ service: APP, gateway: 'true' })}`);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), APP);
  const b = new Browser();
  await loginForTicket(b, APP);
  const sso = await b.get(`/login?${q({ service: SECOND, gateway: 'true' })}`);
  assert.equal(sso.status, 302);
  ticketFrom(sso.headers.get('location'), SECOND);
});

test('warn 2.2.1: the user is prompted before SSO; continuing issues the ticket with 303', async () => {
  const b = new Browser();
  await loginForTicket(b, APP, { extra: { warn: 'true' } });
  const prompt = await b.get(`/login?${q({ service: SECOND })}`);
  assert.equal(prompt.status, 200);
  assertHtmlPage(prompt, { formAction: `'self' ${app.url}` });
  const html = await prompt.text();
  assert.match(html, /Continue to E2E second app\?/);
  const lt = loginTicket(html);
  const go = await b.post('/login', { lt, service: SECOND });
  assert.equal(go.status, 303);
  const st = ticketFrom(go.headers.get('location'), SECOND);
  assert.equal(xmlText((await validate('/serviceValidate', { service: SECOND, ticket: st })).body, 'user'), 'casuser');
  const replay = await b.post('/login', { lt, service: SECOND });
  assert.notEqual(replay.status, 303, 'the warn token is single use');
});

test('method=POST 2.1.1: an auto-submitting form to the service, allowed by CSP form-action and a script hash', async () => {
  const b = new Browser();
  const res = await submitLogin(b, { service: APP, query: { method: 'POST' }, extra: { method: 'POST' } });
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  assert.ok(csp.includes(`form-action ${app.url};`), csp);
  assert.match(csp, /script-src 'sha256-/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const html = await res.text();
  assert.ok(html.includes(`<form method="post" action="${APP}" id="autopost">`), html);
  const st = html.match(/name="ticket" value="(ST-[A-Za-z0-9-]+)"/)[1];
  assert.equal(xmlText((await validate('/serviceValidate', { service: APP, ticket: st })).body, 'user'), 'casuser');
});

test('method=HEADER 2.1.1: service and ticket as response headers', async () => {
  const b = new Browser();
  await loginForTicket(b, APP);
  const res = await b.get(`/login?${q({ service: SECOND, method: 'HEADER' })}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('service'), SECOND);
  const st = res.headers.get('ticket');
  assert.match(st, /^ST-/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(xmlText((await validate('/serviceValidate', { service: SECOND, ticket: st })).body, 'user'), 'casuser');
});

test('login without service 2.2.4/2.1.1: "SSO session started", then "already signed in"', async () => {
  const b = new Browser();
  const res = await submitLogin(b, {});
  assert.equal(res.status, 200);
  assertHtmlPage(res);
  assert.match(await res.text(), /Single sign-on session started/);
  assert.ok(b.tgc());
  const again = await b.get('/login');
  assert.equal(again.status, 200);
  assert.match(await again.text(), /already signed in as <strong>casuser<\/strong>/);
});

test('remember-me 4.1: persistent TGC and longTermAuthenticationRequestTokenUsed on every validation', async () => {
  const b = new Browser();
  const res = await submitLogin(b, { service: APP, username: 'remember', password: 'remember-pass', extra: { rememberMe: 'true' } });
  assert.equal(res.status, 303);
  const sc = res.headers.getSetCookie()[0];
  assert.match(sc, /Max-Age=\d+/);
  const st = ticketFrom(res.headers.get('location'), APP);
  const { body } = await validate('/serviceValidate', { service: APP, ticket: st });
  assert.equal(xmlText(body, 'longTermAuthenticationRequestTokenUsed'), 'true');
});

test('wrong password 2.2.4: the form again with an error, 401, no ticket, no cookie, no password echoed', async () => {
  const b = new Browser();
  const res = await submitLogin(b, { service: APP, username: 'casuser', password: 'wrong-Secret-42' });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('location'), null);
  assert.equal(res.headers.getSetCookie().length, 0);
  const html = await res.text();
  assert.match(html, /role="alert"/);
  assert.ok(!html.includes('wrong-Secret-42'));
  assert.ok(html.includes('value="casuser"'), 'user name prefilled');
  loginTicket(html);
});

test('disabled account: refused like a wrong password', async () => {
  const res = await submitLogin(new Browser(), { service: APP, username: 'disabled', password: 'disabled-pass' });
  assert.equal(res.status, 401);
  assert.equal(res.headers.getSetCookie().length, 0);
});

test('login ticket 3.5.1: POST without lt, with a used lt, or with another service\'s lt is refused', async () => {
  const b = new Browser();
  const none = await b.post('/login', { username: 'casuser', password: 'Mellon', service: APP });
  assert.equal(none.status, 403);
  assert.deepEqual(none.headers.getSetCookie().filter((c) => c.startsWith('TGC-')), [], 'no TGC');
  const form = await b.get(`/login?${q({ service: APP })}`);
  const lt = loginTicket(await form.text());
  const first = await b.post('/login', { username: 'casuser', password: 'wrong', lt, service: APP });
  assert.equal(first.status, 401);
  const reuse = await b.post('/login', { username: 'casuser', password: 'Mellon', lt, service: APP });
  assert.equal(reuse.status, 403, 'an lt is good for one attempt');
  const form2 = await b.get(`/login?${q({ service: APP })}`);
  const lt2 = loginTicket(await form2.text());
  const other = await b.post('/login', { username: 'casuser', password: 'Mellon', lt: lt2, service: SECOND });
  assert.equal(other.status, 403, 'an lt is bound to its service');
  assert.equal(b.tgc(), undefined);
});

test('unregistered service 2.2.1: an error page, no ticket, no redirect', async () => {
  const b = new Browser();
  await loginForTicket(b, APP);
  const res = await b.get(`/login?${q({ service: 'https://evil.example/steal' })}`);
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('location'), null);
  assertHtmlPage(res);
  const html = await res.text();
  assert.match(html, /not registered/);
  assert.ok(!/ST-[0-9a-f]/.test(html));
});

test('logout 2.3: destroys the session, clears the TGC, redirects only to a registered service', async () => {
  const b = new Browser();
  const st = await loginForTicket(b, APP);
  const tgc = b.tgc();
  const res = await b.get(`/logout?${q({ service: APP })}`);
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), APP);
  assert.match(res.headers.getSetCookie()[0], /^TGC-casplus=; Path=\/cas; HttpOnly; SameSite=Lax; Max-Age=0/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  // The old cookie no longer gives SSO (anywhere: the revocation is in the Durable Object).
  const replayed = await fetch(`${BASE}/login?${q({ service: APP })}`, { headers: { Cookie: `TGC-casplus=${tgc}` }, redirect: 'manual' });
  assert.equal(replayed.status, 200, 'login form, not a ticket');
  // Outstanding service tickets of the session die with it.
  assert.equal(failureCode((await validate('/serviceValidate', { service: APP, ticket: st })).body), 'INVALID_TICKET');
});

test('logout 2.3.1/2.3.2: url is ignored and an unregistered service is not followed', async () => {
  for (const params of [{ service: 'https://evil.example/' }, { url: 'https://evil.example/' }, { url: APP }]) {
    const res = await new Browser().get(`/logout?${q(params)}`);
    assert.equal(res.status, 200, JSON.stringify(params));
    assert.equal(res.headers.get('location'), null);
    assertHtmlPage(res);
    assert.match(await res.text(), /You have signed out/);
  }
});

test('expired ST 3.1.1: a ticket older than its lifetime (4 s in this configuration) is INVALID_TICKET', async () => {
  const st = await loginForTicket(new Browser(), APP);
  await sleep(4500);
  const { body } = await validate('/serviceValidate', { service: APP, ticket: st });
  assert.equal(failureCode(body), 'INVALID_TICKET');
});

test('samlValidate 4.2: SAML 1.1 over SOAP, attributes only to an https TARGET', async () => {
  const secure = 'https://localhost/secure/app';
  const b = new Browser();
  const st = await loginForTicket(b, secure);
  const soap = (artifact) => `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body><samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" MinorVersion="1" RequestID="_e2e-1" IssueInstant="2026-01-01T00:00:00Z"><samlp:AssertionArtifact>${artifact}</samlp:AssertionArtifact></samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
  const post = (target, body) => fetch(`${BASE}/samlValidate?${q({ TARGET: target })}`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body });
  const res = await post(secure, soap(st));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/xml/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const xml = await res.text();
  assert.match(xml, /<samlp:StatusCode Value="samlp:Success"/);
  assert.match(xml, /<saml:NameIdentifier>casuser<\/saml:NameIdentifier>/);
  assert.match(xml, /InResponseTo="_e2e-1"/);
  assert.match(xml, /AttributeName="memberOf"/);
  const replay = await (await post(secure, soap(st))).text();
  assert.doesNotMatch(replay, /samlp:Success/);
  // http TARGET: no attributes (4.2.1).
  const st2 = await ssoTicket(b, APP);
  const plain = await (await post(APP, soap(st2))).text();
  assert.match(plain, /samlp:Success/);
  assert.doesNotMatch(plain, /AttributeName="email"/);
  // GET is not a SAML request.
  const get = await fetch(`${BASE}/samlValidate?${q({ TARGET: APP })}`);
  assert.equal(get.status, 200);
  assert.doesNotMatch(await get.text(), /samlp:Success/);
});

test('routing: /cas redirects to /cas/login, unknown endpoints 404, wrong methods 405 with Allow', async () => {
  const root = await fetch(`${BASE}`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/cas/login');
  assert.equal((await fetch(`${BASE}/nope`)).status, 404);
  const put = await fetch(`${BASE}/serviceValidate`, { method: 'PUT' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'GET, HEAD');
  const del = await fetch(`${BASE}/login`, { method: 'DELETE' });
  assert.equal(del.status, 405);
});

test('static assets: / is served from www/', async () => {
  const res = await fetch(new URL('/', BASE));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/html/);
});

test.after(() => app.close());
