// The login pages in a real browser: Chromium (Debian) driven by playwright-core. Keyboard
// only, no CSP violation, and the hand-offs to the service (303 redirect, method=POST
// auto-submit) work under the strict CSP. Screenshots go to E2E_ARTIFACTS
// (default target/e2e-artifacts) — look at them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, Browser, q, httpServer, loginTicket, validate, xmlText } from './lib.mjs';

const ROOT = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(ROOT, 'target/e2e-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const app = await httpServer((req, res) => {
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>app</title><h1>Welcome to the app</h1>');
});
const APP = `${app.url}/app`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync', '--disable-quic'],
  // playwright-core gives every launch a fresh temporary profile (user data dir).
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { context, page, problems };
}

test('Chromium: keyboard-only login lands on the service with a ticket; no CSP violation', async () => {
  const { context, page, problems } = await newPage();
  await page.goto(`${BASE}/login?${q({ service: APP })}`);
  assert.equal(await page.title(), 'Sign in · CAS');
  // The stylesheet applied (its hash matches the CSP): the card has a border radius.
  const radius = await page.$eval('main', (el) => getComputedStyle(el).borderTopLeftRadius);
  assert.equal(radius, '12px');
  await page.screenshot({ path: join(ARTIFACTS, 'login-form.png') });
  // Focus starts in the user name field (autofocus); Tab moves to the password.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'username');
  await page.keyboard.type('casuser');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
  await page.keyboard.type('Mellon');
  await Promise.all([page.waitForURL(/\/app\?ticket=ST-/), page.keyboard.press('Enter')]);
  await page.screenshot({ path: join(ARTIFACTS, 'landed-on-service.png') });
  const ticket = new URL(page.url()).searchParams.get('ticket');
  assert.equal(xmlText((await validate('/serviceValidate', { service: APP, ticket })).body, 'user'), 'casuser');
  // The cookie as the browser stored it.
  const [tgc] = (await context.cookies(BASE)).filter((c) => c.name === 'TGC-casplus');
  assert.ok(tgc.httpOnly);
  assert.equal(tgc.sameSite, 'Lax');
  assert.equal(tgc.path, '/cas');
  assert.equal(tgc.expires, -1, 'a session cookie');
  // SSO: the next login is a redirect without any page.
  await page.goto(`${BASE}/login?${q({ service: `${app.url}/second` })}`);
  assert.match(page.url(), /\/second\?ticket=ST-/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Chromium: a wrong password shows an accessible error, then logout shows the signed-out page', async () => {
  const { context, page, problems } = await newPage();
  await page.goto(`${BASE}/login?${q({ service: APP })}`);
  await page.fill('#username', 'casuser');
  await page.fill('#password', 'not-the-password');
  await Promise.all([page.waitForLoadState(), page.click('button[type=submit]')]);
  const alert = page.getByRole('alert');
  assert.match(await alert.textContent(), /incorrect/);
  assert.equal(await page.getAttribute('#password', 'aria-describedby'), 'login-error');
  await page.screenshot({ path: join(ARTIFACTS, 'login-error.png') });
  await page.fill('#password', 'Mellon');
  await Promise.all([page.waitForURL(/\/app\?ticket=/), page.click('button[type=submit]')]);
  await page.goto(`${BASE}/logout`);
  assert.match(await page.textContent('h1'), /Signed out/);
  await page.screenshot({ path: join(ARTIFACTS, 'logged-out.png') });
  assert.equal((await context.cookies(BASE)).filter((c) => c.name === 'TGC-casplus').length, 0);
  // Errors from the deliberate 401 are expected in the console; no CSP violation is.
  assert.deepEqual(problems.filter((p) => /Content Security Policy/i.test(p)), []);
  await context.close();
});

test('Chromium: method=POST hands the ticket to the service by an auto-submitted form under the CSP', async () => {
  const { context, page, problems } = await newPage();
  await page.goto(`${BASE}/login?${q({ service: APP, method: 'POST' })}`);
  await page.fill('#username', 'casuser');
  await page.fill('#password', 'Mellon');
  await Promise.all([page.waitForURL(APP), page.click('button[type=submit]')]);
  await page.waitForSelector('h1');
  const post = app.requests.filter((r) => r.method === 'POST').at(-1);
  assert.ok(post, 'the service received a POST');
  const ticket = new URLSearchParams(post.body).get('ticket');
  assert.match(ticket, /^ST-/);
  assert.deepEqual(problems.filter((p) => /Content Security Policy/i.test(p)), []);
  await context.close();
});

test('Chromium: the warn interstitial works with the keyboard', async () => {
  const { context, page, problems } = await newPage();
  await page.goto(`${BASE}/login?${q({ service: APP })}`);
  await page.fill('#username', 'casuser');
  await page.fill('#password', 'Mellon');
  await page.check('input[name=warn]');
  await Promise.all([page.waitForURL(/\/app\?ticket=/), page.click('button[type=submit]')]);
  await page.goto(`${BASE}/login?${q({ service: `${app.url}/second` })}`);
  assert.match(await page.textContent('h1'), /Continue to E2E second app\?/);
  await page.screenshot({ path: join(ARTIFACTS, 'warn.png') });
  await page.focus('button[type=submit]');
  await Promise.all([page.waitForURL(/\/second\?ticket=ST-/), page.keyboard.press('Enter')]);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Chromium: a login CSRF — another site auto-submits the attacker\'s form — is refused; the victim stays signed out', async () => {
  // The attacker's own form and login ticket (its own cookie jar), for its own account…
  const attacker = new Browser();
  const form = await attacker.get(`/login?${q({ service: APP })}`);
  const lt = loginTicket(await form.text());
  // …posted by the victim's browser from a page on another origin.
  const evil = await httpServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><title>win a prize</title>
<form method="POST" action="${BASE}/login?${q({ service: APP })}">
<input name="username" value="casuser"><input name="password" value="Mellon">
<input name="lt" value="${lt}"><input name="service" value="${APP}"></form>
<script>document.forms[0].submit()</script>`);
  });
  try {
    const { context, page } = await newPage();
    await page.goto(`${BASE}/login`); // the victim has been to the CAS server before
    await Promise.all([page.waitForURL(`${BASE}/login?${q({ service: APP })}`), page.goto(`${evil.url}/prize`)]);
    await page.waitForSelector('[role=alert]');
    assert.match(await page.textContent('[role=alert]'), /did not come from a form opened in this browser/);
    assert.equal(await page.inputValue('#username'), '', 'nothing of the forged POST is echoed');
    await page.screenshot({ path: join(ARTIFACTS, 'login-csrf-refused.png') });
    assert.equal((await context.cookies(BASE)).filter((c) => c.name === 'TGC-casplus').length, 0, 'not signed in');
    await context.close();
  } finally {
    await evil.close();
  }
});

test('Chromium: logout loads the front-channel service\'s logout URL with its SAMLRequest, then goes on to the service (2.3.3, 2.3.2)', async () => {
  const front = await httpServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>front</title><p>signed out here too');
  });
  const { context, page, problems } = await newPage();
  try {
    const FRONT = `${front.url}/front/app`;
    await page.goto(`${BASE}/login?${q({ service: FRONT })}`);
    await page.fill('#username', 'casuser');
    await page.fill('#password', 'Mellon');
    await Promise.all([page.waitForURL(/\/front\/app\?ticket=ST-/), page.click('button[type=submit]')]);
    const ticket = new URL(page.url()).searchParams.get('ticket');
    assert.equal(xmlText((await validate('/serviceValidate', { service: FRONT, ticket })).body, 'user'), 'casuser');
    // Logout with a registered service: the page frames the front-channel URL and, once
    // it (frames included) has loaded, goes on to the service.
    await Promise.all([page.waitForURL(`${APP}?after=logout`), page.goto(`${BASE}/logout?${q({ service: `${APP}?after=logout` })}`)]);
    const loads = front.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/front/app?SAMLRequest='));
    assert.equal(loads.length, 1, 'the browser loaded the front-channel URL before moving on');
    // As Apereo CAS sends it: the LogoutRequest, zlib-deflated and base64-encoded.
    const message = new URL(loads[0].url, front.url).searchParams.get('SAMLRequest');
    const xml = inflateSync(Buffer.from(message, 'base64')).toString('utf8');
    assert.match(xml, /^<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2\.0:protocol"/);
    assert.ok(xml.includes(`<samlp:SessionIndex>${ticket}</samlp:SessionIndex>`), xml);
    assert.ok(!front.requests.some((r) => r.method === 'POST'), 'no back-channel POST to a front-channel service');
    assert.deepEqual(problems.filter((p) => /Content Security Policy/i.test(p)), []);
    assert.equal((await context.cookies(BASE)).filter((c) => c.name === 'TGC-casplus').length, 0);
  } finally {
    await context.close();
    await front.close();
  }
});

test.after(async () => { await browser.close(); await app.close(); });
