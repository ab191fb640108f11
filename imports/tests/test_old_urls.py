"""Once the old Badgr domain points here, every public URL form Badgr served answers with
the same kind of content (Badgr's apps/issuer/public_api_urls.py): pages with pages,
JSON with JSON, images with images, `baked` with the baked badge, `criteria` with the
criteria, an issuer's badge list with its page. And what Badgr published in a hosted
assertion (the earner's name) is published here, unless the earner turns it off."""

from urllib.parse import urlsplit

import pytest
import responses

from accounts.tests.factories import UserFactory
from assertions.baking import unbake
from assertions.models import Assertion
from core.testing import PUBLIC_ADDRESS, fake_dns
from imports import badgr_client
from imports.badgr import badgr_import
from imports.badgr_client import BadgrClient
from imports.tests.recorded_badgr import API, PAGE_SIZE, TOKENS, RecordedBadgr

pytestmark = pytest.mark.django_db

ISSUER_WITH_IMAGE, ISSUER_WITHOUT_IMAGE = "mT3Bq0cHQiy5tF1jDbvE8w", "9kPzR2wYTNiv4sLq7Aa0cQ"
PNG_CLASS, SVG_CLASS, URL_CRITERIA_CLASS = (
    "Qp7cT2mZSWa0x9yVbN4e1A",
    "ux8HfL2dQ0WmZrT5yCkJbg",
    "sF0tYk3LRh2Wq8PnD5ceVg",
)
NAMED, REVOKED = "aS1pYmtx0lQ3Rt5uVw7xYz", "rEvOkEd0nOdAtE00000001"


@pytest.fixture
def imported(monkeypatch, settings):
    """Everything of the recorded Badgr server, imported; images served from /media/."""
    settings.ROOT_URLCONF = "tests.urls_media"
    fake_dns(monkeypatch, {".badgr.example.org": PUBLIC_ADDRESS})
    monkeypatch.setattr(badgr_client, "BACKOFF", 0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        RecordedBadgr().install(mock)
        badgr_import(client=BadgrClient(API, TOKENS["staff"], page_size=PAGE_SIZE), owner=None)


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def follow(client, path: str, **headers):
    """The answer to `path` and, when it redirects, to where it points (on this server)."""
    first = client.get(path, **headers)
    if first.status_code not in (301, 302):
        return first, first
    target = urlsplit(first["Location"])
    query = {k: v for k, _, v in (p.partition("=") for p in target.query.split("&") if p)}
    return first, client.get(target.path, query, **headers)


def content_type(response) -> str:
    return response["Content-Type"].split(";")[0]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (f"/public/assertions/{NAMED}", "text/html"),
        (f"/public/assertions/{NAMED}.json", "application/json"),
        (f"/public/assertions/{NAMED}/image", "image/png"),
        (f"/public/assertions/{NAMED}/baked", "image/png"),
        (f"/public/badges/{PNG_CLASS}", "text/html"),
        (f"/public/badges/{PNG_CLASS}.json", "application/json"),
        (f"/public/badges/{PNG_CLASS}/image", "image/png"),
        (f"/public/badges/{SVG_CLASS}/image", "image/svg+xml"),
        (f"/public/badges/{SVG_CLASS}/image?type=png", "image/png"),
        (f"/public/badges/{SVG_CLASS}/image?type=png&fmt=wide", "image/png"),
        (f"/public/badges/{PNG_CLASS}/criteria", "text/html"),
        (f"/public/issuers/{ISSUER_WITH_IMAGE}", "text/html"),
        (f"/public/issuers/{ISSUER_WITH_IMAGE}.json", "application/json"),
        (f"/public/issuers/{ISSUER_WITH_IMAGE}/image", "image/png"),
        (f"/public/issuers/{ISSUER_WITH_IMAGE}/badges", "text/html"),
    ],
)
def test_every_badgr_url_form_answers_with_its_kind_of_content(imported, client, path, kind):
    # When a Badgr public URL of an imported thing is asked for by a browser (as Badgr
    # did, the same address gives a verifier that asks for anything else JSON-LD)
    first, final = follow(client, path, HTTP_ACCEPT=BROWSER)

    # Then it redirects to what that thing has now, of the same kind
    assert first.status_code in (301, 302), first.status_code
    assert final.status_code == 200, (first["Location"], final.status_code)
    assert content_type(final) == kind, first["Location"]


