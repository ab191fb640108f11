"""Accounts, public pages and the production configuration: what a visitor can learn,
how long a set-password link lives, how fast a password can be guessed, and the headers
and cookies production sends."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.core.cache import cache

from accounts.models import User
from assertions.services import assertion_issue
from core.models import OutboundEmail
from core.services import outbox_send
from issuers.services import credits_top_up
from templates_app.tests.factories import BadgeTemplateFactory
from tests.test_project import PRODUCTION_ENV, ROOT

pytestmark = pytest.mark.django_db

EMAIL = "private.person@example.org"


@pytest.fixture
def badge(db):
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=5)
    return assertion_issue(
        template=template, recipient_email=EMAIL, recipient_first_name="Pat", notify=True
    ).assertion


# -- public pages ------------------------------------------------------------------------


def test_no_public_page_or_document_reveals_the_recipient_email(client, badge):
    template = badge.badge_template_version.template
    paths = [
        f"/public/assertions/{badge.entity_id}",
        f"/public/assertions/{badge.entity_id}.json",
        f"/public/assertions/{badge.entity_id}?v=2_0",
        f"/public/assertions/{badge.entity_id}/image",
        f"/public/assertions/{badge.entity_id}/credential",
        f"/public/badges/{template.entity_id}",
        f"/public/badges/{template.entity_id}.json",
        f"/public/issuers/{badge.organization.entity_id}",
        f"/public/issuers/{badge.organization.entity_id}.json",
        f"/public/issuers/{badge.organization.entity_id}/revocations",
    ]
    for path in paths:
        response = client.get(path, HTTP_ACCEPT="text/html" if "." not in path else "*/*")
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for form in (EMAIL, EMAIL.upper(), EMAIL.replace("@", "%40"), "private.person"):
            assert form.encode() not in body, (path, form)


# -- set-password links ------------------------------------------------------------------


def _link(badge) -> str:
    email = OutboundEmail.objects.get(assertion=badge)
    outbox_send(email_id=email.pk)
    link = next(w for w in mail.outbox[-1].body.split() if "/accounts/set-password/" in w)
    return link.split("127.0.0.1:8000", 1)[1]


def _valid(client, path) -> bool:
    page = client.get(path, follow=True)
    assert page.status_code == 200
    return page.context["validlink"]


def test_a_set_password_link_expires_after_password_link_timeout(
    client, badge, settings, monkeypatch
):
    path = _link(badge)
    sent = dt.datetime.now()  # what the token generator measures with  # noqa: DTZ005
    timeout = dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    assert timeout == dt.timedelta(days=7)
    # a minute before the deadline the link works; a minute after it does not
    monkeypatch.setattr(
        PasswordResetTokenGenerator, "_now", lambda self: sent + timeout - dt.timedelta(minutes=1)
    )
    assert _valid(client, path)
    client.logout()
    monkeypatch.setattr(
        PasswordResetTokenGenerator, "_now", lambda self: sent + timeout + dt.timedelta(minutes=1)
    )
    assert not _valid(client, path)
    assert not User.objects.get(email=EMAIL).has_usable_password()


# (single use: assertions/tests/test_issue.py::test_the_set_password_link_sets_a_password_once)


# -- guessing passwords ------------------------------------------------------------------


def test_password_guessing_on_the_earners_login_page_is_throttled(client, badge, settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    cache.clear()
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": EMAIL, "password": "guess"})
        assert response.status_code == 200
    blocked = client.post("/accounts/login/", {"username": EMAIL, "password": "guess"})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    cache.clear()


# -- production headers and cookies ------------------------------------------------------

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

# collectstatic's manifest is not there; nothing else is changed
static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}).enable()
client = Client(HTTP_HOST="badges.example.org")
page = client.get("/accounts/login/", secure=True)
plain = client.get("/accounts/login/")
csrf = page.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "status": page.status_code,
    "headers": dict(page.items()),
    "plain": [plain.status_code, plain.get("Location")],
    "csrf": {"secure": bool(csrf["secure"]), "samesite": csrf["samesite"]},
    "session": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                settings.SESSION_COOKIE_SAMESITE],
}))
"""


def test_production_sends_hsts_csp_frame_ancestors_and_secure_cookies():
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="badges_project.settings.production")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    headers = got["headers"]
    assert got["status"] == 200
    # plain HTTP is sent to HTTPS
    assert got["plain"] == [301, "https://badges.example.org/accounts/login/"]
    hsts = headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
    assert "includeSubDomains" in hsts
    csp = {d.split()[0]: d.split()[1:] for d in headers["Content-Security-Policy"].split("; ")}
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval
    assert csp["object-src"] == ["'none'"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert got["csrf"] == {"secure": True, "samesite": "Lax"}
    assert got["session"] == [True, True, "Lax"]
