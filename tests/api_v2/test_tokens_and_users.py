"""/v2/auth/tokens, /v2/users/{entityId} and /v2/tokens/issuers (issue 22)."""

import pytest
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from issuers.models import Issuer, Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v2.conftest import client_for, make_token

# --- your tokens ----------------------------------------------------------------------------


def test_a_user_lists_inspects_and_revokes_their_own_tokens(user):
    # Given a user with two tokens, and someone else's token
    api = client_for(user, "rw:profile")
    make_token(user, "r:backpack")
    make_token(UserFactory(), "rw:profile")
    # When they list their tokens
    response = api.get("/v2/auth/tokens")
    # Then they see exactly their two, with no token value
    assert response.status_code == 200
    tokens = response.json()["result"]
    assert sorted(t["scope"] for t in tokens) == ["r:backpack", "rw:profile"]
    assert all(t["entityType"] == "AccessToken" and len(t["entityId"]) == 22 for t in tokens)
    assert "tok-" not in response.content.decode()
    # When they inspect and revoke the backpack one
    other = next(t for t in tokens if t["scope"] == "r:backpack")
    assert api.get(f"/v2/auth/tokens/{other['entityId']}").json()["result"][0] == other
    assert api.delete(f"/v2/auth/tokens/{other['entityId']}").status_code == 200
    # Then it is gone and no longer works, and theirs still does
    assert api.get(f"/v2/auth/tokens/{other['entityId']}").status_code == 404
    assert [t["scope"] for t in api.get("/v2/auth/tokens").json()["result"]] == ["rw:profile"]
    assert not AccessToken.objects.filter(user=user, scope="r:backpack").exists()


def test_another_users_token_is_not_found_and_not_revoked(user):
    stranger = UserFactory()
    make_token(stranger, "rw:issuer")
    theirs = client_for(stranger, "rw:profile").get("/v2/auth/tokens").json()["result"]
    api = client_for(user, "rw:profile")
    for token in theirs:
        assert api.get(f"/v2/auth/tokens/{token['entityId']}").status_code == 404
        assert api.delete(f"/v2/auth/tokens/{token['entityId']}").status_code == 404
    assert AccessToken.objects.filter(user=stranger).count() == 2


@pytest.mark.parametrize("scope", ["r:profile", "rw:issuer rw:backpack"])
def test_tokens_need_rw_profile_as_in_badgr(user, scope):
    api = client_for(user, scope)
    assert api.get("/v2/auth/tokens").status_code == 403


def test_anonymous_gets_401_for_tokens_and_profiles(client, user):
    assert client.get("/v2/auth/tokens").status_code == 401
    assert client.get("/v2/users/self").status_code == 401
    assert client.get(f"/v2/users/{user.entity_id}").status_code == 401


# --- users ----------------------------------------------------------------------------------


