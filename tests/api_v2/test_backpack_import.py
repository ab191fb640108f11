"""POST /v2/backpack/import and POST /v2/backpack/assertions: a badge from another
platform added by its url, a baked image (data URI) or its assertion JSON; always
fetched from where it is hosted and verified (issue 22)."""

import base64
import json

import pytest

from accounts.tests.factories import UserFactory
from assertions.baking import bake
from assertions.models import ImportedBadge
from assertions.tests.hosted_badges import ASSERTION_URL, documents, remote  # noqa: F401
from core.testing import png_bytes
from tests.api_v2.conftest import client_for


@pytest.fixture
def me(db):
    return UserFactory(email="ada@example.org")


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


@pytest.mark.parametrize("path", ["/v2/backpack/import", "/v2/backpack/assertions"])
@pytest.mark.parametrize("how", ["url", "image", "assertion"])
def test_a_badge_awarded_to_me_elsewhere_is_verified_and_added(
    me,
    remote,  # noqa: F811
    path,
    how,
):
    # Given another platform hosting a badge awarded to my address
    assertion, badgeclass, issuer = documents()
    remote(assertion, badgeclass, issuer)
    body = {
        "url": {"url": ASSERTION_URL},
        "image": {"image": data_uri(bake(png_bytes(), json.dumps(assertion), ASSERTION_URL))},
        "assertion": {"assertion": {**assertion, "badge": "forged, never read"}},
    }[how]
    api = client_for(me, "rw:backpack")
    # When I add it to my backpack over /v2
    response = api.post(path, body, format="json")
    # Then it is verified from its host and added, in the backpack Assertion shape
    assert response.status_code == 201, response.content
    added = response.json()["result"][0]
    assert added["openBadgeId"] == ASSERTION_URL
    assert added["name"] == "Data Literacy"
    assert added["acceptance"] == "Accepted"
    imported = ImportedBadge.objects.get(user=me)
    # And I can read it by id, and remove it
    url = f"/v2/backpack/assertions/{imported.entity_id}"
    assert api.get(url).json()["result"][0]["entityId"] == imported.entity_id
    assert api.delete(url).status_code == 200
    assert not ImportedBadge.objects.exists()


def test_a_badge_for_someone_else_is_refused(
    remote,  # noqa: F811
    db,
):
    remote(*documents(email="someone.else@example.org"))
    api = client_for(UserFactory(email="ada@example.org"), "rw:backpack")
    response = api.post("/v2/backpack/import", {"url": ASSERTION_URL}, format="json")
    assert response.status_code == 400
    assert not ImportedBadge.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": ASSERTION_URL, "image": "data:image/png;base64,AAAA"},
        {"image": "data:text/html;base64,PGh0bWw+"},
        {"image": "data:image/png;base64,not base64!"},
        {"image": data_uri(png_bytes())},  # no badge baked in
        {"assertion": {"verification": {"type": "signed"}}},
        {"assertion": {"id": "file:///etc/passwd"}},
        {"url": "ftp://x.example/a"},
    ],
)
def test_bad_input_is_a_clear_400_and_nothing_is_added(me, body):
    response = client_for(me, "rw:backpack").post("/v2/backpack/import", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["status"]["description"]
    assert not ImportedBadge.objects.exists()


def test_a_private_address_is_never_fetched(me):
    response = client_for(me, "rw:backpack").post(
        "/v2/backpack/import", {"url": "http://127.0.0.1:8000/assertion"}, format="json"
    )
    assert response.status_code == 400
    assert not ImportedBadge.objects.exists()


def test_importing_needs_rw_backpack(client, me):
    assert client.post("/v2/backpack/import", {"url": ASSERTION_URL}).status_code == 401
    for scope in ("r:backpack", "rw:issuer rw:profile"):
        api = client_for(me, scope)
        response = api.post("/v2/backpack/import", {"url": ASSERTION_URL}, format="json")
        assert response.status_code == 403


def test_nobody_else_reads_or_removes_my_imported_badge(
    me,
    remote,  # noqa: F811
):
    remote(*documents())
    client_for(me, "rw:backpack").post("/v2/backpack/import", {"url": ASSERTION_URL}, format="json")
    imported = ImportedBadge.objects.get()
    other = client_for(UserFactory())
    url = f"/v2/backpack/assertions/{imported.entity_id}"
    assert other.get(url).status_code == 404
    assert other.delete(url).status_code == 404
    assert ImportedBadge.objects.exists()


def test_the_backpack_list_shows_imported_badges_beside_those_issued_here(
    me,
    remote,  # noqa: F811
):
    # Given a badge issued here and one imported from elsewhere
    from assertions.tests.factories import AssertionFactory
    from earners.models import Earner

    issued = AssertionFactory(recipient_email=me.email)
    Earner.objects.filter(pk=issued.earner_id).update(user=me)
    remote(*documents())
    api = client_for(me, "rw:backpack")
    api.post("/v2/backpack/import", {"url": ASSERTION_URL}, format="json")
    imported = ImportedBadge.objects.get()
    # When the earner lists their backpack
    listed = api.get("/v2/backpack/assertions").json()["result"]
    # Then both are there, newest first (the imported one was issued in 2024)
    assert [b["entityId"] for b in listed] == [issued.entity_id, imported.entity_id]
    # And a cursor page holds only those issued here, as documented
    paged = api.get("/v2/backpack/assertions?num=10").json()["result"]
    assert [b["entityId"] for b in paged] == [issued.entity_id]
    # And someone else's list has neither
    other = client_for(UserFactory(), "r:backpack").get("/v2/backpack/assertions")
    assert other.json()["result"] == []
