"""Nothing issued twice, no credit spent twice, under real concurrency: many clients at
once against a live server on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from assertions.models import Assertion, AssertionEvent, AssertionStatus, EventKind
from assertions.tests.factories import AssertionFactory
from conftest import services_required
from core.models import OutboundEmail
from earners.services import earner_get_or_create
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
        pytest.skip("concurrency is only meaningful on PostgreSQL")
    membership = MembershipFactory(role=Role.OWNER)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    token = make_token(membership.user)
    return {
        "url": f"{live_server.url}/v2/badgeclasses/{template.entity_id}/assertions",
        "headers": {"Authorization": f"Bearer {token}"},
        "issuer": membership.issuer,
        "template": template,
        "live": live_server.url,
    }


def _at_once(n, call, workers=None):
    with ThreadPoolExecutor(max_workers=workers or n) as pool:
        return list(pool.map(lambda i: call(i), range(n)))


def test_50_identical_awards_with_one_idempotency_key_make_one_badge(world):
    credits_top_up(issuer=world["issuer"], amount=10)
    body = {"recipient": {"identity": "once@example.org"}, "notify": True}
    headers = {**world["headers"], "Idempotency-Key": "same-request"}

    responses = _at_once(
        50, lambda i: requests.post(world["url"], json=body, headers=headers, timeout=60)
    )

    assert [r.status_code for r in responses] == [201] * 50, {r.status_code for r in responses}
    ids = {r.json()["result"][0]["entityId"] for r in responses}
    assert len(ids) == 1
    assert Assertion.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    issuer = Issuer.objects.get(pk=world["issuer"].pk)
    assert issuer.credit_balance == 9
    assert CreditLedgerEntry.objects.filter(issuer=issuer, reason="assignment").count() == 1


def test_50_concurrent_awards_to_one_email_without_duplicates_make_one_badge(world):
    # The earner exists already, so nothing but the award path itself serialises them.
    earner_get_or_create(issuer=world["issuer"], email="dup@example.org")
    body = {"recipient": {"identity": "dup@example.org"}, "allowDuplicateAwards": False}

    responses = _at_once(
        50, lambda i: requests.post(world["url"], json=body, headers=world["headers"], timeout=60)
    )

    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == 49, codes
    assert Assertion.objects.filter(recipient_email="dup@example.org").count() == 1


def test_200_assignments_against_100_credits_issue_exactly_100(world):
    credits_top_up(issuer=world["issuer"], amount=100)

    def award(i):
        body = {"recipient": {"identity": f"earner{i}@example.org"}, "notify": True}
        return requests.post(world["url"], json=body, headers=world["headers"], timeout=120)

    responses = _at_once(200, award, workers=100)

    codes = [r.status_code for r in responses]
    assert codes.count(201) == 100, sorted(set(codes))
    assert codes.count(402) == 100
    refused = next(r for r in responses if r.status_code == 402)
    assert "Not enough credits" in refused.json()["status"]["description"]
    issuer = Issuer.objects.get(pk=world["issuer"].pk)
    assert issuer.credit_balance == 0
    ledger = CreditLedgerEntry.objects.filter(issuer=issuer)
    assert sum(ledger.values_list("amount", flat=True)) == issuer.credit_balance
    assert Assertion.objects.count() == 100
    assert OutboundEmail.objects.count() == 100


def test_concurrent_revoke_and_update_leave_a_consistent_badge(world):
    for round_ in range(10):
        badge = AssertionFactory(template=world["template"])
        url = f"{world['live']}/v2/assertions/{badge.entity_id}"

        def act(i, url=url):
            if i % 2:
                return requests.delete(
                    url, json={"revocation_reason": "r"}, headers=world["headers"], timeout=60
                )
            return requests.put(
                url, json={"narrative": f"n{i}"}, headers=world["headers"], timeout=60
            )

        responses = _at_once(10, act)
        assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
        badge.refresh_from_db()
        assert badge.status == AssertionStatus.REVOKED
        assert badge.revoked_at is not None
        kinds = list(AssertionEvent.objects.filter(assertion=badge).values_list("kind", flat=True))
        # the revocation email's own events come after it
        kinds = [kind for kind in kinds if not kind.startswith("email")]
        assert kinds.count(EventKind.REVOKED) == 1, round_
        # every update the log records happened before the revocation
        assert kinds.index(EventKind.REVOKED) == len(kinds) - 1
        refused = [r for r in responses if r.status_code == 409]
        updated = kinds.count(EventKind.UPDATED)
        assert updated + len(refused) <= 5