def test_a_user_reads_and_updates_their_profile_by_entity_id(user):
    api = client_for(user, "rw:profile")
    response = api.get(f"/v2/users/{user.entity_id}")
    assert response.status_code == 200
    assert response.json()["result"][0]["entityId"] == user.entity_id
    response = api.put(f"/v2/users/{user.entity_id}", {"firstName": "Ada"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Ada"
    assert (
        client_for(user, "r:profile")
        .put(f"/v2/users/{user.entity_id}", {"firstName": "X"}, format="json")
        .status_code
        == 403
    )


def test_nobody_reads_or_changes_another_users_profile(user):
    # Given a member of the same issuer (an owner, even)
    membership = MembershipFactory(role=Role.OWNER)
    MembershipFactory(issuer=membership.issuer, user=user, role=Role.STAFF)
    api = client_for(membership.user)
    # When they read or update the other person's profile
    # Then it does not exist for them
    assert api.get(f"/v2/users/{user.entity_id}").status_code == 404
    assert (
        api.put(f"/v2/users/{user.entity_id}", {"firstName": "X"}, format="json").status_code == 404
    )
    assert user.email not in api.get(f"/v2/users/{user.entity_id}").content.decode()


def test_post_users_makes_no_account_as_in_badgrs_v2(client, user):
    # Without a token it is 401, as every /v2 operation; with one, Badgr's v2 404
    response = client.post("/v2/users/self", {"email": "new@example.org"}, format="json")
    assert response.status_code == 401
    response = client_for(user).post("/v2/users/self", {"email": "new@example.org"}, format="json")
    assert response.status_code == 404
    assert response.json()["status"]["success"] is False
    assert not User.objects.filter(email="new@example.org").exists()


# --- issuer tokens --------------------------------------------------------------------------


def test_an_owner_gets_a_token_that_acts_in_that_issuer_only(owner, template):
    # Given an owner of two issuers
    other = MembershipFactory(user=owner.user, role=Role.OWNER).issuer
    other_template = BadgeTemplateFactory(issuer=other)
    api = client_for(owner.user, "rw:issuer")
    # When they ask for a token for the first
    response = api.post("/v2/tokens/issuers", {"issuers": [owner.issuer.entity_id]}, format="json")
    # Then they get one token, limited to it
    assert response.status_code == 201, response.content
    (made,) = response.json()["result"]
    assert made["issuer"] == owner.issuer.entity_id
    limited = APIClient()
    limited.credentials(HTTP_AUTHORIZATION=f"Bearer {made['token']}")
    # It awards in that issuer
    body = {"recipient": {"identity": "ann@example.org"}}
    url = f"/v2/badgeclasses/{template.entity_id}/assertions"
    assert limited.post(url, body, format="json").status_code == 201
    # but sees and touches nothing of the other
    assert limited.get(f"/v2/issuers/{other.entity_id}").status_code == 404
    other_url = f"/v2/badgeclasses/{other_template.entity_id}/assertions"
    assert limited.post(other_url, body, format="json").status_code == 404
    assert limited.get("/v2/badgeclasses").status_code == 200
    assert other_template.entity_id not in limited.get("/v2/badgeclasses").content.decode()
    # and neither lists nor creates issuers, nor makes more tokens
    assert limited.get("/v2/issuers").status_code == 403
    assert limited.post("/v2/issuers", {"name": "X"}, format="json").status_code == 403
    again = limited.post("/v2/tokens/issuers", {"issuers": [other.entity_id]}, format="json")
    assert again.status_code == 403
    assert Assertion.objects.filter(organization=other).count() == 0


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR, None])
def test_only_owners_get_issuer_tokens(owner, role):
    user = UserFactory()
    if role:
        MembershipFactory(issuer=owner.issuer, user=user, role=role)
    api = client_for(user, "rw:issuer")
    before = AccessToken.objects.count()
    response = api.post("/v2/tokens/issuers", {"issuers": [owner.issuer.entity_id]}, format="json")
    assert response.status_code == 400
    assert "issuers" in response.json()["fieldErrors"]
    assert AccessToken.objects.count() == before


def test_issuer_tokens_need_rw_issuer(owner):
    api = client_for(owner.user, "r:issuer rw:profile")
    response = api.post("/v2/tokens/issuers", {"issuers": [owner.issuer.entity_id]}, format="json")
    assert response.status_code == 403


def test_an_issuer_token_creates_no_issuer_on_any_surface_even_where_anyone_may(owner, settings):
    # Given a platform where anyone signed in may create an issuer
    settings.ISSUER_CREATION = "open"
    api = client_for(owner.user, "rw:issuer")
    made = api.post("/v2/tokens/issuers", {"issuers": [owner.issuer.entity_id]}, format="json")
    limited = APIClient()
    limited.credentials(HTTP_AUTHORIZATION=f"Bearer {made.json()['result'][0]['token']}")
    before = Issuer.objects.count()
    # When the token limited to one issuer tries to create another, in either API
    v2 = limited.post("/v2/issuers", {"name": "Side door", "email": "a@b.org"}, format="json")
    v1 = limited.post(
        "/api/v1/organizations", {"name": "Side door", "email": "a@b.org"}, format="json"
    )
    # Then both refuse and no issuer is made
    assert v2.status_code == 403
    assert v1.status_code == 403
    assert Issuer.objects.count() == before
