"""A real Chromium walks the assign wizard: one earner end to end (down to the earner
setting a password and seeing the badge), 200 earners from a CSV with bad rows through a
real Celery worker with the progress bar reaching 100%, and the credits refusal.
Screenshots go to tests/artifacts/ (git-ignored)."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assertions.models import Assertion, AssignmentBatch, BatchStatus
from assertions.tests.factories import AssertionFactory
from core.models import OutboundEmail
from core.testing import png_bytes
from issuers.models import Issuer, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.models import Kind
from templates_app.tests.factories import BadgeTemplateFactory
from tests.celery_stack import Workers, smtp_sink, through_redis  # noqa: F401

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "pw-for-tests"

pytestmark = pytest.mark.browser


@pytest.fixture
def site(browser_django, settings):
    settings.SITE_URL = browser_django.url
    settings.ROOT_URLCONF = "tests.urls_media"  # badge images from this test's MEDIA_ROOT
    ARTIFACTS.mkdir(exist_ok=True)
    return browser_django.url


@pytest.fixture
def academy(site):
    membership = MembershipFactory(
        role=Role.OWNER, issuer__name="Demo Academy", user__email="staff@academy.example"
    )
    issuer = membership.issuer
    template = BadgeTemplateFactory(
        issuer=issuer,
        name="Python Fundamentals",
        kind=Kind.SKILLS,
        image=SimpleUploadedFile("b.png", png_bytes(size=200, text="PY"), "image/png"),
    )
    BadgeTemplateFactory(
        issuer=issuer,
        name="Workshop Participant",
        kind=Kind.PARTICIPATION,
        image=SimpleUploadedFile("w.png", png_bytes(size=200, text="WS"), "image/png"),
    )
    return {"issuer": issuer, "template": template, "user": membership.user, "site": site}


def sign_in(page, academy):
    issuer = academy["issuer"]
    page.goto(f"{academy['site']}/admin/login/?next=/issuers/{issuer.entity_id}/")
    page.fill("input[name=username]", academy["user"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("h1")).to_have_text("Demo Academy")


def next_step(page):
    page.get_by_role("button", name="Next").click()


def through_context_template_validity_notes(page, template_name="Python Fundamentals"):
    expect(page.locator("h1")).to_have_text("Assignment context")
    page.fill("input[name=activity_title]", "Python course, spring cohort")
    page.fill("input[name=activity_started_at]", "2026-03-02T09:00")
    page.fill("input[name=activity_ended_at]", "2026-03-06T17:30")
    next_step(page)
    expect(page.locator("h1")).to_have_text("Which badge?")
    page.fill("input[name=q]", template_name.split()[0])
    page.get_by_role("button", name="Search").click()
    page.locator(".template-choice", has_text=template_name).click()
    next_step(page)
    expect(page.locator("h1")).to_have_text("How long is the badge valid?")
    page.get_by_label("Expires on a date").check()
    page.fill("input[name=expires_on]", "2030-12-31")
    next_step(page)
    expect(page.locator("h1")).to_have_text("Notes")
    page.fill("textarea[name=notes]", "Cohort A")
    page.fill("textarea[name=narrative]", "Wrote a **CLI** <script>alert(1)</script>")
    page.get_by_role("button", name="Preview the narrative").click()
    preview = page.get_by_test_id("narrative-preview")
    expect(preview.locator("strong")).to_have_text("CLI")
    expect(preview.locator("script")).to_have_count(0)
    next_step(page)
    expect(page.locator("h1")).to_have_text("Review and confirm")
    # shown as typed, in the issuer's time zone
    expect(page.locator(".dates")).to_contain_text("2 Mar 2026 09:00 (Europe/Rome)")


def test_one_earner_end_to_end_down_to_their_badges(academy, page, browser):
    credits_top_up(issuer=academy["issuer"], amount=10)
    sign_in(page, academy)
    expect(page.get_by_test_id("credit-balance")).to_contain_text("10")
    expect(page.get_by_test_id("templates").locator("li")).to_have_count(2)
    page.screenshot(path=ARTIFACTS / "issuer-dashboard.png", full_page=True)
    # from the dashboard's template list
    page.locator(".template-row", has_text="Python Fundamentals").get_by_role(
        "link", name="Assign"
    ).click()
    expect(page.locator("h1")).to_have_text("Who earns the badge?")
    page.get_by_label("One earner").check()
    page.fill("input[name=first_name]", "Ada")
    page.fill("input[name=last_name]", "Lovelace")
    page.fill("input[name=email]", "ada@learners.example")
    next_step(page)
    through_context_template_validity_notes(page)
    expect(page.get_by_test_id("n-badges")).to_have_text("1")
    expect(page.get_by_test_id("n-emails")).to_have_text("1")
    expect(page.get_by_test_id("n-credits")).to_have_text("1")
    expect(page.get_by_test_id("n-balance")).to_have_text("10")
    expect(page.get_by_test_id("n-balance-after")).to_have_text("9")
    page.screenshot(path=ARTIFACTS / "assign-single-review.png", full_page=True)
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.get_by_test_id("percent")).to_have_text("100")
    expect(page.get_by_test_id("emails-sent")).to_have_text("1")
    page.screenshot(path=ARTIFACTS / "assign-single-done.png", full_page=True)
    badge = Assertion.objects.get()
    assert badge.recipient_name == "Ada Lovelace"
    assert badge.activity_started_at.isoformat() == "2026-03-02T08:00:00+00:00"  # Rome

    # the earner follows the link of the account-creation email
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/set-password/" in w)
    earner = browser.new_context().new_page()
    earner.goto(link)
    earner.fill("input[name=new_password1]", "a-Good-passw0rd")
    earner.fill("input[name=new_password2]", "a-Good-passw0rd")
    earner.get_by_role("button", name=re.compile("password", re.I)).click()
    expect(earner.locator("h1")).to_have_text("My badges")
    expect(earner.locator(".messages")).to_contain_text("Your password is set")
    expect(earner.get_by_test_id("badges")).to_contain_text("Python Fundamentals")
    earner.screenshot(path=ARTIFACTS / "assign-earner-lands-on-badges.png", full_page=True)


def italian_csv(valid: int) -> bytes:
    lines = ["Nome;Cognome;E-mail;Matricola"]
    lines += [f"Niccolò{i};Caffè{i};studente{i}@uni.example;M-{i:04d}" for i in range(valid)]
    lines += [
        "Senza;Email;non-è-una-email;X",
        "Doppio;Uno;studente7@uni.example;Y",
        "Ha;Già;holder@uni.example;Z",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def test_200_earners_from_a_csv_with_bad_rows_and_a_live_progress_bar(
    academy,
    page,
    tmp_path,
    through_redis,  # noqa: F811
    smtp_sink,  # noqa: F811
):
    sink, port = smtp_sink
    workers = Workers(tmp_path, port)
    workers.start("all", "default,emails,bulk", pool="threads", concurrency=4)
    try:
        _bulk_flow(academy, page, tmp_path, sink)
    finally:
        workers.stop_all()


def _bulk_flow(academy, page, tmp_path, sink):
    issuer, template = academy["issuer"], academy["template"]
    credits_top_up(issuer=issuer, amount=250)
    AssertionFactory(template=template, recipient_email="holder@uni.example", notify=False)
    sign_in(page, academy)
    page.get_by_role("link", name="Assign a badge").click()
    page.get_by_label("Many earners").check()
    upload = tmp_path / "iscritti.csv"
    upload.write_bytes(italian_csv(200))
    page.set_input_files("input[name=file]", str(upload))
    page.screenshot(path=ARTIFACTS / "assign-bulk-earners.png", full_page=True)
    next_step(page)
    # the columns are recognised, the accents read, every bad row named by its row
    expect(page.locator("h1")).to_have_text("Check the earners")
    expect(page.locator("select[name=email]")).to_have_value("2")
    expect(page.locator("select[name=first_name]")).to_have_value("0")
    expect(page.locator("select[name=last_name]")).to_have_value("1")
    expect(page.get_by_test_id("preview")).to_contain_text("Niccolò0")
    expect(page.get_by_test_id("check-summary")).to_contain_text("201 earners can be assigned")
    problems = page.get_by_test_id("problems").locator("tbody tr")
    expect(problems).to_have_count(2)  # the holder is known once the badge is chosen
    expect(problems.nth(0)).to_contain_text("202")
    expect(problems.nth(0)).to_contain_text("is not a valid email")
    expect(problems.nth(1)).to_contain_text("203")
    expect(problems.nth(1)).to_contain_text("also in row 9")
    page.screenshot(path=ARTIFACTS / "assign-bulk-columns.png", full_page=True)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".form-error")).to_contain_text("tick the box")
    page.get_by_label(re.compile("Continue with the 201 valid rows only")).check()
    page.get_by_role("button", name="Continue").click()
    through_context_template_validity_notes(page)
    # the earner who already holds the badge is left out now that the badge is known
    expect(page.get_by_test_id("problems")).to_contain_text("holder@uni.example already holds")
    expect(page.get_by_test_id("n-badges")).to_have_text("200")
    expect(page.get_by_test_id("n-credits")).to_have_text("200")
    expect(page.get_by_test_id("n-balance-after")).to_have_text("50")
    page.screenshot(path=ARTIFACTS / "assign-bulk-review.png", full_page=True)

    polled = []
    page.on("request", lambda r: polled.append(r.url) if "progress.json" in r.url else None)
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.locator("h1")).to_have_text("Python Fundamentals")
    page.evaluate("window.__not_reloaded = true")
    bar = page.get_by_test_id("rows-bar")
    expect(page.get_by_test_id("percent")).to_have_text("100", timeout=60_000)
    expect(page.get_by_test_id("emails-sent")).to_have_text("200", timeout=60_000)
    assert bar.evaluate("el => el.value") == 100
    assert page.get_by_test_id("emails-bar").evaluate("el => el.value") == 100
    assert page.evaluate("window.__not_reloaded") is True  # updated in place
    assert polled, "the page never asked for its progress"
    expect(page.get_by_test_id("failed")).to_have_text("0")
    # once over, the wording and the per-row table are those of a finished batch
    expect(page.get_by_test_id("batch-state")).to_contain_text("200 badges were issued.")
    expect(page.get_by_test_id("batch-rows")).to_be_visible()
    expect(page.get_by_test_id("leave-note")).to_have_count(0)
    assert page.evaluate("window.__not_reloaded") is True
    page.screenshot(path=ARTIFACTS / "assign-bulk-progress-100.png", full_page=True)

    batch = AssignmentBatch.objects.get(total=200)
    assert batch.status == BatchStatus.DONE
    assert OutboundEmail.objects.filter(assertion__batch=batch, status="sent").count() == 200
    assert sink.count() == 200
    assert Issuer.objects.get(pk=issuer.pk).credit_balance == 50
    # the per-row report
    with page.expect_download() as download:
        page.get_by_test_id("report-link").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    # every row of the file, the three left out with their reason, numbered as the file
    assert len(rows) == 204
    issued = [r for r in rows[1:] if r[4] == "issued"]
    assert len(issued) == 200
    assert {r[7] for r in issued} == {"sent"}
    assert [r[0] for r in rows[1:] if r[4] == "rejected"] == ["202", "203", "204"]
    assert [int(r[0]) for r in rows[1:]] == sorted(int(r[0]) for r in rows[1:])
    assert rows[1][2] == "Niccolò0"


def test_not_enough_credits_is_refused_with_the_numbers(academy, page):
    credits_top_up(issuer=academy["issuer"], amount=2)
    sign_in(page, academy)
    page.get_by_role("link", name="Assign a badge").click()
    page.get_by_label("Many earners").check()
    page.fill(
        "textarea[name=pasted]",
        "first_name\tlast_name\temail\nAda\tL\ta@x.example\nAlan\tT\tb@x.example\n"
        "Grace\tH\tc@x.example\n",
    )
    next_step(page)
    expect(page.get_by_test_id("check-summary")).to_contain_text("3 earners can be assigned")
    page.get_by_role("button", name="Continue").click()
    through_context_template_validity_notes(page, "Workshop Participant")
    refusal = page.get_by_test_id("credits-refusal")
    expect(refusal).to_contain_text("needs 3 credits")
    expect(refusal).to_contain_text("Demo Academy has 2")
    expect(refusal).to_contain_text("1 more is needed")
    # an owner asks the platform's operators (who alone top up)
    expect(refusal.get_by_test_id("ask-for-credits")).to_have_attribute(
        "href", re.compile(r"/issuers/[\w-]+/credits/$")
    )
    expect(page.get_by_role("button", name=re.compile("Confirm"))).to_be_disabled()
    page.screenshot(path=ARTIFACTS / "assign-credits-refused.png", full_page=True)
    assert not Assertion.objects.exists()
    assert Issuer.objects.get(pk=academy["issuer"].pk).credit_balance == 2
