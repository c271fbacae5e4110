// A real CAS client: Debian libapache2-mod-auth-cas in an Apache started for the test.
// mod_auth_cas validates only over https, so the Worker is reached through a small TLS
// front (a certificate from the test CA, which mod_auth_cas trusts via CASCertificatePath).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, chownSync, chmodSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { BASE, TMP, Browser, loginTicket, sleep, eventually, freePort } from './lib.mjs';

// TLS front: https://127.0.0.1:TLS_PORT/cas/... → the Worker's http endpoint.
const upstream = new URL(BASE);
const front = createHttpsServer({
  key: readFileSync(join(TMP, 'server.key')), cert: readFileSync(join(TMP, 'server.pem')),
}, (req, res) => {
  const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(up);
});
await new Promise((r) => front.listen(0, '127.0.0.1', r));
const CAS_TLS = `https://127.0.0.1:${front.address().port}/cas`;

// Apache with mod_auth_cas, in its own directory, as www-data when started as root.
const dir = join(TMP, 'apache');
for (const d of ['htdocs/modcas', 'cas-cookies']) mkdirSync(join(dir, d), { recursive: true });
writeFileSync(join(dir, 'htdocs/modcas/index.html'), 'protected\n');
const root = process.getuid() === 0;
if (root) {
  // Apache's children run as www-data: let them through the (0700) temp directory.
  chmodSync(TMP, 0o711);
  chownSync(join(dir, 'cas-cookies'), 33, 33);
}
const port = await freePort();
const APP = `http://127.0.0.1:${port}/modcas/index.html`;
const mods = '/usr/lib/apache2/modules';
writeFileSync(join(dir, 'httpd.conf'), `
ServerRoot ${dir}
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel warn auth_cas:debug
LoadModule mpm_prefork_module ${mods}/mod_mpm_prefork.so
LoadModule authn_core_module ${mods}/mod_authn_core.so
LoadModule authz_core_module ${mods}/mod_authz_core.so
LoadModule authz_user_module ${mods}/mod_authz_user.so
LoadModule headers_module ${mods}/mod_headers.so
LoadModule auth_cas_module ${mods}/mod_auth_cas.so
${root ? 'User www-data\nGroup www-data' : ''}
StartServers 1
MinSpareServers 1
MaxSpareServers 2
DocumentRoot ${dir}/htdocs
<Directory />
  AllowOverride None
</Directory>
CASCookiePath ${dir}/cas-cookies/
CASLoginURL ${CAS_TLS}/login
CASValidateURL ${CAS_TLS}/serviceValidate
CASCertificatePath ${TMP}/ca.pem
CASVersion 2
CASDebug On
CASSSOEnabled On
<Location /modcas>
  AuthType CAS
  Require valid-user
  Header always set X-Remote-User "expr=%{REMOTE_USER}"
</Location>
`);
const apache = spawn('/usr/sbin/apache2', ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
let apacheOut = '';
apache.stdout.on('data', (d) => { apacheOut += d; });
apache.stderr.on('data', (d) => { apacheOut += d; });
const errorLog = () => { try { return readFileSync(join(dir, 'error.log'), 'utf8'); } catch { return ''; } };
assert.ok(await eventually(async () => {
  try { await fetch(APP, { redirect: 'manual' }); return true; } catch { return false; }
}, 15000), `apache starts: ${apacheOut} ${errorLog()}`);

test('mod_auth_cas (CAS 2.0 over https): redirect to the Worker, login, ticket validated, REMOTE_USER set', async () => {
  const app = new Browser();
  const cas = new Browser();
  let res = await app.fetch(APP);
  assert.equal(res.status, 302);
  const login = res.headers.get('location');
  assert.ok(login.startsWith(`${CAS_TLS}/login?service=`), login);
  const service = new URL(login).searchParams.get('service');
  assert.equal(service, APP);
  // The browser reaches the login page over plain http here (same Worker).
  res = await cas.get(`/login?service=${encodeURIComponent(service)}`);
  const lt = loginTicket(await res.text());
  res = await cas.post('/login', { username: 'casuser', password: 'Mellon', lt, service });
  assert.equal(res.status, 303);
  const back = res.headers.get('location');
  assert.ok(back.startsWith(`${APP}?ticket=ST-`), back);
  res = await app.fetch(back);
  // mod_auth_cas validates, sets its session cookie and strips the ticket.
  assert.equal(res.status, 302, errorLog().slice(-1500));
  assert.equal(res.headers.get('location'), APP);
  res = await app.fetch(APP);
  assert.equal(res.status, 200, errorLog().slice(-1500));
  assert.equal(res.headers.get('x-remote-user'), 'casuser');
  assert.equal(await res.text(), 'protected\n');
  // Replaying the ticket gets nowhere.
  const replay = await new Browser().fetch(back);
  assert.notEqual(replay.status, 200);
});

test('mod_auth_cas single sign-out (CASSSOEnabled): the Worker\'s logoutRequest ends the Apache session', async () => {
  const app = new Browser();
  const cas = new Browser();
  let res = await app.fetch(APP);
  const service = new URL(res.headers.get('location')).searchParams.get('service');
  res = await cas.get(`/login?service=${encodeURIComponent(service)}`);
  const lt = loginTicket(await res.text());
  res = await cas.post('/login', { username: 'casuser', password: 'Mellon', lt, service });
  await app.fetch(res.headers.get('location'));
  assert.equal((await app.fetch(APP)).status, 200);
  await cas.get('/logout');
  assert.ok(await eventually(async () => (await app.fetch(APP)).status === 302, 10000),
    `the mod_auth_cas session is gone: ${errorLog().slice(-1500)}`);
});

test.after(async () => {
  try { process.kill(-apache.pid, 'SIGTERM'); } catch { /* gone */ }
  await sleep(300);
  try { process.kill(-apache.pid, 'SIGKILL'); } catch { /* gone */ }
  front.closeAllConnections?.();
  await new Promise((r) => front.close(r));
  // Apache children run as www-data in their own group; make sure none is left.
  try { execFileSync('pkill', ['-g', String(apache.pid)]); } catch { /* none */ }
});
