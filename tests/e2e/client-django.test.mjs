// casplus/client (issue 17) against an independent CAS server: django-cas-server from PyPI
// (pinned in tests/tools/setup.sh e2e, in .venv), started here on a free loopback port with
// SQLite, Django's own server and the e2e test CA for proxy callbacks. The same suite as
// against the casplus Worker (tests/e2e/client-suite.mjs); django-cas-server has no CAS 3.0
// JSON, so the second app validates with XML too.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TMP, freePort, stopGroup, eventually } from './lib.mjs';
import { clientSuite } from './client-suite.mjs';

const root = process.env.E2E_ROOT ?? assert.fail('E2E_ROOT is not set');
const python = join(root, '.venv/bin/python');
assert.ok(existsSync(python), 'no .venv: run tests/tools/setup.sh e2e');
execFileSync(python, ['-c', 'import cas_server'], { stdio: 'inherit' }); // fails loudly when missing

const dir = join(TMP, 'djcas');
mkdirSync(join(dir, 'e2ecas'), { recursive: true });
writeFileSync(join(dir, 'e2ecas/__init__.py'), '');
writeFileSync(join(dir, 'e2ecas/urls.py'), `from django.urls import include, path
urlpatterns = [path("cas/", include("cas_server.urls", namespace="cas_server"))]
`);
writeFileSync(join(dir, 'e2ecas/settings.py'), `SECRET_KEY = "e2e-only-not-secret-${process.pid}"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "e2ecas.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "${join(dir, 'db.sqlite3')}"}}
STATIC_URL = "/static/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
# Proxy callbacks (2.5.4) are verified against the e2e test CA.
CAS_PROXY_CA_CERTIFICATE_PATH = "${join(TMP, 'ca.pem')}"
`);
const env = { ...process.env, PYTHONPATH: dir, DJANGO_SETTINGS_MODULE: 'e2ecas.settings' };
execFileSync(python, ['-m', 'django', 'migrate', '-v', '0'], { env, stdio: 'inherit' });
execFileSync(python, ['-m', 'django', 'shell', '-c', `
from django.contrib.auth.models import User
from cas_server.models import ServicePattern, ReplaceAttributName
User.objects.create_user("casuser", "casuser@example.org", "Mellon", first_name="CAS", last_name="User")
p = ServicePattern.objects.create(pos=1, name="e2e loopback", proxy=True, proxy_callback=True,
    pattern=r"^https?://127\\.0\\.0\\.1(:\\d+)?(/.*)?$", single_log_out=True)
for a in ("email", "first_name", "last_name"):
    ReplaceAttributName.objects.create(name=a, service_pattern=p)
`], { env, stdio: 'inherit' });

const port = await freePort();
const child = spawn(python, ['-m', 'django', 'runserver', '--noreload', '--nothreading', `127.0.0.1:${port}`], {
  env, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
});
let log = '';
child.stderr.on('data', (d) => { log += d; });
after(() => stopGroup(child));
const BASE = `http://127.0.0.1:${port}/cas`;
assert.ok(await eventually(async () => (await fetch(`${BASE}/login`).catch(() => null))?.status === 200, 30000), `django-cas-server did not start:\n${log}`);

/** The hidden and visible inputs of django-cas-server's login form. */
function formInputs(html) {
  const out = {};
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const name = m[0].match(/\bname="([^"]*)"/)?.[1];
    const value = m[0].match(/\bvalue="([^"]*)"/)?.[1] ?? '';
    if (name) out[name] = value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  }
  return out;
}

await clientSuite({
  name: 'django-cas-server',
  BASE,
  json: false,
  async login(browser, service, query = {}) {
    const url = `${BASE}/login?${new URLSearchParams({ service, ...query })}`;
    const form = await browser.get(url);
    assert.equal(form.status, 200, 'login form');
    const fields = { ...formInputs(await form.text()), username: 'casuser', password: 'Mellon' };
    const res = await browser.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: url },
      body: new URLSearchParams(fields).toString(),
    });
    assert.equal(res.status, 302, `login POST: ${res.status}`);
    return res.headers.get('location');
  },
  attributes: { email: ['casuser@example.org'], first_name: ['CAS'] },
});
