"""A streamed export longer than gunicorn's worker timeout arrives whole: the worker
tells the arbiter it is alive while it streams (core.streaming), which a sync worker
otherwise only does between requests."""

import datetime as dt
import secrets
import time

import pytest
import requests
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken, get_application_model

from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory
from conftest import services_required
from core.testing import free_port, gunicorn_server, production_env
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v1.helpers import make_badges

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# seconds: gunicorn's worker timeout in this test. Longer than the 2 s gunicorn waits,
# silent, after a response for a slow client to read the rest (util.close_graceful): at
# 2 s a worker was now and then killed in that wait, after the whole export was sent.
TIMEOUT = 4


def test_an_export_streaming_longer_than_the_worker_timeout_arrives_whole(tmp_path, settings):
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("needs the PostgreSQL of make test")
        pytest.skip("needs the PostgreSQL of make test")
    # Given 20,000 badges (about 9 MB of CSV) and gunicorn as deployed, its workers
    # killed when silent for TIMEOUT seconds
    # (a token made here: the password grant's hashing alone may outlast 2 s on a busy
    # machine, and a worker that did would be killed for it, not for the download)
    user = UserFactory(email="owner@long.example")
    token = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        user=user,
        application=ensure_public_client(get_application_model()),
        token=token,
        scope="rw:issuer",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    membership = MembershipFactory(user=user, role=Role.OWNER)
    make_badges(BadgeTemplateFactory(issuer=membership.issuer), 20_000)
    env = production_env(
        free_port(),
        GUNICORN_TIMEOUT=str(TIMEOUT),
        WEB_CONCURRENCY="1",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    with open(tmp_path / "web.log", "w+") as log, gunicorn_server(env, log) as web:
        # When a slow client downloads the export over more than twice that
        start, size, lines = time.monotonic(), 0, 0
        with requests.get(
            f"{web.base_url}/api/v1/badges/export?format=csv",
            headers={"Authorization": f"Bearer {token}"},
            stream=True,
            timeout=30,
        ) as response:
            assert response.status_code == 200
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                lines += chunk.count(b"\n")
                time.sleep(0.07)
        took = time.monotonic() - start
        log.seek(0)
        logged = log.read()
    # Then every row arrived, and the worker was never taken for a hung one
    assert took > 2 * TIMEOUT, f"the download took {took:.1f} s: too fast to test anything"
    assert lines == 20_001, (lines, size, logged[-2000:])
    assert "WORKER TIMEOUT" not in logged
