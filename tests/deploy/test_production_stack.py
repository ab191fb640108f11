"""The production stack end to end: gunicorn with the production settings, a real
Celery worker on Redis, PostgreSQL, and an SMTP server receiving the email."""

import os
import time

import pytest
import requests
from aiosmtpd.controller import Controller
from django.db import connection
from oauth2_provider.models import get_application_model

from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory
from conftest import services_required
from core.testing import free_port, gunicorn_server, production_env
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.reliability.faults import celery_worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def stack(tmp_path, settings):
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        if services_required():
            pytest.fail("needs the PostgreSQL and Redis of make test")
        pytest.skip("needs the PostgreSQL and Redis of make test")
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = production_env(
        free_port(),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="2",
    )
    try:
        with (
            celery_worker(env, tmp_path / "worker.log"),
            open(tmp_path / "web.log", "w+") as log,
            gunicorn_server(env, log) as web,
        ):
            yield web.base_url, sink
    finally:
        smtp.stop()


def test_token_award_public_page_and_email_through_the_production_stack(stack, settings):
    base, sink = stack
    ensure_public_client(get_application_model())
    # the production process knows only the production hasher
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = UserFactory(email="owner@stack.example")
    membership = MembershipFactory(user=user, role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=5)
    template = BadgeTemplateFactory(issuer=membership.issuer, name="Stack badge")

    ready = requests.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    token = requests.post(
        f"{base}/o/token", data={"username": user.email, "password": "pw-for-tests"}, timeout=10
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    award = requests.post(
        f"{base}/v2/badgeclasses/{template.entity_id}/assertions",
        json={"recipient": {"identity": "learner@stack.example"}, "notify": True},
        headers=headers,
        timeout=10,
    )
    assert award.status_code == 201, award.text
    badge = award.json()["result"][0]

    # the public page and its Open Badges JSON, with caching headers
    page = requests.get(badge["openBadgeId"], headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "Stack badge" in page.text
    document = requests.get(
        badge["openBadgeId"], headers={"Accept": "application/ld+json"}, timeout=10
    )
    assert document.status_code == 200
    assert document.json()["id"] == badge["openBadgeId"]
    assert "max-age" in document.headers.get("Cache-Control", "")
    assert document.headers.get("ETag")

    # the worker sends the email to the SMTP server
    for _ in range(100):
        if sink.messages:
            break
        time.sleep(0.1)
    assert len(sink.messages) == 1
    assert sink.messages[0].rcpt_tos == ["learner@stack.example"]
    assert b"Stack badge" in sink.messages[0].content
