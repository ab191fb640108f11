"""The public badge page, the hosted documents, the baked image, and their cache."""

import datetime as dt
import hashlib
import html
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import UserFactory
from assertions.baking import unbake
from assertions.models import Assertion
from assertions.services import (
    assertion_revoke,
    assertion_set_private,
    assertion_update,
    assertions_expire_due,
)
from assertions.tests.factories import AssertionFactory
from earners.models import Earner
from issuers.tests.factories import IssuerFactory
from templates_app.services import template_update
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

SITE = "https://badges.example"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def page(client, badge, accept=BROWSER, suffix=""):
    return client.get(f"/public/assertions/{badge.entity_id}{suffix}", HTTP_ACCEPT=accept)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services do once their transaction commits (cache invalidation)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def owned_badge(user=None, **fields):
    """A badge whose earner has a user account (as every awarded earner does)."""
    badge = AssertionFactory(**fields)
    Earner.objects.filter(pk=badge.earner_id).update(user=user or UserFactory())
    return Assertion.objects.select_related("earner__user").get(pk=badge.pk)


# --- content negotiation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "suffix", "query", "content_type"),
    [
        ("application/ld+json", "", "", "application/ld+json"),
        ("application/json", "", "", "application/json"),
        ("application/ld+json, application/json, image/png, image/svg+xml", "", "", None),
        (BROWSER, ".json", "", "application/json"),
        (BROWSER, "", "?v=2_0", "application/json"),
        ("application/ld+json", ".json", "", "application/ld+json"),
        ("*/*", ".json", "", "application/json"),
    ],
)
def test_machines_get_json_ld(client, accept, suffix, query, content_type):
    badge = AssertionFactory()
    response = client.get(
        f"/public/assertions/{badge.entity_id}{suffix}{query}", HTTP_ACCEPT=accept
    )
    assert response.status_code == 200
    assert response["Content-Type"] == (content_type or "application/ld+json")
    assert response["Vary"] == "Accept"  # a document is the same in every language
    assert response["Access-Control-Allow-Origin"] == "*"
    doc = json.loads(response.content)
    assert doc["id"] == f"{SITE}/public/assertions/{badge.entity_id}"


