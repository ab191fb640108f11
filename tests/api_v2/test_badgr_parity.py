"""Where a client could tell this server from Badgr's (issue 22, second table): each
answer here is Badgr's."""

import pytest

from assertions.models import Acceptance, EventKind
from assertions.services import assertion_set_acceptance
from assertions.tests.factories import AssertionFactory
from core.exceptions import ApplicationError, PermissionDeniedError
from credentials.services import credentials_bundle
from earners.models import Earner
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory


def test_a_new_assertion_is_unaccepted(api, template):
    # Given an issuer's badge class
    # When it is awarded over /v2
    response = api.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        {"recipient": {"identity": "ann@example.org"}},
        format="json",
    )
    # Then the badge says its earner has not accepted it yet, as Badgr's do
    assert response.status_code == 201, response.content
    assert response.json()["result"][0]["acceptance"] == "Unaccepted"
    listed = api.get(f"/v2/badgeclasses/{template.entity_id}/assertions").json()["result"]
    assert [badge["acceptance"] for badge in listed] == ["Unaccepted"]


def test_a_badgeclass_without_expiry_says_two_nulls_and_takes_them_back(api, owner):
    # Given a badge class with no default validity
    template = BadgeTemplateFactory(
        issuer=owner.issuer, validity_amount=None, validity_unit="", criteria_url=""
    )
    url = f"/v2/badgeclasses/{template.entity_id}"
    # When a client reads it
    badgeclass = api.get(url).json()["result"][0]
    # Then expiry is Badgr's {"amount": null, "duration": null}, and no criteria URL is null
    assert badgeclass["expires"] == {"amount": None, "duration": None}
    assert badgeclass["criteriaUrl"] is None
    # And sending it back as read keeps it without expiry
    response = api.put(url, {"expires": badgeclass["expires"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["result"][0]["expires"] == {"amount": None, "duration": None}
    template.refresh_from_db()
    assert template.validity_amount is None


@pytest.mark.parametrize(
    "expires", [{"amount": 3, "duration": None}, {"amount": None, "duration": "days"}]
)
def test_half_an_expiry_is_a_field_error(api, template, expires):
    response = api.put(
        f"/v2/badgeclasses/{template.entity_id}", {"expires": expires}, format="json"
    )
    assert response.status_code == 400
    assert "expires" in response.json()["fieldErrors"]


# --- acceptance, the service ------------------------------------------------------------


def test_the_earner_accepts_and_rejects_and_each_change_is_recorded(db):
    # Given a badge awarded to an earner with an account
    badge = AssertionFactory()
    earner = badge.earner.user
    # When they reject it, then accept it after all
    assertion_set_acceptance(assertion=badge, actor=earner, acceptance=Acceptance.REJECTED)
    badge.refresh_from_db()
    assert badge.acceptance == Acceptance.REJECTED
    assert badge.is_hidden
    assertion_set_acceptance(assertion=badge, actor=earner, acceptance=Acceptance.ACCEPTED)
    # Then the badge says so, is shown again, and the trail has both answers
    badge.refresh_from_db()
    assert badge.acceptance == Acceptance.ACCEPTED
    assert not badge.is_hidden
    changes = [
        e.payload["changes"]["acceptance"] for e in badge.events.filter(kind=EventKind.ACCEPTANCE)
    ]
    assert changes == [["Unaccepted", "Rejected"], ["Rejected", "Accepted"]]


def test_only_the_earner_answers_for_a_badge(db):
    badge = AssertionFactory()
    issuer_owner = MembershipFactory(issuer=badge.organization, role=Role.OWNER).user
    for actor in (None, issuer_owner):
        with pytest.raises(PermissionDeniedError):
            assertion_set_acceptance(assertion=badge, actor=actor, acceptance="Accepted")
    with pytest.raises(ApplicationError) as caught:
        assertion_set_acceptance(assertion=badge, actor=badge.earner.user, acceptance="Unaccepted")
    assert "acceptance" in caught.value.field_errors


def test_a_rejected_badge_is_hidden_from_everyone_but_its_earner(
    client, db, django_capture_on_commit_callbacks
):
    # Given a badge its earner rejected
    badge = AssertionFactory()
    public = f"/public/assertions/{badge.entity_id}"
    assert client.get(public).status_code == 200  # cached as shown
    with django_capture_on_commit_callbacks(execute=True):
        assertion_set_acceptance(
            assertion=badge, actor=badge.earner.user, acceptance=Acceptance.REJECTED
        )
    # When anyone else asks for its page, document, image or credential
    # Then it is not there
    for suffix in ("", ".json", "/image", "/credential"):
        assert client.get(public + suffix).status_code == 404, suffix
    # But its earner still sees the page
    client.force_login(badge.earner.user)
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    assert client.get(public, HTTP_ACCEPT=browser).status_code == 200


def test_a_rejected_badge_leaves_the_backpacks_credential_export(db):
    # Given an earner with two badges, one of which they rejected
    kept, rejected = AssertionFactory(), AssertionFactory()
    earner = kept.earner.user
    Earner.objects.filter(pk=rejected.earner_id).update(user=earner)
    rejected.earner.user = earner
    assertion_set_acceptance(assertion=rejected, actor=earner, acceptance=Acceptance.REJECTED)
    # When they export their backpack as signed credentials
    bundle = credentials_bundle(user=earner)
    # Then only the kept badge is in it
    assert len(bundle["verifiableCredential"]) == 1
