"""A real Chromium opens public badge pages and the backpack on a phone and a desktop."""

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.testing import png_bytes
from earners.models import Earner
from issuers.tests.factories import IssuerFactory
from templates_app.models import Kind
from templates_app.tests.factories import BadgeTemplateFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
EMAIL = "ada@learners.example"

pytestmark = pytest.mark.browser


@pytest.fixture
def site(browser_django, settings):
    settings.SITE_URL = browser_django.url
    settings.ROOT_URLCONF = "tests.urls_media"  # badge images from this test's MEDIA_ROOT
    return browser_django.url


def demo_badge(**fields):
    issuer = IssuerFactory(name="Demo Academy", timezone="Europe/Rome", url="https://demo.example")
    template = BadgeTemplateFactory(
        issuer=issuer,
        name="Python Fundamentals",
        kind=Kind.SKILLS,
        description="Writes, tests and ships small **Python** programs.",
        criteria_narrative="Complete the course and pass its final assessment.",
        criteria_url="https://demo.example/courses/python",
        tags=["python", "programming"],
        image=SimpleUploadedFile("b.png", png_bytes(size=400, text="PY"), "image/png"),
    )
    return AssertionFactory(
        template=template,
        recipient_email=EMAIL,
        recipient_first_name="Ada",
        recipient_last_name="Lovelace",
        activity_title="Python course, spring cohort",
        issued_on=timezone.now() - dt.timedelta(days=3),
        expires_at=timezone.now() + dt.timedelta(days=730),
        narrative="Wrote and tested a command-line tool that tidies CSV files.",
        evidence=[{"url": "https://code.example/ada/csv-tidy", "narrative": "The repository"}],
        **fields,
    )


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_public_badge_page_verifies_and_shares(site, browser, device):
    badge = demo_badge()
    context = browser.new_context(viewport=VIEWPORTS[device])
    page = context.new_page()
    # when anyone opens the badge's public page
    page.goto(badge.url)
    # then it shows the badge, its earner and its status
    expect(page.locator("h1")).to_have_text("Python Fundamentals")
    expect(page.get_by_test_id("earner")).to_have_text("Ada Lovelace")
    expect(page.get_by_test_id("status")).to_have_text("Valid")
    assert page.locator("img.badge-image").evaluate("img => img.naturalWidth") == 400
    # and nothing is wider than the screen (readable on a phone)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[device]["width"]
    # when the visitor verifies it for the earner's address
    page.fill("#verify-email", EMAIL.upper())
    page.get_by_role("button", name="Verify").click()
    # then every check of the hosted documents passes
    expect(page.locator(".verify-result")).to_have_text("This badge is valid.")
    checks = page.get_by_test_id("checks").locator("li")
    expect(checks).to_have_count(10)
    expect(page.locator(".check-fail")).to_have_count(0)
    expect(checks.last).to_contain_text(f"awarded to {EMAIL}")
    # and the LinkedIn button carries the certification's fields
    link = page.get_by_test_id("linkedin").get_attribute("href")
    query = parse_qs(urlsplit(link).query)
    assert query["name"] == ["Python Fundamentals"]
    assert query["organizationName"] == ["Demo Academy"]
    assert query["certUrl"] == [badge.url]
    assert query["certId"] == [badge.entity_id]
    assert {"issueYear", "issueMonth", "expirationYear", "expirationMonth"} <= set(query)
    # and the download is the baked PNG
    with page.expect_download() as download:
        page.get_by_role("link", name="Download badge").click()
    assert download.value.suggested_filename.startswith("python-fundamentals-")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"public-badge-{device}.png", full_page=True)
    context.close()


def test_a_revoked_badge_fails_verification_and_says_why(site, browser):
    badge, _ = assertion_revoke(assertion=demo_badge(), reason="Issued to the wrong person")
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(badge.url)
    expect(page.get_by_test_id("status")).to_have_text("Revoked")
    expect(page.locator(".banner-revoked")).to_contain_text("Issued to the wrong person")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".verify-result")).to_have_text("This badge is not valid.")
    expect(page.locator(".check-fail")).to_contain_text("Issued to the wrong person")
    page.screenshot(path=ARTIFACTS / "public-badge-revoked-phone.png", full_page=True)
    context.close()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_earner_signs_in_and_sees_the_backpack(site, browser, device):
    from accounts.tests.factories import UserFactory

    user = UserFactory(email=EMAIL, first_name="Ada")
    badge = demo_badge()
    Earner.objects.filter(pk=badge.earner_id).update(user=user)
    other = AssertionFactory(
        template=BadgeTemplateFactory(name="Workshop Participant"), recipient_email=EMAIL
    )
    Earner.objects.filter(pk=other.earner_id).update(user=user)
    context = browser.new_context(viewport=VIEWPORTS[device])
    page = context.new_page()
    page.goto(f"{site}/me/badges")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", "pw-for-tests")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("My badges")
    expect(page.get_by_test_id("badges").locator("li")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[device]["width"]
    # making one private hides its public page from everyone else
    page.locator(".badge-card", has_text="Workshop Participant").get_by_role(
        "button", name="Make private"
    ).click()
    expect(page.locator(".messages")).to_contain_text("is now private")
    page.screenshot(path=ARTIFACTS / f"backpack-{device}.png", full_page=True)
    anonymous = browser.new_context().new_page()
    assert anonymous.goto(other.url).status == 404
    context.close()


def test_the_verifier_speaks_the_visitors_language(site, browser):
    # given a revoked badge and a visitor whose browser asks for Italian
    badge, _ = assertion_revoke(assertion=demo_badge(), reason="Rilasciato per errore")
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="it-IT")
    page = context.new_page()
    page.goto(badge.url)
    # when they verify it, the script's words are Italian too (the JavaScript catalogue)
    page.get_by_role("button", name="Verifica").click()
    expect(page.locator(".verify-result")).to_have_text("Questo badge non è valido.")
    expect(page.locator(".check-fail")).to_contain_text("Non revocato:")
    expect(page.locator(".check-fail")).to_contain_text("Rilasciato per errore")
    context.close()