@pytest.mark.parametrize(
    "accept", [BROWSER, "text/html", "application/xhtml+xml,*/*;q=0.8", "text/html, */*"]
)
def test_browsers_get_the_page(client, accept):
    badge = AssertionFactory()
    response = page(client, badge, accept=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    # the page is in the browser's language; no cookie makes it differ
    assert response["Vary"] == "Accept, Accept-Language"


@pytest.mark.parametrize(
    "accept",
    [
        "*/*",  # curl's and requests' default
        "",
        None,  # no Accept header at all
        "application/json, text/html;q=0.5",
        "text/html;q=0, */*",
        "image/png",
        "text/*",
    ],
)
def test_clients_that_do_not_ask_for_html_first_get_json_ld_as_from_badgr(client, accept):
    # Given a badge
    badge = AssertionFactory()
    # When a client that does not name text/html first asks for its hosted URL
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = client.get(f"/public/assertions/{badge.entity_id}", **headers)
    # Then it gets the Open Badges document, not the page
    assert response.status_code == 200
    assert response["Content-Type"] in ("application/ld+json", "application/json")
    assert response["Vary"] == "Accept"
    assert json.loads(response.content)["id"] == f"{SITE}/public/assertions/{badge.entity_id}"


@pytest.mark.parametrize(
    "path",
    [
        "/public/assertions/nope",
        "/public/assertions/" + "x" * 22,
        "/public/assertions/" + "x" * 22 + ".json",
        "/public/assertions/" + "x" * 22 + "/image",
        "/public/badges/" + "x" * 22,
        "/public/badges/" + "x" * 22 + "/versions/1",
        "/public/issuers/" + "x" * 22,
        "/public/issuers/" + "x" * 22 + "/revocations",
    ],
)
def test_unknown_ids_are_404_not_errors(client, path):
    assert client.get(path).status_code == 404
    assert client.get(path, HTTP_ACCEPT="application/ld+json").status_code == 404


def test_documents_are_read_only(client):
    badge = AssertionFactory()
    assert client.post(f"/public/assertions/{badge.entity_id}").status_code == 405


# --- the page -----------------------------------------------------------------------------------


def test_the_page_shows_the_badge_the_earner_and_dates_in_the_issuers_zone(client):
    # given a Rome issuer's badge issued at 23:30 UTC on 30 April (1 May in Rome)
    issuer = IssuerFactory(name="Demo Academy", timezone="Europe/Rome")
    template = BadgeTemplateFactory(
        issuer=issuer,
        name="Python Fundamentals",
        description="Knows **Python**.",
        criteria_narrative="Pass the *final* exam.",
        criteria_url="https://academy.example/python",
    )
    issued = dt.datetime(2024, 4, 30, 23, 30, tzinfo=dt.UTC)
    badge = AssertionFactory(
        template=template,
        recipient_first_name="Ada",
        recipient_last_name="Lovelace",
        issued_on=issued,
        expires_at=dt.datetime(2030, 12, 31, 23, 30, tzinfo=dt.UTC),
        activity_title="Spring cohort",
        narrative="Built a <b>tool</b>.",
        evidence=[{"url": "https://code.example/ada", "narrative": "The repository"}],
    )
    # when someone opens its page
    response = page(client, badge)
    body = response.content.decode()
    # then the page shows everything about the badge
    assert "Python Fundamentals" in body
    assert "<strong>Python</strong>" in body  # markdown rendered
    assert "<em>final</em>" in body
    assert "https://academy.example/python" in body
    assert "Demo Academy" in body
    assert 'data-testid="earner">Ada Lovelace<' in body
    # times in the issuer's zone, labelled with it, as on every page
    assert "1 May 2024 01:30 (Europe/Rome)" in body
    assert "1 Jan 2031 00:30 (Europe/Rome)" in body
    assert "Spring cohort" in body
    assert "&lt;b&gt;tool&lt;/b&gt;" in body  # raw HTML in markdown is shown, not run
    assert "https://code.example/ada" in body
    assert "The repository" in body
    assert 'data-testid="status">Valid<' in body
    assert f'href="{SITE}/public/assertions/{badge.entity_id}/image?download=1"' in body


def test_the_page_carries_open_graph_and_twitter_tags_with_an_absolute_png(client):
    badge = AssertionFactory(recipient_first_name="Ada", recipient_last_name="L")
    body = page(client, badge).content.decode()
    version = badge.badge_template_version
    image = f"{SITE}{version.image_high.url}"
    assert f'<meta property="og:url" content="{SITE}/public/assertions/{badge.entity_id}">' in body
    assert f'<meta property="og:image" content="{image}">' in body
    assert f'<meta name="twitter:image" content="{image}">' in body
    assert '<meta name="twitter:card" content="summary">' in body
    assert f'content="{version.name} · awarded to Ada L"' in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body


def test_linkedin_link_prefills_the_certification_in_the_issuers_calendar(client):
    issuer = IssuerFactory(name="Demo & Co", timezone="Europe/Rome")
    badge = AssertionFactory(
        template=BadgeTemplateFactory(issuer=issuer, name="First Aid"),
        issued_on=dt.datetime(2024, 4, 30, 23, 30, tzinfo=dt.UTC),  # May in Rome
        expires_at=dt.datetime(2026, 4, 30, 23, 30, tzinfo=dt.UTC),
    )
    body = page(client, badge).content.decode()
    start = body.index('href="https://www.linkedin.com/profile/add?') + len('href="')
    link = html.unescape(body[start : body.index('"', start)])
    parts = urlsplit(link)
    assert (parts.netloc, parts.path) == ("www.linkedin.com", "/profile/add")
    assert parse_qs(parts.query) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["First Aid"],
        "organizationName": ["Demo & Co"],
        "issueYear": ["2024"],
        "issueMonth": ["5"],
        "expirationYear": ["2026"],
        "expirationMonth": ["5"],
        "certUrl": [f"{SITE}/public/assertions/{badge.entity_id}"],
        "certId": [badge.entity_id],
    }


