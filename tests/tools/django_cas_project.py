#!/usr/bin/env python3
"""A minimal Django project serving django-cas-server (PyPI) at /cas, for the tests and
benchmarks that need an independent CAS server: SQLite, DEBUG off, no call home, the user
casuser / Mellon (email, first and last name released), and one service pattern for loopback.

    .venv/bin/python tests/tools/django_cas_project.py DIR [--proxy-ca PEM] [--single-logout]

writes DIR/casproject/{settings,urls,wsgi}.py, migrates DIR/db.sqlite3 and creates the user and
the pattern. Then serve it with PYTHONPATH=DIR DJANGO_SETTINGS_MODULE=casproject.settings
(`python -m django runserver` or `gunicorn casproject.wsgi:application`). --proxy-ca: the CA
that proxy callbacks (CAS 3.0 §2.5.4) are verified against; --single-logout: the pattern sends
single-logout requests (§2.3.3).
"""
import argparse
import os
import secrets
import sys
from pathlib import Path

SETTINGS = '''SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
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
ROOT_URLCONF = "casproject.urls"
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {{"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]}},
}}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}}
STATIC_URL = "/static/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# No call home (the default fetches the newest version from the package index).
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
'''

URLS = '''from django.urls import include, path
urlpatterns = [path("cas/", include("cas_server.urls", namespace="cas_server"))]
'''

WSGI = '''from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
'''

# Loopback services only, any port and path.
PATTERN = r"^https?://(127\.0\.0\.1|localhost)(:\d+)?(/.*)?$"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--proxy-ca", help="CA certificate (PEM) for proxy callbacks")
    ap.add_argument("--single-logout", action="store_true", help="send single-logout requests")
    args = ap.parse_args()

    pkg = args.dir / "casproject"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    settings = SETTINGS.format(secret=secrets.token_hex(32), db=str(args.dir / "db.sqlite3"))
    if args.proxy_ca:
        settings += f"CAS_PROXY_CA_CERTIFICATE_PATH = {args.proxy_ca!r}\n"
    (pkg / "settings.py").write_text(settings)
    (pkg / "urls.py").write_text(URLS)
    (pkg / "wsgi.py").write_text(WSGI)

    sys.path.insert(0, str(args.dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = "casproject.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User
    from cas_server.models import ReplaceAttributName, ServicePattern

    User.objects.create_user("casuser", "casuser@example.org", "Mellon",
                             first_name="CAS", last_name="User")
    pattern = ServicePattern.objects.create(
        pos=1, name="Loopback services", proxy=True, proxy_callback=True,
        pattern=PATTERN, single_log_out=args.single_logout)
    for name in ("email", "first_name", "last_name"):
        ReplaceAttributName.objects.create(name=name, service_pattern=pattern)


if __name__ == "__main__":
    main()
