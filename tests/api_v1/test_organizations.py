"""/api/v1/organizations: profile, members, credits."""

import pytest

from accounts.tests.factories import UserFactory
from issuers.models import IssuerMembership, Role
from issuers.tests.factories import MembershipFactory
from tests.api_v1.conftest import client_for
from tests.api_v1.helpers import V1_TIMESTAMP

pytestmark = pytest.mark.django_db


def test_profile_read_and_update(api, issuer):
    listed = api.get("/api/v1/organizations").json()
    assert [o["id"] for o in listed["results"]] == [issuer.entity_id]
    path = f"/api/v1/organizations/{issuer.entity_id}"
    profile = api.get(path).json()
    assert profile["timezone"] == "Europe/Rome"
    assert profile["credit_balance"] == 50
    assert V1_TIMESTAMP.match(profile["created_at"])
    changed = api.patch(path, {"name": "Renamed", "timezone": "UTC"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["name"] == "Renamed"
    assert changed.json()["timezone"] == "UTC"


def test_a_bad_time_zone_is_400(api, issuer):
    response = api.patch(
        f"/api/v1/organizations/{issuer.entity_id}", {"timezone": "Mars/Base"}, format="json"
    )
    assert response.status_code == 400
    assert "timezone" in response.json()["field_errors"]


def test_only_owners_change_the_profile_and_members(staff, issuer):
    api = client_for(staff.user)
    path = f"/api/v1/organizations/{issuer.entity_id}"
    assert api.get(path).status_code == 200
    assert api.patch(path, {"name": "x"}, format="json").status_code == 403
    other = UserFactory()
    response = api.post(f"{path}/members", {"email": other.email}, format="json")
    assert response.status_code == 403


def test_members_are_invited_then_changed_and_removed(api, issuer, owner):
    path = f"/api/v1/organizations/{issuer.entity_id}/members"
    person = UserFactory(email="sam@example.org")
    # adding an address sends an invitation: nobody joins until they accept
    invited = api.post(path, {"email": "SAM@example.org", "role": "editor"}, format="json")
    assert invited.status_code == 202, invited.content
    assert invited.json()["email"] == "sam@example.org"
    assert (invited.json()["role"], invited.json()["status"]) == ("editor", "pending")
    assert not IssuerMembership.objects.filter(user=person).exists()
    again = api.post(path, {"email": "sam@example.org"}, format="json")
    assert again.status_code == 409
    bad = api.post(path, {"email": "not-an-address"}, format="json")
    assert bad.status_code == 400
    assert "email" in bad.json()["field_errors"]
    # the owner lists the invitations and revokes one
    invitations = api.get(f"/api/v1/organizations/{issuer.entity_id}/invitations").json()
    assert [i["email"] for i in invitations["results"]] == ["sam@example.org"]
    revoke = f"/api/v1/organizations/{issuer.entity_id}/invitations/{invited.json()['id']}"
    revoked = api.delete(revoke)
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert api.delete(revoke).status_code == 409
    assert api.delete(revoke[:-4] + "nope").status_code == 404
    # a member (joined by accepting) has their role changed, then is removed
    MembershipFactory(issuer=issuer, user=person, role=Role.EDITOR)
    emails = [m["email"] for m in api.get(path).json()["results"]]
    assert sorted(emails) == sorted([owner.user.email, "sam@example.org"])
    changed = api.patch(f"{path}/{person.entity_id}", {"role": "staff"}, format="json")
    assert changed.json()["role"] == "staff"
    assert (
        api.patch(f"{path}/{person.entity_id}", {"role": "boss"}, format="json").status_code == 400
    )
    assert api.delete(f"{path}/{person.entity_id}").status_code == 204
    assert not IssuerMembership.objects.filter(user=person).exists()
    # the last owner stays
    last = api.delete(f"{path}/{owner.user.entity_id}")
    assert last.status_code == 409
    assert api.delete(f"{path}/nobody-at-all").status_code == 404


def test_credits_balance_and_ledger(api, issuer, template):
    api.post(
        "/api/v1/assignments",
        {
            "badge_template": template.entity_id,
            "earners": [{"email": "ada@example.org"}],
            "activity_title": "Course",
        },
        format="json",
    )
    body = api.get(f"/api/v1/organizations/{issuer.entity_id}/credits").json()
    assert body["organization_id"] == issuer.entity_id
    assert body["balance"] == 49
    assert body["count"] == 2
    spent, topped = body["results"]
    assert (spent["amount"], spent["reason"], spent["balance_after"]) == (-1, "assignment", 49)
    assert spent["assignment_id"] is not None
    assert (topped["amount"], topped["reason"]) == (50, "top_up")


def test_other_organisations_are_404(outsider_api, issuer):
    path = f"/api/v1/organizations/{issuer.entity_id}"
    for sub in ("", "/members", "/credits", "/invitations", "/credit-requests"):
        assert outsider_api.get(path + sub).status_code == 404
    assert outsider_api.patch(path, {"name": "x"}, format="json").status_code == 404


def test_a_superuser_sees_every_organisation(issuer, other_issuer):
    admin = UserFactory(is_superuser=True, is_staff=True)
    ids = {o["id"] for o in client_for(admin).get("/api/v1/organizations").json()["results"]}
    assert ids == {issuer.entity_id, other_issuer.issuer.entity_id}


def test_members_of_two_organisations_see_both(owner, other_issuer):
    MembershipFactory(issuer=other_issuer.issuer, user=owner.user, role=Role.STAFF)
    listed = client_for(owner.user).get("/api/v1/organizations").json()
    assert listed["count"] == 2
