"""One `Idempotency-Key` rule for both APIs (issue 17, finding 5): the same key with the
same request answers the first result again; the same key with another request is 422 in
that API's error shape, and nothing is awarded for it. Before, /v2 answered 201 with the
first earner's badge for the second earner's request."""

import pytest

from assertions.models import Assertion
from core.models import OutboundEmail
from issuers.models import CreditLedgerEntry, Role
from issuers.tests.factories import MembershipFactory
from tests.api_v2.conftest import client_for
from tests.security.world import make_world

pytestmark = pytest.mark.django_db


def _v2_badgeclass(world, email):
    return f"/v2/badgeclasses/{world.template.entity_id}/assertions", {
        "recipient": {"identity": email},
        "notify": True,
    }


def _v2_issuer(world, email):
    return f"/v2/issuers/{world.issuer.entity_id}/assertions", {
        "badgeclass": world.template.entity_id,
        "recipient": {"identity": email},
        "notify": True,
    }


def _v1_assignment(world, email):
    return "/api/v1/assignments", {
        "badge_template": world.template.entity_id,
        "activity_title": "Course",
        "earners": [{"email": email}],
        "send_email": True,
    }


def _v1_import(world, email):
    return "/api/v1/badges/import", {
        "badge_template": world.template.entity_id,
        "send_email": True,
        "badges": [{"recipient_email": email, "emitted_at": "2024-01-02 10:00:00"}],
    }


def _refused_in_the_apis_shape(response) -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    if "status" in body:  # /v2: the Badgr envelope
        assert body["status"]["success"] is False
        assert "Idempotency-Key" in body["status"]["description"]
        assert body["result"] == []
    else:  # /api/v1
        assert body["code"] == "idempotency_key_reused"
        assert "Idempotency-Key" in body["detail"]


def _awarded_to(email) -> int:
    return Assertion.objects.filter(recipient_email=email).count()


@pytest.mark.parametrize("request_for", [_v2_badgeclass, _v2_issuer, _v1_assignment, _v1_import])
def test_a_key_reused_with_another_body_is_422_and_awards_nothing(request_for):
    # given an award made with an Idempotency-Key
    world = make_world("Keys")
    api = client_for(world.owner)
    path, first = request_for(world, "first@keys.example")
    assert api.post(path, first, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    ledger = CreditLedgerEntry.objects.count()
    emails = OutboundEmail.objects.count()

    # when the same key comes with another earner
    _, second = request_for(world, "second@keys.example")
    response = api.post(path, second, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # then it is refused, naming the key, and nothing is awarded or charged for it
    _refused_in_the_apis_shape(response)
    assert _awarded_to("second@keys.example") == 0
    assert _awarded_to("first@keys.example") == 1
    assert CreditLedgerEntry.objects.count() == ledger
    assert OutboundEmail.objects.count() == emails
    # and the same body as the first is still answered with the first result, once
    again = api.post(path, first, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert _awarded_to("first@keys.example") == 1


def test_another_member_reusing_a_key_of_the_issuer_gets_422_not_someone_elses_badge():
    # given a badge awarded with a key by one member of the issuer
    world = make_world("Shared")
    path, first = _v2_badgeclass(world, "first@shared.example")
    owner_api = client_for(world.owner)
    assert owner_api.post(path, first, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201

    # when another member sends the same key for another earner
    colleague = MembershipFactory(issuer=world.issuer, role=Role.STAFF).user
    _, second = _v2_badgeclass(world, "second@shared.example")
    response = client_for(colleague).post(path, second, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    # then the key is refused rather than answered with the first earner's badge
    _refused_in_the_apis_shape(response)
    assert _awarded_to("second@shared.example") == 0
    assert "first@shared.example" not in response.content.decode()
