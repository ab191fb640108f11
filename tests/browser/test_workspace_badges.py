"""A real Chromium walks the issuer's badges as its staff (issue 20): signs in and lands
on the dashboard, finds a badge by email, corrects the name, revokes it with a reason,
exports the filtered list; and every page built for the issue, at 1280 and 390 px, is no
wider than the viewport. Screenshots go to tests/artifacts/ (git-ignored)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assertions.models import Assertion, AssertionStatus
from assertions.services import batch_assign
from assertions.tests.factories import AssertionFactory
from core.testing import png_bytes
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "pw-for-tests"
WIDTHS = (1280, 390)

pytestmark = pytest.mark.browser


@pytest.fixture
def programme(browser_django, settings):
    settings.SITE_URL = browser_django.url
    settings.ROOT_URLCONF = "tests.urls_media"
    ARTIFACTS.mkdir(exist_ok=True)
    membership = MembershipFactory(
        role=Role.STAFF, issuer__name="Demo Academy", user__email="staff@academy.example"
    )
    issuer = membership.issuer
    credits_top_up(issuer=issuer, amount=50)
    template = BadgeTemplateFactory(
        issuer=issuer,
        name="Python Fundamentals",
        image=SimpleUploadedFile("b.png", png_bytes(size=200, text="PY"), "image/png"),
    )
    for i in range(3):
        AssertionFactory(
            template=template,
            recipient_email=f"learner{i}@uni.example",
            recipient_first_name="Learner",
            recipient_last_name=f"Number{i}",
        )
    batch = batch_assign(
        template=template,
        rows=[
            {"email": "ada@uni.example", "first_name": "Ada", "last_name": "Lovelac"},
            {"email": "grace@uni.example", "first_name": "Grace", "last_name": "Hopper"},
        ],
        actor=membership.user,
        notify=True,
        source_rows=[2, 4],
        rejected=[{"row": 3, "email": "not-an-email", "message": "Not a valid email."}],
    ).batch
    return {
        "site": browser_django.url,
        "issuer": issuer,
        "user": membership.user,
        "batch": batch,
    }


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width}px wide in a {viewport}px viewport"


def shoot(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        fits(page)
        page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_staff_find_a_badge_by_email_correct_the_name_revoke_it_and_export(programme, page):
    site, issuer = programme["site"], programme["issuer"]
    # signing in with no page asked for lands on the dashboard, not in the admin
    page.goto(f"{site}/admin/login/")
    page.fill("input[name=username]", programme["user"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Demo Academy")
    shoot(page, "workspace-dashboard")
    # the admin points staff to their dashboard
    page.goto(f"{site}/admin/")
    expect(page.get_by_test_id("admin-door")).to_be_visible()
    shoot(page, "workspace-admin-door")

    page.goto(f"{site}/issuers/{issuer.entity_id}/")
    page.get_by_test_id("all-badges").click()
    expect(page.get_by_test_id("badges").locator("tbody tr")).to_have_count(5)
    shoot(page, "workspace-badges")
    page.fill("input[name=q]", "ada@uni")
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_test_id("badges").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ada@uni.example")
    shoot(page, "workspace-badges-search")

    # the export is what the list shows
    with page.expect_download() as download:
        page.get_by_test_id("badges-export").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [row["recipient_email"] for row in exported] == ["ada@uni.example"]

    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("badge-earner")).to_contain_text("ada@uni.example")
    shoot(page, "workspace-badge")
    # its emails read as cards on a phone: nothing in the table scrolls sideways
    page.set_viewport_size({"width": 390, "height": 900})
    emails = page.get_by_test_id("badge-emails")
    expect(emails).to_contain_text("ada@uni.example")
    assert emails.locator("xpath=..").evaluate("box => box.scrollWidth <= box.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    form = page.get_by_test_id("name-form")
    form.locator("input[name=recipient_last_name]").fill("Lovelace")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("badge-earner")).to_contain_text("Ada Lovelace")
    expect(page.get_by_test_id("badge-history")).to_contain_text("Lovelac → Lovelace")

    form = page.get_by_test_id("expiry-form")
    form.get_by_label("Expires on a date").check()
    form.locator("input[name=expires_on]").fill("2031-12-31")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("badge-expiry")).to_contain_text("31 Dec 2031 23:59 (Europe/Rome)")

    form = page.get_by_test_id("revoke-form")
    form.locator("textarea[name=reason]").fill("Awarded by mistake")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("badge-status")).to_contain_text("Revoked")
    expect(page.get_by_test_id("badge-status")).to_contain_text("Awarded by mistake")
    shoot(page, "workspace-badge-revoked")
    badge = Assertion.objects.get(recipient_email="ada@uni.example")
    assert (badge.status, badge.recipient_last_name) == (AssertionStatus.REVOKED, "Lovelace")
    assert Assertion.objects.count() == 5  # corrected, never reissued

    # the assignment's page: numbered as its file, the rejected row with its reason
    batch = programme["batch"]
    page.goto(f"{site}/issuers/{issuer.entity_id}/batches/{batch.entity_id}/")
    expect(page.get_by_test_id("batch-state")).to_contain_text("2 badges were issued.")
    table = page.get_by_test_id("batch-rows").locator("tbody tr")
    expect(table).to_have_count(3)
    expect(table.nth(1)).to_contain_text("Not a valid email.")
    expect(table.nth(1).locator("td").first).to_have_text("3")
    shoot(page, "workspace-batch")
