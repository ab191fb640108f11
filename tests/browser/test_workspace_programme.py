"""A real Chromium walks the rest of the issuer's programme as its owner (issue 20):
earners (search, an earner's badges), assignments (to a batch's page), members (invite
someone), credits (ask for more) and the XLSX export of the badge list; every page at
1280 and 390 px no wider than the viewport. Screenshots go to tests/artifacts/."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from assertions.services import batch_assign
from issuers.models import CreditRequest, Invitation, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.browser.test_workspace_badges import PASSWORD, shoot

pytestmark = pytest.mark.browser


@pytest.fixture
def academy(browser_django, settings):
    settings.SITE_URL = browser_django.url
    owner = MembershipFactory(
        role=Role.OWNER, issuer__name="Demo Academy", user__email="owner@academy.example"
    )
    MembershipFactory(issuer=owner.issuer, role=Role.STAFF, user__email="staff@academy.example")
    credits_top_up(issuer=owner.issuer, amount=50, note="Welcome")
    template = BadgeTemplateFactory(issuer=owner.issuer, name="Python Fundamentals")
    batch_assign(
        template=template,
        rows=[
            {"email": "ada@uni.example", "first_name": "Ada", "last_name": "Lovelace"},
            {"email": "grace@uni.example", "first_name": "Grace", "last_name": "Hopper"},
        ],
        actor=owner.user,
        notify=True,
        rejected=[{"row": 3, "email": "nope", "message": "Not a valid email."}],
    )
    return {"site": browser_django.url, "issuer": owner.issuer, "user": owner.user}


def test_an_owner_runs_earners_assignments_members_credits_and_the_xlsx_export(academy, page):
    site, issuer = academy["site"], academy["issuer"]
    page.goto(f"{site}/admin/login/")
    page.fill("input[name=username]", academy["user"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Demo Academy")

    # earners: found by a name, then their page with their badge
    page.get_by_role("navigation", name="Issuer staff").get_by_role("link", name="Earners").click()
    expect(page.get_by_test_id("earners").locator("tbody tr")).to_have_count(2)
    shoot(page, "workspace-earners")
    page.fill("input[name=q]", "hop")
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_test_id("earners").locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("earner-badges")).to_contain_text("Python Fundamentals")
    shoot(page, "workspace-earner")

    # assignments: the batch with its counts, and on to its page
    page.get_by_role("link", name="Assignments").click()
    row = page.get_by_test_id("batch-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2 of 2")
    shoot(page, "workspace-assignments")
    row.get_by_role("link").click()
    expect(page.get_by_test_id("batch-rows").locator("tbody tr")).to_have_count(3)

    # members: invite someone; a bad address is said on the form
    page.get_by_role("link", name="Members").click()
    invite = page.get_by_test_id("invite-form")
    invite.locator("input[name=email]").fill("new@academy.example")
    invite.locator("select[name=role]").select_option("editor")
    invite.get_by_role("button").click()
    expect(page.get_by_test_id("invitations")).to_contain_text("new@academy.example")
    shoot(page, "workspace-members")
    assert Invitation.objects.filter(email="new@academy.example", role="editor").exists()

    # credits: the ledger, and a request to the operators
    page.get_by_role("link", name="Credits").click()
    expect(page.get_by_test_id("credit-balance")).to_contain_text("48")
    expect(page.get_by_test_id("ledger").locator("tbody tr")).to_have_count(2)
    form = page.get_by_test_id("credits-request-form")
    form.locator("input[name=amount]").fill("0")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("credits-request-form")).to_contain_text("greater than or equal")
    form = page.get_by_test_id("credits-request-form")
    form.locator("input[name=amount]").fill("200")
    form.locator("input[name=note]").fill("Autumn courses")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("credit-requests")).to_contain_text("200 credits")
    shoot(page, "workspace-credits")
    assert CreditRequest.objects.get().amount == 200

    # the badge list exports what it shows as XLSX
    page.goto(f"{site}/issuers/{issuer.entity_id}/badges/?q=grace%40")
    with page.expect_download() as download:
        page.get_by_test_id("badges-export-xlsx").click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    emails = [r[rows[0].index("recipient_email")] for r in rows[1:]]
    assert emails == ["grace@uni.example"]