def test_expired_and_revoked_badges_say_so(client):
    expired = AssertionFactory(
        issued_on=timezone.now() - dt.timedelta(days=10),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    body = page(client, expired).content.decode()
    assert 'data-testid="status">Expired<' in body
    assert "This badge expired" in body

    revoked, _ = assertion_revoke(assertion=AssertionFactory(), reason="Issued by mistake")
    response = page(client, revoked)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="status">Revoked<' in body
    assert "Issued by mistake" in body
    assert "linkedin.com" not in body  # nothing to share
    assert '<meta name="robots" content="noindex">' in body


def test_revoked_json_is_410_with_the_reason(client):
    badge, _ = assertion_revoke(assertion=AssertionFactory(), reason="Cheated")
    response = page(client, badge, accept="application/ld+json")
    assert response.status_code == 410
    doc = json.loads(response.content)
    assert doc["revoked"] is True
    assert doc["revocationReason"] == "Cheated"


# --- privacy --------------------------------------------------------------------------------------


def test_a_private_badge_is_404_to_everyone_but_its_earner(client, committed):
    # given a badge its earner made private
    earner = UserFactory()
    badge = owned_badge(earner)
    page(client, badge)  # cached while public
    with committed():
        assertion_set_private(assertion=badge, actor=earner, private=True)
    # then anonymous visitors and other users get 404 for the page, the JSON and the image
    for user in (None, UserFactory()):
        if user:
            client.force_login(user)
        assert page(client, badge).status_code == 404
        assert page(client, badge, accept="application/ld+json").status_code == 404
        assert page(client, badge, suffix=".json").status_code == 404
        assert client.get(f"/public/assertions/{badge.entity_id}/image").status_code == 404
    # and the earner still sees the page, told that it is private
    client.force_login(earner)
    response = page(client, badge)
    assert response.status_code == 200
    assert "This badge is private" in response.content.decode()
    # and once public again, everyone sees it
    with committed():
        assertion_set_private(assertion=badge, actor=earner, private=False)
    client.logout()
    assert page(client, badge).status_code == 200
    assert client.get(f"/public/assertions/{badge.entity_id}/image").status_code == 200


# --- the baked image ------------------------------------------------------------------------------


def test_the_image_is_the_png_with_this_assertion_baked_in(client):
    badge = AssertionFactory()
    response = client.get(f"/public/assertions/{badge.entity_id}/image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    baked = json.loads(unbake(response.content))
    assert baked == json.loads(page(client, badge, accept="application/ld+json").content)
    download = client.get(f"/public/assertions/{badge.entity_id}/image?download=1")
    assert download["Content-Disposition"].startswith('attachment; filename="badge-')
    assert download["Content-Disposition"].endswith('.png"')


def test_an_svg_badge_is_baked_as_svg_and_served_with_a_locked_down_csp(client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>'
    template = BadgeTemplateFactory(image=SimpleUploadedFile("b.svg", svg, "image/svg+xml"))
    badge = AssertionFactory(template=template)
    response = client.get(f"/public/assertions/{badge.entity_id}/image")
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"<openbadges:assertion" in response.content
    assert json.loads(unbake(response.content))["id"] == badge.url


def test_a_revoked_badge_has_no_image_to_share(client):
    badge, _ = assertion_revoke(assertion=AssertionFactory(), reason="x")
    assert client.get(f"/public/assertions/{badge.entity_id}/image").status_code == 410


# --- badge class, issuer, revocation list ---------------------------------------------------------


def test_badge_class_pages_show_the_version_a_badge_was_awarded_with(client):
    template = BadgeTemplateFactory(name="Old name")
    badge = AssertionFactory(template=template)
    template_update(template=template, name="New name")
    base = f"/public/badges/{template.entity_id}"
    old = json.loads(client.get(f"{base}/versions/1.json").content)
    current = json.loads(client.get(base, HTTP_ACCEPT="application/ld+json").content)
    assert old["name"] == "Old name"
    assert old["id"] == json.loads(page(client, badge, suffix=".json").content)["badge"]
    assert current["name"] == "New name"
    assert current["id"] == f"{SITE}{base}"
    old_page = client.get(f"{base}/versions/1", HTTP_ACCEPT=BROWSER).content.decode()
    assert "Old name" in old_page
    assert "version 1 of this badge" in old_page
    assert client.get(f"{base}/versions/3.json").status_code == 404


def test_issuer_profile_and_revocation_list(client, committed):
    badge = AssertionFactory()
    issuer = badge.organization
    base = f"/public/issuers/{issuer.entity_id}"
    profile = json.loads(client.get(f"{base}.json").content)
    assert profile["revocationList"] == f"{SITE}{base}/revocations"
    assert issuer.name in client.get(base).content.decode()
    assert json.loads(client.get(f"{base}/revocations").content)["revokedAssertions"] == []
    # when a badge is revoked, the (cached) list names it at once
    with committed():
        assertion_revoke(assertion=badge, reason="Cheated")
    listed = json.loads(client.get(f"{base}/revocations").content)["revokedAssertions"]
    assert listed == [{"id": badge.url, "revocationReason": "Cheated"}]


# --- cache and query counts --------------------------------------------------------------------


@pytest.mark.parametrize("accept", [BROWSER, "application/ld+json"])
def test_page_and_json_cost_one_query_whatever_the_badge_holds_then_none(
    client, django_assert_num_queries, accept
):
    # given a plain badge and one with much evidence, narrative and an expiry
    plain = AssertionFactory()
    rich = AssertionFactory(
        narrative="Long story. " * 50,
        evidence=[{"url": f"https://e.example/{i}", "narrative": "x"} for i in range(30)],
        expires_at=timezone.now() + dt.timedelta(days=30),
        activity_title="Course",
    )
    for badge in (plain, rich):
        # then the first view costs one query, and the next ones none (cached)
        with django_assert_num_queries(1):
            assert page(client, badge, accept=accept).status_code == 200
        with django_assert_num_queries(0):
            assert page(client, badge, accept=accept).status_code == 200


def test_the_image_is_cached_too(client, django_assert_num_queries):
    badge = AssertionFactory()
    with django_assert_num_queries(1):
        first = client.get(f"/public/assertions/{badge.entity_id}/image")
    with django_assert_num_queries(0):
        second = client.get(f"/public/assertions/{badge.entity_id}/image")
    assert first.content == second.content


def test_revoke_update_and_expiry_each_invalidate_the_cached_page_json_and_image(client, committed):
    earner = UserFactory()
    badge = owned_badge(earner, issued_on=timezone.now() - dt.timedelta(days=3))

    def views():
        return (
            page(client, badge).content.decode(),
            page(client, badge, accept="application/ld+json"),
            client.get(f"/public/assertions/{badge.entity_id}/image"),
        )

    views()  # all three cached
    # an update shows at once, in the page, the JSON and the baked image
    with committed():
        assertion_update(assertion=badge, narrative="Corrected narrative")
    body, doc, image = views()
    assert "Corrected narrative" in body
    assert json.loads(doc.content)["narrative"] == "Corrected narrative"
    assert json.loads(unbake(image.content))["narrative"] == "Corrected narrative"
    # so does an expiry moved into the past, then marked by the periodic sweep
    with committed():
        assertion_update(assertion=badge, expires_at=timezone.now() + dt.timedelta(seconds=30))
    views()
    Assertion.objects.filter(pk=badge.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    with committed():
        assert assertions_expire_due() == 1
    assert 'data-testid="status">Expired<' in views()[0]
    # and a revocation
    with committed():
        assertion_revoke(assertion=badge, reason="Cheated")
    body, doc, image = views()
    assert "Cheated" in body
    assert doc.status_code == 410
    assert image.status_code == 410


def test_a_cached_entry_is_hashed_once_and_served_with_that_etag(client, monkeypatch):
    badge = AssertionFactory()
    first = page(client, badge)  # rendered and stored, its ETag computed
    assert first["ETag"] == f'"{hashlib.md5(first.content).hexdigest()}"'
    # a hit must not hash its body again
    monkeypatch.setattr("django.utils.cache.md5", None)
    monkeypatch.setattr("assertions.public_cache.hashlib.md5", None)
    again = page(client, badge)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_a_badge_whose_image_file_is_gone_answers_404_not_an_error(client):
    badge = AssertionFactory()
    badge.badge_template_version.image.storage.delete(badge.badge_template_version.image.name)
    assert client.get(f"/public/assertions/{badge.entity_id}/image").status_code == 404


def test_answers_carry_short_http_caching_and_revalidate_by_etag(client):
    badge = AssertionFactory()
    for accept in (BROWSER, "application/ld+json"):
        response = page(client, badge, accept=accept)
        assert response["Cache-Control"] == "public, max-age=60"
        again = client.get(
            f"/public/assertions/{badge.entity_id}",
            HTTP_ACCEPT=accept,
            HTTP_IF_NONE_MATCH=response["ETag"],
        )
        assert again.status_code == 304
    image = client.get(f"/public/assertions/{badge.entity_id}/image")
    assert image["Cache-Control"] == "public, max-age=60"
    assert image["ETag"]
    badgeclass = client.get(f"/public/badges/{badge.badge_template.entity_id}/versions/1.json")
    assert badgeclass["Cache-Control"] == "public, max-age=300"


def test_what_only_the_earner_sees_is_never_stored_by_browsers_or_proxies(client, committed):
    earner = UserFactory()
    badge = owned_badge(earner)
    with committed():
        assertion_set_private(assertion=badge, actor=earner, private=True)
    client.force_login(earner)
    for response in (
        page(client, badge),
        client.get(f"/public/assertions/{badge.entity_id}/image"),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
