"""POST /api/v1/badges/import: badges issued by another system."""

import pytest
from django.core import mail

from assertions.models import Assertion, EventKind
from core.models import OutboundEmail
from issuers.models import Issuer
from tests.api_v1.conftest import client_for
from tests.api_v1.helpers import utc

pytestmark = pytest.mark.django_db


def body(template, badges, **extra):
    return {"badge_template": template.entity_id, "badges": badges, **extra}


LEGACY = [
    {
        "recipient_email": "Ada@Example.org",
        "recipient_first_name": "Ada",
        "recipient_last_name": "Lovelace",
        "emitted_at": "2021-06-30 12:00:00",
        "expires_at": "2023-06-30 12:00:00",
        "activity_title": "Old course",
        "notes": "From the old platform",
        "additional_details": {"grade": "B"},
        "imp_legacy_id": "legacy-1",
    },
    {
        "recipient_email": "alan@example.org",
        "emitted_at": "2022-01-15T09:00:00Z",
        "imp_legacy_id": "legacy-2",
    },
]


def test_imported_badges_keep_their_legacy_id_and_dates_and_send_no_email(
    api, template, issuer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/badges/import", body(template, LEGACY), format="json")
    assert response.status_code == 201, response.content
    result = response.json()
    assert result["count"] == 2
    first, second = result["results"]
    assert first["imported"] == 1
    assert second["imported"] == 1
    assert first["imp_legacy_id"] == "legacy-1"
    assert first["recipient_email"] == "ada@example.org"
    assert first["emitted_at"] == "2021-06-30 12:00:00"  # as given, in Rome
    assert first["status"] == "invalid"  # expired in 2023
    assert first["additional_details"] == {"grade": "B"}
    assert second["emitted_at"] == "2022-01-15 10:00:00"  # 09:00Z shown in Rome
    assert second["status"] == "valid"
    assert second["expires_at"] is None
    badge = Assertion.objects.get(imp_legacy_id="legacy-1")
    assert badge.emitted_at == utc(2021, 6, 30, 10, 0, 0)
    assert badge.imported
    assert badge.events.get().kind == EventKind.IMPORTED
    assert not OutboundEmail.objects.exists()
    assert not mail.outbox
    assert Issuer.objects.get(pk=issuer.pk).credit_balance == 50
    listed = api.get("/api/v1/badges?imported=1").json()
    assert listed["count"] == 2


def test_import_can_email_at_one_credit_each(
    api, template, issuer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/badges/import", body(template, LEGACY, send_email=True), format="json"
        )
    assert response.status_code == 201
    assert OutboundEmail.objects.count() == 2
    assert len(mail.outbox) == 2
    assert Issuer.objects.get(pk=issuer.pk).credit_balance == 48


def test_import_with_email_short_of_credits_is_402(api, template, issuer):
    Issuer.objects.filter(pk=issuer.pk).update(credit_balance=1)
    response = api.post(
        "/api/v1/badges/import", body(template, LEGACY, send_email=True), format="json"
    )
    assert response.status_code == 402
    assert response.json()["field_errors"]["credits"] == ["Needed: 2. Available: 1."]
    assert not Assertion.objects.exists()


def test_importing_the_same_legacy_id_again_is_409_and_imports_nothing(api, template):
    first = api.post("/api/v1/badges/import", body(template, LEGACY[:1]), format="json")
    assert first.status_code == 201
    again = [dict(LEGACY[0]), {**LEGACY[1], "imp_legacy_id": "legacy-3"}]
    response = api.post("/api/v1/badges/import", body(template, again), format="json")
    assert response.status_code == 409
    assert response.json()["field_errors"]["badges"] == {
        "0": {"imp_legacy_id": ["A badge with this id exists."]}
    }
    assert Assertion.objects.count() == 1


def test_an_import_is_all_or_nothing_with_errors_per_badge(api, template):
    rows = [
        LEGACY[0],
        {"recipient_email": "x@example.org", "emitted_at": "2099-01-01 00:00:00"},
        {
            "recipient_email": "y@example.org",
            "emitted_at": "2020-01-01",
            "imp_legacy_id": "legacy-1",
        },
        {
            "recipient_email": "z@example.org",
            "emitted_at": "2020-01-01",
            "expires_at": "2019-01-01",
        },
    ]
    response = api.post("/api/v1/badges/import", body(template, rows), format="json")
    assert response.status_code == 400
    errors = response.json()["field_errors"]["badges"]
    assert set(errors) == {"1", "2", "3"}
    assert "emitted_at" in errors["1"]
    assert "imp_legacy_id" in errors["2"]
    assert "expires_at" in errors["3"]
    assert not Assertion.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"badges": []}, "badges"),
        ({"badges": [{"recipient_email": "x@example.org"}]}, "badges"),
        ({"badges": [{"recipient_email": "bad", "emitted_at": "2020-01-01"}]}, "badges"),
        ({"badge_template": "unknown"}, "badge_template"),
        ({"send_email": "sometimes"}, "send_email"),
        ({"status": "valid"}, "status"),
    ],
)
def test_bad_imports_are_400(api, template, change, field):
    response = api.post(
        "/api/v1/badges/import", {**body(template, LEGACY), **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]
    assert not Assertion.objects.exists()


def test_import_needs_write_scope(owner, template):
    api = client_for(owner.user, scope="r:issuer")
    response = api.post("/api/v1/badges/import", body(template, LEGACY), format="json")
    assert response.status_code == 403
