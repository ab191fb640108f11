"""What schemathesis found answering 5xx or off-schema, pinned down one by one (the
fuzzing is derandomised, but a change to the schema changes what it generates)."""

import datetime as dt

import pytest

from core.testing import png_upload
from core.timefmt import format_iso_z, format_v1
from tests.api_v2.conftest import client_for
from tests.security.world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world("Robust")


@pytest.mark.parametrize(
    "path",
    [
        "/v2/issuers/{nul}/badgeclasses",
        "/v2/badgeclasses/{nul}",
        "/api/v1/badges/{nul}",
        "/api/v1/organizations/{org}/members/{nul}",
    ],
)
def test_an_id_with_a_nul_byte_is_a_404_not_a_database_error(world, path):
    api = client_for(world.owner)
    nul = world.template.entity_id[:10] + "\x00" + world.template.entity_id[10:]
    response = api.get(path.format(nul=nul, org=world.issuer.entity_id))
    assert response.status_code == 404


def test_a_body_naming_an_id_with_a_nul_byte_is_a_400(world):
    api = client_for(world.owner)
    response = api.post(
        "/v2/badgeclasses",
        {"issuer": "\x00", "name": "X", "criteriaUrl": "https://x.example"},
        format="json",
    )
    assert response.status_code == 404  # no such issuer, like any unknown id
    response = api.post(
        "/api/v1/badges/import",
        {"badge_template": "a\x00b", "badges": []},
        format="json",
    )
    assert response.status_code == 400


def test_a_multipart_post_with_an_idempotency_key_is_created_once(world):
    # The OAuth2 check reads request.POST, which consumes a multipart body: the key's
    # fingerprint must come from the parsed form, not from the raw bytes.
    api = client_for(world.owner)
    path = f"/v2/issuers/{world.issuer.entity_id}/badgeclasses"

    def post(name="Multipart"):
        body = {"name": name, "criteriaUrl": "https://x.example/c", "image": png_upload()}
        return api.post(path, body, format="multipart", HTTP_IDEMPOTENCY_KEY="multi-1")

    first, again = post(), post()
    assert (first.status_code, again.status_code) == (201, 201), first.content
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["result"][0]["entityId"] == again.json()["result"][0]["entityId"]
    assert post(name="Another").status_code == 422


def test_a_json_body_that_is_not_an_object_is_a_400(world):
    response = client_for(world.owner).post("/v2/badgeclasses", [None, None], format="json")
    assert response.status_code == 400


def test_years_before_1000_are_written_with_four_digits():
    early = dt.datetime(443, 12, 1, 4, 53, 38, 120, tzinfo=dt.UTC)
    assert format_iso_z(early) == "0443-12-01T04:53:38Z"
    assert format_v1(early) == "0443-12-01 04:53:38"
    assert format_v1(dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC), "Europe/Rome") == (
        "2024-05-01 09:30:00"
    )
