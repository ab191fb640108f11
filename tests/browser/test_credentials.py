"""A real Chromium downloads a badge's signed Open Badges 3.0 credential from its public
page and checks it on the "Verify a credential" page, on a phone and a desktop."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from assertions.services import assertion_revoke
from tests.browser.test_public_page import VIEWPORTS, demo_badge

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
def site(browser_django, settings):
    settings.SITE_URL = browser_django.url
    settings.ROOT_URLCONF = "tests.urls_media"
    return browser_django.url


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_download_for_wallet_then_verify_the_file(site, browser, device, tmp_path):
    badge = demo_badge()
    context = browser.new_context(viewport=VIEWPORTS[device], accept_downloads=True)
    page = context.new_page()
    # given the credential downloaded from the badge's public page
    page.goto(badge.url)
    with page.expect_download() as download:
        page.get_by_test_id("wallet-download").click()
    assert download.value.suggested_filename.endswith(".jwt")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.read_text().startswith("eyJ")
    # when it is uploaded to the verifier
    page.goto(f"{site}/verify/")
    page.set_input_files("input[type=file]", saved)
    page.get_by_role("button", name="Verify").click()
    # then every check passes, each one shown
    expect(page.get_by_test_id("verdict")).to_have_text("Valid")
    expect(page.locator(".verify-report .check")).to_have_count(6)
    expect(page.locator(".verify-report .check-ok")).to_have_count(6)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[device]["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"verify-credential-{device}.png", full_page=True)
    context.close()


def test_a_pasted_credential_of_a_revoked_badge_is_shown_invalid(site, browser):
    badge = demo_badge()
    page = browser.new_page(viewport=VIEWPORTS["phone"])
    token = page.request.get(f"{badge.url}/credential?format=jwt").text()
    assertion_revoke(assertion=badge, reason="Issued to the wrong person")
    page.goto(f"{site}/verify/")
    page.fill("textarea", token)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("verdict")).to_have_text("Invalid")
    expect(page.locator('[data-check="status"]')).to_contain_text("revoked by its issuer")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    page.screenshot(path=ARTIFACTS / "verify-credential-revoked-phone.png", full_page=True)
    page.close()
