"""Old platforms' public URLs: once their domain points here, /public/<kind>/<their id>
answers 301 to the page the imported badge, badge class or issuer has now, else 404."""

import pytest

from assertions.models import Assertion
from assertions.tests.factories import AssertionFactory
from imports.models import LegacyKind, LegacyObject
from imports.spreadsheet import read_sheet, spreadsheet_import
from issuers.tests.factories import IssuerFactory
from templates_app.tests.factories import BadgeTemplateFactory


@pytest.mark.django_db
def test_legacy_public_urls_redirect_permanently_to_the_imported_badge(client):
    issuer = IssuerFactory()
    BadgeTemplateFactory(issuer=issuer, name="Python")
    sheet = b"email,template,issued_on,legacy_id\nada@example.org,Python,2021-01-01,old-42\n"
    spreadsheet_import(issuer=issuer, rows=read_sheet("old.csv", sheet))
    badge = Assertion.objects.get(imp_legacy_id="old-42")
    badgr_like = AssertionFactory()
    legacy_badgr_id = "Q" * 22  # Badgr's ids look like ours
    LegacyObject.objects.create(
        source="https://api.badgr.io",
        kind=LegacyKind.ASSERTION,
        legacy_id=legacy_badgr_id,
        assertion=badgr_like,
    )
    LegacyObject.objects.create(
        source="https://api.badgr.io",
        kind=LegacyKind.BADGECLASS,
        legacy_id="B" * 22,
        template=badgr_like.badge_template,
    )

    response = client.get("/public/assertions/old-42")
    assert response.status_code == 301
    assert response["Location"] == f"/public/assertions/{badge.entity_id}"
    response = client.get(f"/public/assertions/{legacy_badgr_id}?identity__email=a%40b.c")
    assert response.status_code == 301
    assert response["Location"] == (
        f"/public/assertions/{badgr_like.entity_id}?identity__email=a%40b.c"
    )
    assert client.get("/public/assertions/old-42.json")["Location"].endswith(".json")
    assert client.get(f"/public/assertions/{legacy_badgr_id}/image")["Location"] == (
        f"/public/assertions/{badgr_like.entity_id}/image"
    )
    assert client.get(f"/public/badges/{'B' * 22}")["Location"] == (
        f"/public/badges/{badgr_like.badge_template.entity_id}"
    )
    # followed, the old link shows the badge
    assert client.get("/public/assertions/old-42", follow=True).status_code == 200


@pytest.mark.django_db
def test_unknown_and_private_legacy_ids_are_404(client):
    badge = AssertionFactory()
    Assertion.objects.filter(pk=badge.pk).update(is_private=True)
    LegacyObject.objects.create(
        source="x", kind=LegacyKind.ASSERTION, legacy_id="hidden-1", assertion=badge
    )
    # only recorded legacy ids redirect, not any imp_legacy_id (the lookup is indexed)
    other = AssertionFactory()
    Assertion.objects.filter(pk=other.pk).update(imp_legacy_id="api-import-7")
    assert client.get("/public/assertions/api-import-7").status_code == 404
    assert client.get("/public/assertions/never-was").status_code == 404
    assert client.get(f"/public/assertions/{'Z' * 22}").status_code == 404
    assert client.get("/public/assertions/hidden-1").status_code == 404
    assert client.get(f"/public/issuers/{'Z' * 22}").status_code == 404