def test_the_baked_url_answers_the_badge_with_its_assertion_baked_in(imported, client):
    badge = Assertion.objects.get(imp_legacy_id=NAMED)
    _, final = follow(client, f"/public/assertions/{NAMED}/baked")
    assert f"/public/assertions/{badge.entity_id}" in unbake(final.content)


def test_criteria_go_to_the_criteria(imported, client):
    # A class with a narrative: the badge class page, at its criteria.
    response = client.get(f"/public/badges/{PNG_CLASS}/criteria")
    assert response.status_code == 301
    assert response["Location"].endswith("#criteria")
    # A class whose criteria are only a URL: that URL.
    response = client.get(f"/public/badges/{URL_CRITERIA_CLASS}/criteria")
    assert response["Location"] == "https://harbour.example/dock"


def test_an_image_or_a_form_the_thing_does_not_have_is_404(imported, client):
    assert client.get(f"/public/issuers/{ISSUER_WITHOUT_IMAGE}/image").status_code == 404
    assert client.get(f"/public/issuers/{ISSUER_WITH_IMAGE}/criteria").status_code == 404
    assert client.get(f"/public/badges/{PNG_CLASS}/baked").status_code == 404
    assert client.get(f"/public/badges/{PNG_CLASS}/badges").status_code == 404
    assert client.get("/public/badges/NoSuchOldBadgeClass000/image").status_code == 404


def test_the_hosted_assertion_publishes_the_earners_name_as_badgr_did_until_they_hide_it(
    imported, client, django_capture_on_commit_callbacks
):
    # Given a badge Badgr published with the earner's name
    badge = Assertion.objects.select_related("earner").get(imp_legacy_id=NAMED)
    url = f"/public/assertions/{badge.entity_id}.json"

    # Then the hosted assertion here publishes it the same way
    profile = client.get(url).json()["extensions:recipientProfile"]
    assert profile["name"] == "Ada King Lovelace"
    assert profile["type"] == ["Extension", "extensions:RecipientProfile"]
    # (a badge that came without one publishes none)
    other = Assertion.objects.get(imp_legacy_id="bAcKdAtEd0000000000001")
    assert (
        "extensions:recipientProfile"
        not in client.get(f"/public/assertions/{other.entity_id}.json").json()
    )

    # When the earner hides their name in their badges' privacy settings
    client.force_login(badge.earner.user)
    page = client.get("/me/badges").content.decode()
    assert f"/me/badges/{badge.entity_id}/name" in page
    with django_capture_on_commit_callbacks(execute=True):  # the cached copy is dropped
        client.post(f"/me/badges/{badge.entity_id}/name", {"public": "0"})

    # Then it is no longer published; and they can show it again
    client.logout()
    assert "extensions:recipientProfile" not in client.get(url).json()
    client.force_login(badge.earner.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/me/badges/{badge.entity_id}/name", {"public": "1"})
    assert client.get(url).json()["extensions:recipientProfile"]["name"] == "Ada King Lovelace"


def test_only_the_earner_may_hide_their_name(imported, client):
    badge = Assertion.objects.get(imp_legacy_id=NAMED)
    client.force_login(UserFactory())
    assert client.post(f"/me/badges/{badge.entity_id}/name", {"public": "0"}).status_code == 404
    badge.refresh_from_db()
    assert not badge.recipient_name_hidden


def test_a_badge_revoked_on_badgr_says_revoked_date_unknown(imported, client):
    badge = Assertion.objects.get(imp_legacy_id=REVOKED)
    page = client.get(f"/public/assertions/{badge.entity_id}", HTTP_ACCEPT=BROWSER)
    assert "This badge was revoked</strong>, date unknown (imported)." in page.content.decode()
    assert badge.revoked_at is None
