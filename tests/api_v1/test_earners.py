"""/api/v1/earners: CRUD with metadata, and the badges of one earner."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from assertions.tests.factories import AssertionFactory
from earners.models import Earner
from earners.tests.factories import EarnerFactory
from tests.api_v1.conftest import client_for
from tests.api_v1.helpers import V1_TIMESTAMP

pytestmark = pytest.mark.django_db


def test_create_read_update_delete(api, issuer):
    UserFactory(email="ada@example.org")
    response = api.post(
        "/api/v1/earners",
        {
            "organization_id": issuer.entity_id,
            "email": "Ada@Example.org",
            "first_name": " Ada ",
            "last_name": "Lovelace",
            "metadata": {"student_number": "S-1"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    earner = response.json()
    assert earner["email"] == "ada@example.org"
    assert earner["first_name"] == "Ada"
    assert earner["metadata"] == {"student_number": "S-1"}
    # linked to an account on the first award, never from the address alone (an account
    # uses it here): tests/security/test_tenancy.py
    assert earner["has_account"] is False
    assert earner["badges_count"] == 0
    assert V1_TIMESTAMP.match(earner["updated_at"])
    path = f"/api/v1/earners/{earner['id']}"
    assert api.get(path).json() == earner
    updated = api.patch(path, {"last_name": "King", "metadata": {"group": "B"}}, format="json")
    assert updated.json()["last_name"] == "King"
    assert updated.json()["metadata"] == {"group": "B"}  # replaced as a whole
    assert api.delete(path).status_code == 204
    assert not Earner.objects.exists()


def test_the_same_email_twice_is_409(api, issuer):
    EarnerFactory(issuer=issuer, email="ada@example.org")
    response = api.post(
        "/api/v1/earners",
        {"organization_id": issuer.entity_id, "email": "ADA@example.org"},
        format="json",
    )
    assert response.status_code == 409
    assert "email" in response.json()["field_errors"]


def test_an_earner_with_badges_cannot_be_deleted(api, template):
    badge = AssertionFactory(template=template)
    response = api.delete(f"/api/v1/earners/{badge.earner.entity_id}")
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@example.org", "metadata": [1]}, "metadata"),
        ({"email": "a@example.org", "organization_id": "nope"}, "organization_id"),
        ({"email": "a@example.org", "user": "x"}, "user"),
    ],
)
def test_bad_earners_are_400(api, issuer, payload, field):
    response = api.post(
        "/api/v1/earners", {"organization_id": issuer.entity_id, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["field_errors"]


def test_the_email_cannot_be_changed(api, issuer):
    earner = EarnerFactory(issuer=issuer)
    response = api.patch(f"/api/v1/earners/{earner.entity_id}", {"email": "x@example.org"})
    assert response.status_code == 400
    assert "email" in response.json()["field_errors"]


def test_the_badges_of_one_earner_with_the_badge_filters(api, template):
    ada = AssertionFactory(template=template, recipient_email="ada@example.org")
    AssertionFactory(template=template, recipient_email="ada@example.org", activity_title="X")
    AssertionFactory(template=template, recipient_email="alan@example.org")
    path = f"/api/v1/earners/{ada.earner.entity_id}/badges"
    assert api.get(path).json()["count"] == 2
    assert api.get(f"{path}?search=x").json()["count"] == 1
    assert api.get(f"{path}?status=nope").status_code == 400
    assert api.get(f"/api/v1/earners/{ada.earner.entity_id}").json()["badges_count"] == 2


def test_filters(api, issuer):
    EarnerFactory(issuer=issuer, email="ada@example.org", first_name="Ada")
    # Named, not Faker's: a random "Adam" or "Adams" would match the search too.
    EarnerFactory(
        issuer=issuer,
        email="alan@example.org",
        first_name="Alan",
        last_name="Turing",
        user=UserFactory(),
    )
    assert api.get("/api/v1/earners?email=ADA@example.org").json()["count"] == 1
    assert api.get("/api/v1/earners?search=ada").json()["count"] == 1
    assert api.get("/api/v1/earners?has_account=1").json()["count"] == 1
    assert api.get("/api/v1/earners?has_account=0").json()["count"] == 1
    assert api.get("/api/v1/earners?has_account=x").status_code == 400


def test_scoping_and_scopes(owner, outsider_api, issuer):
    earner = EarnerFactory(issuer=issuer)
    path = f"/api/v1/earners/{earner.entity_id}"
    assert outsider_api.get(path).status_code == 404
    assert outsider_api.get(f"{path}/badges").status_code == 404
    assert outsider_api.delete(path).status_code == 404
    assert outsider_api.get("/api/v1/earners").json()["count"] == 0
    read_only = client_for(owner.user, scope="r:issuer")
    assert read_only.get(path).status_code == 200
    assert read_only.patch(path, {"first_name": "x"}, format="json").status_code == 403


def test_the_list_costs_the_same_queries_for_10_and_100_earners(api, issuer, template):
    counts = []
    for n in (10, 90):
        for _ in range(n):
            AssertionFactory(template=template)
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/earners?page_size=500").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_an_earners_language_is_shown_and_changed_and_a_wrong_one_is_refused(api, issuer):
    earner = Earner.objects.create(issuer=issuer, email="lang@example.org")
    url = f"/api/v1/earners/{earner.entity_id}"
    assert api.get(url).json()["language"] == ""
    changed = api.patch(url, {"language": "Italiano"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["language"] == "it"
    refused = api.patch(url, {"language": "xx"}, format="json")
    assert refused.status_code == 400
    assert "language" in json.dumps(refused.json())
