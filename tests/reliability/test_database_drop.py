"""PostgreSQL drops the connection in the middle of a request (a restart, a failover, an
idle-connection reaper): the request answers a clean 503 that says nothing was saved,
nothing is half-written, and the client's retry succeeds once."""

import time

import psycopg
import pytest
import requests
from django.db import connection

from assertions.models import Assertion, AssignmentBatch
from assertions.services import award
from conftest import services_required
from core.models import OutboundEmail
from issuers.models import CreditLedgerEntry, Issuer, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v2.conftest import make_token

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(live_server):
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("needs PostgreSQL")
        pytest.skip("needs PostgreSQL")
    owner = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=owner.issuer, amount=20)
    template = BadgeTemplateFactory(issuer=owner.issuer)
    token = make_token(owner.user)
    return {
        "base": live_server.url,
        "headers": {"Authorization": f"Bearer {token}"},
        "issuer": owner.issuer,
        "template": template,
    }


def _terminate(pid: int) -> None:
    """What a database restart does to one connection: the server ends it."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(200):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.01)


@pytest.fixture
def drop_at(monkeypatch):
    """Drop the serving connection when the n-th award's emails are being queued: after
    its badge rows are written, before the transaction commits."""
    calls = {"n": 0, "at": None, "dropped": 0}
    original = award.award_emails_queue

    def queue(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == calls["at"]:
            _terminate(connection.connection.info.backend_pid)
            calls["dropped"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(award, "award_emails_queue", queue)

    def arm(n):
        calls.update(n=0, at=n)
        return calls

    return arm


def _state(issuer):
    return (
        Assertion.objects.count(),
        OutboundEmail.objects.count(),
        CreditLedgerEntry.objects.filter(issuer=issuer).count(),
        Issuer.objects.get(pk=issuer.pk).credit_balance,
    )


def test_a_single_award_is_a_clean_503_then_the_retry_awards_once(world, drop_at):
    url = f"{world['base']}/v2/badgeclasses/{world['template'].entity_id}/assertions"
    headers = {**world["headers"], "Idempotency-Key": "retry-me"}
    body = {"recipient": {"identity": "dropped@example.org"}, "notify": True}
    before = _state(world["issuer"])
    calls = drop_at(1)

    response = requests.post(url, json=body, headers=headers, timeout=30)

    assert calls["dropped"] == 1
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert response.json()["status"]["success"] is False
    assert "nothing was saved" in response.json()["status"]["description"]
    assert _state(world["issuer"]) == before  # no badge, email, ledger entry or charge
    # the client retries, as the answer invites
    retry = requests.post(url, json=body, headers=headers, timeout=30)
    assert retry.status_code == 201, retry.text
    again = requests.post(url, json=body, headers=headers, timeout=30)
    assert again.json()["result"][0]["entityId"] == retry.json()["result"][0]["entityId"]
    assert Assertion.objects.filter(recipient_email="dropped@example.org").count() == 1
    assert Issuer.objects.get(pk=world["issuer"].pk).credit_balance == before[3] - 1


def test_an_assignment_dropped_midway_writes_nothing_then_the_retry_assigns_all(world, drop_at):
    body = {
        "badge_template": world["template"].entity_id,
        "activity_title": "Course",
        "earners": [{"email": f"e{i}@example.org"} for i in range(5)],
        "send_email": True,
    }
    url = f"{world['base']}/api/v1/assignments"
    headers = {**world["headers"], "Idempotency-Key": "batch-retry"}
    before = _state(world["issuer"])
    drop_at(1)  # the five badges written in the transaction, their emails being queued

    response = requests.post(url, json=body, headers=headers, timeout=30)

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "database_unavailable"
    assert _state(world["issuer"]) == before
    assert not AssignmentBatch.objects.filter(issued__gt=0).exists()
    retry = requests.post(url, json=body, headers=headers, timeout=30)
    assert retry.status_code == 201, retry.text
    assert Assertion.objects.count() == before[0] + 5
    assert Issuer.objects.get(pk=world["issuer"].pk).credit_balance == before[3] - 5
