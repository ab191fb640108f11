"""/v2/backpack/assertions/{entityId}: an earner's own badge, read, accepted or rejected,
removed (Badgr's backpack), and the same from the backpack page."""

import pytest

from accounts.tests.factories import UserFactory
from assertions.models import Acceptance, Assertion
from assertions.tests.factories import AssertionFactory
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from tests.api_v2.conftest import client_for


@pytest.fixture
def badge(db):
    return AssertionFactory()


def url(badge):
    return f"/v2/backpack/assertions/{badge.entity_id}"


def test_the_earner_reads_accepts_and_rejects_their_badge(badge):
    # Given the earner with a backpack token
    api = client_for(badge.earner.user, "rw:backpack")
    # When they read their badge
    response = api.get(url(badge))
    # Then it is theirs, Unaccepted
    assert response.status_code == 200
    assert response.json()["result"][0]["entityId"] == badge.entity_id
    assert response.json()["result"][0]["acceptance"] == "Unaccepted"
    # When they accept it
    response = api.put(url(badge), {"acceptance": "Accepted"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["result"][0]["acceptance"] == "Accepted"
    listed = api.get("/v2/backpack/assertions").json()["result"]
    assert [b["entityId"] for b in listed] == [badge.entity_id]
    # When they remove it from the backpack
    response = api.delete(url(badge))
    # Then it is rejected: left out of the list, still readable by id, and the issuer sees why
    assert response.status_code == 200
    assert api.get("/v2/backpack/assertions").json()["result"] == []
    assert api.get(url(badge)).json()["result"][0]["acceptance"] == "Rejected"
    assert Assertion.objects.get(pk=badge.pk).acceptance == Acceptance.REJECTED
    owner = MembershipFactory(issuer=badge.organization, role=Role.OWNER).user
    issuer_view = client_for(owner).get(f"/v2/assertions/{badge.entity_id}").json()["result"][0]
    assert issuer_view["acceptance"] == "Rejected"


@pytest.mark.parametrize("value", ["Unaccepted", "yes", ""])
def test_an_unknown_answer_is_a_field_error(badge, value):
    api = client_for(badge.earner.user, "rw:backpack")
    response = api.put(url(badge), {"acceptance": value}, format="json")
    assert response.status_code == 400
    assert "acceptance" in response.json()["fieldErrors"]
    assert Assertion.objects.get(pk=badge.pk).acceptance == Acceptance.UNACCEPTED


def test_a_read_only_backpack_token_reads_but_does_not_answer(badge):
    api = client_for(badge.earner.user, "r:backpack")
    assert api.get(url(badge)).status_code == 200
    assert api.put(url(badge), {"acceptance": "Accepted"}, format="json").status_code == 403
    assert api.delete(url(badge)).status_code == 403
    assert Assertion.objects.get(pk=badge.pk).acceptance == Acceptance.UNACCEPTED


@pytest.mark.parametrize("scope", ["rw:issuer", "rw:profile"])
def test_a_token_without_backpack_scope_is_refused(badge, scope):
    api = client_for(badge.earner.user, scope)
    assert api.get(url(badge)).status_code == 403
    assert api.get("/v2/backpack/assertions").status_code == 403


@pytest.mark.parametrize("who", ["issuer_owner", "other_owner", "other_earner"])
def test_nobody_else_sees_or_answers_for_the_badge(badge, who):
    # Given someone who is not the badge's earner, even the issuer's owner
    if who == "issuer_owner":
        user = MembershipFactory(issuer=badge.organization, role=Role.OWNER).user
    elif who == "other_owner":
        user = MembershipFactory(role=Role.OWNER).user
    else:
        user = AssertionFactory().earner.user
    api = client_for(user)
    # When they read, answer or remove it in their backpack
    # Then it does not exist for them, and nothing changes
    for response in (
        api.get(url(badge)),
        api.put(url(badge), {"acceptance": "Rejected"}, format="json"),
        api.delete(url(badge)),
    ):
        assert response.status_code == 404
        assert response.json()["result"] == []
    assert badge.entity_id not in str(api.get("/v2/backpack/assertions").json())
    assert Assertion.objects.get(pk=badge.pk).acceptance == Acceptance.UNACCEPTED


def test_anonymous_is_401(client, badge):
    assert client.get(url(badge)).status_code == 401
    assert client.delete(url(badge)).status_code == 401


# --- the backpack page ----------------------------------------------------------------------


def test_the_backpack_page_accepts_rejects_and_shows_rejected_apart(client, badge):
    # Given the earner signed in
    client.force_login(badge.earner.user)
    page = client.get("/me/badges").content.decode()
    assert 'data-testid="acceptance"' in page
    # When they reject the badge from the page
    response = client.post(f"/me/badges/{badge.entity_id}/acceptance", {"acceptance": "Rejected"})
    # Then it leaves the grid for the rejected list, from which they can accept it again
    assert response.status_code == 302
    page = client.get("/me/badges").content.decode()
    assert 'data-testid="badges"' not in page
    assert 'data-testid="rejected"' in page
    client.post(f"/me/badges/{badge.entity_id}/acceptance", {"acceptance": "Accepted"})
    assert Assertion.objects.get(pk=badge.pk).acceptance == Acceptance.ACCEPTED


def test_the_page_answers_only_for_the_signed_in_earners_badges(client, badge):
    client.force_login(UserFactory())
    response = client.post(f"/me/badges/{badge.entity_id}/acceptance", {"acceptance": "Rejected"})
    assert response.status_code == 404
    assert Assertion.objects.get(pk=badge.pk).acceptance == Acceptance.UNACCEPTED


def test_the_award_email_links_to_where_the_earner_answers(
    api, template, owner, django_capture_on_commit_callbacks
):
    from django.core import mail

    # Given an earner who already has a password (so they get the badge email)
    earner = UserFactory(email="ann@example.org")
    # When a badge is awarded to them with a notification
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/v2/badgeclasses/{template.entity_id}/assertions",
            {"recipient": {"identity": earner.email}, "notify": True},
            format="json",
        )
    badge_id = response.json()["result"][0]["entityId"]
    # Then the email links to that badge in their backpack, where they accept or reject it
    (message,) = mail.outbox
    assert f"/me/badges#{badge_id}" in message.body
