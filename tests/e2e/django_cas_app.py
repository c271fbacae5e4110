"""A django-cas-ng (PyPI) protected Django application for the end-to-end tests.

usage: django_cas_app.py PORT CAS_BASE SQLITE_FILE
Serves /django/accounts/login (django-cas-ng's LoginView: CAS redirect, ticket validation,
single-logout receiver), /django/accounts/logout and /django/whoami (login required).
"""
import sys

from django.conf import settings

port, cas_base, db = sys.argv[1], sys.argv[2], sys.argv[3]
settings.configure(
    DEBUG=False,
    SECRET_KEY="e2e-only-not-a-secret",
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django_cas_ng",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    AUTHENTICATION_BACKENDS=["django_cas_ng.backends.CASBackend"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}},
    USE_TZ=True,
    CAS_SERVER_URL=cas_base + "/",
    CAS_VERSION="3",
    CAS_REDIRECT_URL="/django/whoami",
    CAS_LOGIN_MSG=None,
    CAS_LOGGED_MSG=None,
    CAS_LOGOUT_COMPLETELY=True,
)

import django  # noqa: E402

django.setup()

from django.contrib.auth.decorators import login_required  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django_cas_ng import views as cas_views  # noqa: E402


@login_required(login_url="/django/accounts/login")
def whoami(request):
    return JsonResponse(
        {"user": request.user.get_username(), "attributes": request.session.get("attributes")}
    )


urlpatterns = [
    path("django/accounts/login", cas_views.LoginView.as_view(), name="cas_ng_login"),
    path("django/accounts/logout", cas_views.LogoutView.as_view(), name="cas_ng_logout"),
    path("django/whoami", whoami),
]

if __name__ == "__main__":
    call_command("migrate", verbosity=0, interactive=False)
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)
