"""Importing Open Badges 2.0 badges: baked images made by our own baking, hosted URLs.

The "other platform" is this one, answering as https://old.example.org: `responses`
hands each request to our own public views with SITE_URL set to that host, so the
documents, the baked image and the verification are the real ones.
"""

import datetime as dt
import io
import json
import re
import zipfile
from urllib.parse import urlsplit

import pytest
import responses
from django.test import Client, override_settings

from assertions import baking
from assertions.models import Assertion
from assertions.services import assertion_revoke, assertions_import
from assertions.tests.factories import AssertionFactory
from core.testing import PUBLIC_ADDRESS, fake_dns
from imports.documents import Document, documents_from_upload, documents_import
from imports.models import LegacyKind, LegacyObject
from issuers.tests.factories import IssuerFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

OLD = "https://old.example.org"
NEW = "https://badges.new.example"


@pytest.fixture
def old_platform(settings, monkeypatch):
    settings.SITE_URL = NEW
    settings.ROOT_URLCONF = "tests.urls_media"
    fake_dns(monkeypatch, {"old.example.org": PUBLIC_ADDRESS})  # `responses` answers for it

    def answer(request):
        parts = urlsplit(request.url)
        with override_settings(SITE_URL=OLD):
            response = Client().get(
                parts.path + (f"?{parts.query}" if parts.query else ""),
                HTTP_ACCEPT=request.headers.get("Accept", "text/html"),
            )
        body = b"".join(response) if response.streaming else response.content
        return response.status_code, {"Content-Type": response["Content-Type"]}, body

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(re.escape(OLD) + r"/.*"), callback=answer)
        yield mock


@pytest.fixture
def awarded():
    """Badges an issuer awarded on the old platform."""
    template = BadgeTemplateFactory(
        name="Data Literacy",
        description="Reads charts.",
        tags=["data"],
        issuer=IssuerFactory(name="Old University"),
    )
    return [
        AssertionFactory(
            template=template,
            recipient_email=f"ada{i}@example.org",
            narrative="Built a dashboard." if i == 0 else "",
            evidence=[{"url": "https://work.example/ada"}] if i == 0 else [],
        )
        for i in range(3)
    ]


@pytest.fixture
def new_issuer():
    return IssuerFactory(name="Where they move to")


