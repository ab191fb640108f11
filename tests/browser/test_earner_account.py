"""A real Chromium lives an earner's whole account, in English and in Italian (the
browser's language): created by an assignment, set password, sign in, forgot password,
reset, download the data, delete the account. Screenshots at 1280 and 390 px wide go to
tests/artifacts/ (git-ignored)."""

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from assertions.models import Assertion
from assertions.services import assertion_issue
from issuers.models import Role
from issuers.services import credits_top_up, issuer_email_settings_update
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "accept": "en-US,en;q=0.9",
        "choose": "Choose your password",
        "set": "Set my password",
        "badges": "My badges",
        "logout": "Log out",
        "sign_in": "Sign in",
        "forgot": "Forgot your password?",
        "email_me": "Email me a link",
        "check": "Check your email",
        "settings": "Settings",
        "data_link": "Download your data or delete your account",
        "download": "Download my data (zip)",
        "delete": "Delete my account",
        "deleted": "Your account is deleted",
        "subject": "awarded you",
    },
    "it": {
        "accept": "it-IT,it;q=0.9",
        "choose": "Scegli la tua password",
        "set": "Imposta la mia password",
        "badges": "I miei badge",
        "logout": "Esci",
        "sign_in": "Accedi",
        "forgot": "Password dimenticata?",
        "email_me": "Inviami un link",
        "check": "Controlla la tua email",
        "settings": "Impostazioni",
        "data_link": "Scarica i tuoi dati o elimina il tuo account",
        "download": "Scarica i miei dati (zip)",
        "delete": "Elimina il mio account",
        "deleted": "Il tuo account è stato eliminato",
        "subject": "ti ha assegnato",
    },
}


@pytest.fixture
def site(browser_django, settings):
    settings.SITE_URL = browser_django.url
    settings.ROOT_URLCONF = "tests.urls_media"  # badge images from this test's MEDIA_ROOT
    ARTIFACTS.mkdir(exist_ok=True)
    return browser_django.url


def shots(page, name: str) -> None:
    """The page at a desktop and a phone width."""
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=ARTIFACTS / f"earner-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/set-password/\S+", message.body)[0]


@pytest.mark.parametrize("language", ["en", "it"])
def test_an_earners_account_from_assignment_to_deletion(site, browser, language):
    words = WORDS[language]
    email, password, new_password = (
        f"earner-{language}@example.org",
        "a-Good-passw0rd",
        "an0ther-Good-one",
    )
    issuer = IssuerFactory(name="Scuola di Roma", language=language)
    credits_top_up(issuer=issuer, amount=5)
    template = BadgeTemplateFactory(issuer=issuer, name="Primo soccorso")

    # given an account made by an assignment, and its email in the issuer's language
    assertion_issue(template=template, recipient_email=email, recipient_first_name="Ada")
    assert words["subject"] in mail.outbox[-1].subject
    context = browser.new_context(
        locale=words["accept"].split(",")[0],
        extra_http_headers={"Accept-Language": words["accept"]},
    )
    page = context.new_page()

    # the earner sets a password from the email's link
    page.goto(link_in(mail.outbox[-1]))
    expect(page.locator("h1")).to_have_text(words["choose"])
    expect(page.locator("html")).to_have_attribute("lang", language)
    shots(page, f"{language}-1-set-password")
    page.fill("input[name=new_password1]", password)
    page.fill("input[name=new_password2]", password)
    page.get_by_role("button", name=words["set"]).click()
    expect(page.locator("h1")).to_have_text(words["badges"])
    expect(page.get_by_test_id("badges")).to_contain_text("Primo soccorso")
    shots(page, f"{language}-2-badges")

    # signs out and in again
    page.get_by_role("button", name=words["logout"]).click()
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    shots(page, f"{language}-3-sign-in")
    page.get_by_role("button", name=words["sign_in"]).click()
    expect(page.locator("h1")).to_have_text(words["badges"])

    # forgets the password: asks for a link, gets it, chooses a new one
    page.get_by_role("button", name=words["logout"]).click()
    page.get_by_role("link", name=words["forgot"]).click()
    page.fill("input[name=email]", email)
    page.get_by_role("button", name=words["email_me"]).click()
    expect(page.locator("h1")).to_have_text(words["check"])
    shots(page, f"{language}-4-reset-sent")
    page.goto(link_in(mail.outbox[-1]))
    page.fill("input[name=new_password1]", new_password)
    page.fill("input[name=new_password2]", new_password)
    page.get_by_role("button", name=words["set"]).click()
    expect(page.locator("h1")).to_have_text(words["badges"])
    assert User.objects.get(email=email).check_password(new_password)

    # downloads the data
    page.get_by_role("link", name=words["settings"]).click()
    shots(page, f"{language}-5-settings")
    page.get_by_role("link", name=words["data_link"]).click()
    shots(page, f"{language}-6-data")
    with page.expect_download() as download:
        page.get_by_role("link", name=words["download"]).click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    doc = json.loads(archive.read("data.json"))
    assert doc["account"]["email"] == email
    assert any(name.startswith("badges/") for name in archive.namelist())

    # deletes the account: signed out, the badge stays with no name on it
    page.fill("input[name=password]", new_password)
    page.get_by_role("button", name=words["delete"]).click()
    expect(page.locator(".messages")).to_contain_text(words["deleted"])
    shots(page, f"{language}-7-deleted")
    assert not User.objects.filter(email=email).exists()
    badge = Assertion.objects.get()
    assert badge.recipient_email == ""
    page.goto(badge.url)
    expect(page.locator("h1")).to_have_text("Primo soccorso")
    shots(page, f"{language}-8-badge-after")
    context.close()


def test_the_issuers_email_page_shows_the_exact_email(site, page):
    membership = MembershipFactory(role=Role.OWNER, issuer__name="Scuola di Roma")
    issuer = membership.issuer
    BadgeTemplateFactory(issuer=issuer, name="Primo soccorso")
    issuer_email_settings_update(
        issuer=issuer,
        email_greeting="Cara {{ earner.first_name }},",
        email_body="Complimenti per **{{ badge.name }}**!",
    )
    page.goto(f"{site}/admin/login/?next=/issuers/{issuer.entity_id}/emails/")
    page.fill("input[name=username]", membership.user.email)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("input[type=submit]")
    frame = page.frame_locator("[data-testid=email-html]")
    expect(frame.locator("body")).to_contain_text("Complimenti per Primo soccorso!")
    expect(frame.locator("p", has_text="Complimenti").locator("strong")).to_have_text(
        "Primo soccorso"
    )
    shots(page, "issuer-email-page")
    page.locator("[data-testid=email-html]").screenshot(path=ARTIFACTS / "earner-email-preview.png")
