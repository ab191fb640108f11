"""Collections of an earner's badges: /v2/backpack/collections, the backpack pages and
the public collection page (issue 22)."""

import pytest

from accounts.tests.factories import UserFactory
from assertions.models import Acceptance, Collection
from assertions.services import assertion_revoke, assertion_set_acceptance, assertion_set_private
from assertions.tests.factories import AssertionFactory
from earners.models import Earner
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from tests.api_v2.conftest import client_for

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"


def award(user, **fields):
    badge = AssertionFactory(recipient_email=user.email, **fields)
    Earner.objects.filter(pk=badge.earner_id).update(user=user)
    badge.earner.user = user
    return badge


@pytest.fixture
def earner(db):
    return UserFactory()


def test_an_earner_makes_shares_changes_and_deletes_a_collection(client, earner):
    # Given an earner with two badges
    first, second = award(earner), award(earner)
    api = client_for(earner, "rw:backpack")
    # When they make a shared collection of the first over the API
    response = api.post(
        "/v2/backpack/collections",
        {"name": "Best", "published": True, "assertions": [first.entity_id]},
        format="json",
    )
    # Then it holds that badge and has a public link where the badge can be verified
    assert response.status_code == 201, response.content
    made = response.json()["result"][0]
    assert made["entityType"] == "Collection"
    assert made["assertions"] == [first.entity_id]
    page = client.get(made["shareUrl"].split("badges.example", 1)[-1], HTTP_ACCEPT=BROWSER)
    assert page.status_code == 200
    assert f"/public/assertions/{first.entity_id}" in page.content.decode()
    assert second.entity_id not in page.content.decode()
    # When they add the second badge and unpublish it
    url = f"/v2/backpack/collections/{made['entityId']}"
    response = api.put(
        url,
        {"assertions": [first.entity_id, second.entity_id], "published": False},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["result"][0]["shareUrl"] is None
    assert sorted(response.json()["result"][0]["assertions"]) == sorted(
        [first.entity_id, second.entity_id]
    )
    # Then the public page is gone
    assert client.get(f"/public/collections/{made['entityId']}").status_code == 404
    assert [c["entityId"] for c in api.get("/v2/backpack/collections").json()["result"]] == [
        made["entityId"]
    ]
    # When they delete it
    assert api.delete(url).status_code == 200
    assert not Collection.objects.exists()


def test_only_your_own_badges_go_in_a_collection(earner):
    stranger_badge = AssertionFactory()
    api = client_for(earner, "rw:backpack")
    response = api.post(
        "/v2/backpack/collections",
        {"name": "Not mine", "assertions": [stranger_badge.entity_id]},
        format="json",
    )
    assert response.status_code == 400
    assert "assertions" in response.json()["fieldErrors"]
    assert not Collection.objects.exists()
    assert api.post("/v2/backpack/collections", {"name": ""}, format="json").status_code == 400


def test_hidden_rejected_and_revoked_badges_on_a_public_collection(client, earner):
    # Given a shared collection of four badges
    shown, private, rejected, revoked = (award(earner) for _ in range(4))
    api = client_for(earner, "rw:backpack")
    ids = [b.entity_id for b in (shown, private, rejected, revoked)]
    made = api.post(
        "/v2/backpack/collections",
        {"name": "All", "published": True, "assertions": ids},
        format="json",
    ).json()["result"][0]
    # When one is made private, one rejected, one revoked by its issuer
    assertion_set_private(assertion=private, actor=earner, private=True)
    assertion_set_acceptance(assertion=rejected, actor=earner, acceptance=Acceptance.REJECTED)
    assertion_revoke(assertion=revoked, reason="Mistake")
    # Then the public page shows the first and the revoked one (as revoked), not the others
    text = client.get(f"/public/collections/{made['entityId']}").content.decode()
    assert shown.entity_id in text
    assert revoked.entity_id in text
    assert "revoked" in text
    assert private.entity_id not in text
    assert rejected.entity_id not in text


@pytest.mark.parametrize("who", ["other_earner", "issuer_owner"])
def test_nobody_else_sees_or_changes_a_collection(earner, who):
    badge = award(earner)
    made = Collection.objects.create(user=earner, name="Mine")
    made.assertions.add(badge)
    if who == "other_earner":
        other = UserFactory()
    else:
        other = MembershipFactory(issuer=badge.organization, role=Role.OWNER).user
    api = client_for(other)
    url = f"/v2/backpack/collections/{made.entity_id}"
    for response in (
        api.get(url),
        api.put(url, {"name": "Taken"}, format="json"),
        api.delete(url),
    ):
        assert response.status_code == 404
        assert response.json()["result"] == []
    assert api.get("/v2/backpack/collections").json()["result"] == []
    made.refresh_from_db()
    assert made.name == "Mine"


def test_collections_need_the_backpack_scope(client, earner):
    assert client.get("/v2/backpack/collections").status_code == 401
    read_only = client_for(earner, "r:backpack")
    assert read_only.get("/v2/backpack/collections").status_code == 200
    response = read_only.post("/v2/backpack/collections", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert (
        client_for(earner, "rw:issuer rw:profile").get("/v2/backpack/collections").status_code
        == 403
    )


def test_the_backpack_pages_make_share_and_delete_a_collection(client, earner):
    badge = award(earner)
    client.force_login(earner)
    response = client.post(
        "/me/collections",
        {"name": "From the page", "published": "on", "assertions": [badge.entity_id]},
    )
    assert response.status_code == 302
    collection = Collection.objects.get()
    page = client.get(f"/me/collections/{collection.entity_id}").content.decode()
    assert 'data-testid="share-link"' in page
    assert collection.share_url in page
    assert list(collection.assertions.all()) == [badge]
    client.post(f"/me/collections/{collection.entity_id}/delete")
    assert not Collection.objects.exists()


def test_the_pages_refuse_another_users_collection_and_badges(client, earner):
    collection = Collection.objects.create(user=UserFactory(), name="Theirs")
    client.force_login(earner)
    assert client.get(f"/me/collections/{collection.entity_id}").status_code == 404
    assert client.post(f"/me/collections/{collection.entity_id}/delete").status_code == 404
    stranger_badge = AssertionFactory()
    response = client.post(
        "/me/collections", {"name": "X", "assertions": [stranger_badge.entity_id]}
    )
    assert response.status_code == 200  # the form again, with the error
    assert Collection.objects.count() == 1