def baked_png(assertion) -> bytes:
    with override_settings(SITE_URL=OLD):
        response = Client().get(f"/public/assertions/{assertion.entity_id}/image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    return response.content


def hosted_url(assertion) -> str:
    return f"{OLD}/public/assertions/{assertion.entity_id}"


def test_a_baked_png_from_our_own_baking_is_verified_and_imported(
    old_platform, awarded, new_issuer
):
    badge = awarded[0]
    png = baked_png(badge)

    report = documents_import(
        issuer=new_issuer,
        documents=[Document(name="ada.png", data=png)],
        emails=["ada0@example.org"],
    )

    assert report.errors == []
    assert report.counts_dict()["assertion"]["created"] == 1
    copy = Assertion.objects.get(organization=new_issuer)
    assert copy.imported
    assert copy.imp_legacy_id == hosted_url(badge)
    assert copy.recipient_email == "ada0@example.org"
    assert copy.emitted_at == badge.emitted_at.replace(microsecond=0)
    assert copy.narrative == "Built a dashboard."
    assert copy.evidence == [{"url": "https://work.example/ada"}]
    template = copy.badge_template
    assert (template.name, template.description, template.tags) == (
        "Data Literacy",
        "Reads charts.",
        ["data"],
    )
    assert template.current_version.image_sha256
    # the old public URL now has a redirect
    assert LegacyObject.objects.filter(
        kind=LegacyKind.ASSERTION, legacy_id=badge.entity_id, assertion=copy
    ).exists()

    again = documents_import(issuer=new_issuer, documents=[Document(name="ada.png", data=png)])
    assert again.counts_dict() == {
        "assertion": {"created": 0, "updated": 0, "unchanged": 1, "failed": 0}
    }
    assert Assertion.objects.filter(organization=new_issuer).count() == 1


def test_a_hosted_url_is_imported_and_its_recipient_found_among_the_earners(
    old_platform, awarded, new_issuer
):
    from earners.services import earner_get_or_create

    earner_get_or_create(issuer=new_issuer, email="ada1@example.org")
    report = documents_import(
        issuer=new_issuer, documents=[Document(name="u", url=hosted_url(awarded[1]))]
    )
    assert report.errors == []
    copy = Assertion.objects.get(organization=new_issuer)
    assert copy.recipient_email == "ada1@example.org"


def test_an_altered_baked_image_is_refused_naming_what_differs(old_platform, awarded, new_issuer):
    png = baked_png(awarded[0])
    doc = json.loads(baking.unbake(png))
    doc["issuedOn"] = "2015-01-01T00:00:00Z"  # backdated
    tampered = baking.bake_png(png, json.dumps(doc))

    report = documents_import(
        issuer=new_issuer,
        documents=[Document(name="tampered.png", data=tampered)],
        emails=["ada0@example.org"],
    )

    assert not Assertion.objects.filter(organization=new_issuer).exists()
    [error] = report.errors
    assert error.legacy_id == "tampered.png"
    assert error.message.startswith("This image was altered")
    assert "(issuedOn)" in error.message


def test_a_url_pointing_nowhere_a_revoked_badge_and_an_unknown_recipient_are_refused(
    old_platform, awarded, new_issuer
):
    assertion_revoke(assertion=awarded[2], reason="Plagiarism")
    report = documents_import(
        issuer=new_issuer,
        documents=[
            Document(name="gone", url=f"{OLD}/public/assertions/{'x' * 22}"),
            Document(name="revoked", url=hosted_url(awarded[2])),
            Document(name="stranger", url=hosted_url(awarded[1])),
        ],
    )
    messages = {e.legacy_id: e.message for e in report.errors}
    assert "HTTP 404" in messages["gone"]
    assert messages["revoked"] == "The issuer revoked this badge: Plagiarism"
    assert "matches none of this issuer's earners" in messages["stranger"]
    assert not Assertion.objects.filter(organization=new_issuer).exists()


def test_a_zip_of_images_and_a_url_list(old_platform, awarded, new_issuer):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("badges/ada0.png", baked_png(awarded[0]))
        archive.writestr("__MACOSX/._ada0.png", b"junk")
        archive.writestr("urls.txt", f"{hosted_url(awarded[1])}\n{hosted_url(awarded[2])}\n")
    documents = documents_from_upload("badges.zip", buffer.getvalue())
    assert len(documents) == 3

    report = documents_import(
        issuer=new_issuer,
        documents=documents,
        emails=["ada0@example.org", "ada1@example.org", "ada2@example.org"],
    )
    assert report.errors == []
    assert Assertion.objects.filter(organization=new_issuer).count() == 3
    assert report.counts_dict()["badgeclass"]["created"] == 1  # one class, found again


def test_private_addresses_stay_refused_by_default(settings, new_issuer):
    report = documents_import(
        issuer=new_issuer,
        documents=[
            Document(name="lan", url="http://10.1.2.3/public/assertions/x"),
            Document(name="here", url=f"{settings.SITE_URL}/public/assertions/{'y' * 22}"),
        ],
    )
    messages = {e.legacy_id: e.message for e in report.errors}
    assert "the address is not allowed or did not answer" in messages["lan"]
    assert "issued on this platform" in messages["here"]


def test_a_baked_svg_is_imported_too(old_platform, new_issuer):
    from templates_app.tests.test_images import svg_upload

    template = BadgeTemplateFactory(
        name="Vector", issuer=IssuerFactory(name="Old SVG school"), image=svg_upload()
    )
    badge = AssertionFactory(template=template, recipient_email="vec@example.org")
    with override_settings(SITE_URL=OLD):
        svg = Client().get(f"/public/assertions/{badge.entity_id}/image").content
    assert svg.lstrip().startswith(b"<")

    report = documents_import(
        issuer=new_issuer,
        documents=[Document(name="vec.svg", data=svg)],
        emails=["vec@example.org"],
    )

    assert report.errors == []
    copy = Assertion.objects.get(organization=new_issuer)
    assert copy.badge_template.current_version.image.name.endswith(".svg")


def test_a_hosted_badge_expiring_before_its_issue_date_is_kept_as_it_is_and_named(
    old_platform, new_issuer
):
    # Given the old platform hosts a badge whose expiry precedes its issue date (one it
    # imported itself from Badgr, say)
    issued = dt.datetime(2022, 6, 1, 8, 30, tzinfo=dt.UTC)
    [odd] = assertions_import(
        template=BadgeTemplateFactory(issuer=IssuerFactory(name="Old University")),
        rows=[
            {
                "recipient_email": "linus@example.org",
                "emitted_at": issued,
                "expires_at": issued - dt.timedelta(days=1),
                "imp_legacy_id": "badgr-1",
            }
        ],
        keep_source_dates=True,
    )

    # When its hosted URL is imported
    report = documents_import(
        issuer=new_issuer,
        documents=[Document(name="linus", url=hosted_url(odd))],
        emails=["linus@example.org"],
    )

    # Then it comes over with both dates, expired, and the report names it
    assert report.errors == []
    copy = Assertion.objects.get(organization=new_issuer)
    assert (copy.emitted_at, copy.expires_at) == (issued, issued - dt.timedelta(days=1))
    assert copy.status == "invalid"
    assert [(w.legacy_id, "not after its issue date" in w.message) for w in report.warnings] == [
        ("linus", True)
    ]
