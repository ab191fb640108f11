"""The assign wizard and the assignment pages, through the Django
test client (the browser tests in tests/browser walk the same pages in Chromium)."""

import csv
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssignmentBatch, BatchStatus
from assertions.tests.factories import AssertionFactory
from assign.models import WizardDraft
from core.models import OutboundEmail
from issuers.models import Issuer
from issuers.tests.factories import IssuerFactory

pytestmark = pytest.mark.django_db


def url(issuer, step):
    return f"/issuers/{issuer.entity_id}/assign/{step}/"


def csv_upload(text: str, name="earners.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), "text/csv")


def walk_to_review(client, issuer, template, *, notify=True, validity="default", **extra):
    r = client.post(
        url(issuer, "context"),
        {
            "activity_title": "Spring cohort",
            "activity_started_at": "2026-03-01T09:00",
            "activity_ended_at": "2026-03-05T17:00",
        },
    )
    assert r.status_code == 302, r.content
    r = client.post(url(issuer, "template"), {"template": template.entity_id})
    assert r.status_code == 302, r.content
    r = client.post(url(issuer, "validity"), {"validity": validity, **extra})
    assert r.status_code == 302, r.content
    data = {"notes": "Well done", "narrative": "Built a **CLI**", "action": "next"}
    if notify:
        data["notify"] = "on"
    r = client.post(url(issuer, "notes"), data)
    assert r.status_code == 302, r.content
    return client.get(url(issuer, "review"))


def test_other_issuers_and_anonymous_visitors_get_nothing(client, issuer):
    other = IssuerFactory()
    assert client.get(f"/issuers/{other.entity_id}/").status_code == 404
    assert client.get(f"/issuers/{other.entity_id}/assign/earners/").status_code == 404
    client.logout()
    response = client.get(f"/issuers/{issuer.entity_id}/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_a_single_assignment_walks_every_step_and_issues_one_badge(
    client, issuer, template, django_capture_on_commit_callbacks
):
    client.get(f"/issuers/{issuer.entity_id}/assign/?template={template.entity_id}")
    r = client.post(
        url(issuer, "earners"),
        {
            "mode": "single",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "Ada@Example.org",
        },
    )
    assert r.status_code == 302
    assert r["Location"] == url(issuer, "context")
    review = walk_to_review(client, issuer, template)
    assert review.status_code == 200
    numbers = review.context["numbers"]
    assert (numbers["badges"], numbers["emails"], numbers["credits"]) == (1, 1, 1)
    assert (numbers["balance"], numbers["balance_after"]) == (500, 499)
    assert "<strong>CLI</strong>" in review.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url(issuer, "confirm"))
    batch = AssignmentBatch.objects.get()
    assert done["Location"] == f"/issuers/{issuer.entity_id}/batches/{batch.entity_id}/"
    badge = Assertion.objects.get()
    assert badge.recipient_email == "ada@example.org"
    assert badge.activity_title == "Spring cohort"
    # typed in the issuer's zone (Europe/Rome, UTC+1 in March)
    assert badge.activity_started_at.isoformat() == "2026-03-01T08:00:00+00:00"
    assert badge.narrative == "Built a **CLI**"
    assert badge.notes == "Well done"
    assert len(mail.outbox) == 1
    assert Issuer.objects.get(pk=issuer.pk).credit_balance == 499
    # the draft is gone: confirming again issues nothing
    again = client.post(url(issuer, "confirm"))
    assert again.status_code == 302
    assert Assertion.objects.count() == 1
    progress = client.get(f"/issuers/{issuer.entity_id}/batches/{batch.entity_id}/progress.json")
    assert progress.json()["issued"] == 1
    assert progress.json()["emails_sent"] == 1
    assert progress.json()["percent"] == 100


def test_a_bulk_file_with_italian_headers_is_mapped_checked_and_issued(
    client, issuer, template, django_capture_on_commit_callbacks
):
    AssertionFactory(template=template, recipient_email="holder@example.it")
    text = "Nome;Cognome;E-mail;Matricola\n" + "".join(
        f"Nome{i};Cognome{i};p{i}@example.it;S-{i}\n" for i in range(150)
    )
    text += "Bad;Row;not-an-email;X\nDup;Row;p0@example.it;Y\nHas;It;holder@example.it;Z\n"
    client.get(f"/issuers/{issuer.entity_id}/assign/?template={template.entity_id}")
    r = client.post(
        url(issuer, "earners"), {"mode": "bulk", "file": csv_upload(text, encoding="latin-1")}
    )
    assert r.status_code == 302
    page = client.get(r["Location"])
    assert page.status_code == 200
    problems = {p["row"]: p["message"] for p in page.context["problems"]}
    assert problems == {
        152: '"not-an-email" is not a valid email.',
        153: "p0@example.it is also in row 2.",
        154: "holder@example.it already holds this badge.",
    }
    assert page.context["valid_count"] == 150
    # continuing without accepting to leave rows out is refused, with a message
    r = client.post(
        url(issuer, "earners/columns"),
        {"email": "2", "first_name": "0", "last_name": "1", "action": "continue"},
    )
    assert r.status_code == 200
    assert "tick the box" in r.content.decode()
    r = client.post(
        url(issuer, "earners/columns"),
        {
            "email": "2",
            "first_name": "0",
            "last_name": "1",
            "action": "continue",
            "skip_invalid": "1",
        },
    )
    assert r.status_code == 302
    review = walk_to_review(client, issuer, template)
    assert review.context["numbers"]["badges"] == 150
    assert review.context["numbers"]["queued"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url(issuer, "confirm"))
    assert done.status_code == 302
    batch = AssignmentBatch.objects.exclude(total=1).get()
    assert batch.status == BatchStatus.DONE
    assert batch.issued == 150
    # the batch page says what is true now: done, with the rows left out
    html = client.get(done["Location"]).content.decode()
    assert "has started" not in html
    assert "150 badges were issued." in html
    assert "3 rows of the file were left out." in html
    assert "You can leave this page" not in html
    assert batch.narrative == "Built a **CLI**"
    earner_badge = Assertion.objects.get(recipient_email="p7@example.it")
    assert earner_badge.earner.metadata == {"Matricola": "S-7"}
    report = client.get(f"/issuers/{issuer.entity_id}/batches/{batch.entity_id}/report.csv")
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert lines[0][:5] == ["row", "email", "first_name", "last_name", "result"]
    # every row of the file, numbered as the file numbers them (the header is row 1)
    assert len(lines) == 154
    assert lines[1][:5] == ["2", "p0@example.it", "Nome0", "Cognome0", "issued"]
    assert lines[151][:5] == ["152", "not-an-email", "", "", "rejected"]
    assert lines[151][8] == '"not-an-email" is not a valid email.'
    assert [line[0] for line in lines[152:]] == ["153", "154"]


def test_bad_files_come_back_to_the_form_with_a_message_never_a_500(client, issuer):
    cases = [
        (SimpleUploadedFile("e.csv", b"", "text/csv"), "file is empty."),
        (SimpleUploadedFile("w.csv", b" \n\n", "text/csv"), "The file is empty."),
        (SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"), "PNG"),
        (SimpleUploadedFile("b.bin", bytes(range(256)) * 10, "application/octet-stream"), "binary"),
    ]
    for upload, message in cases:
        r = client.post(url(issuer, "earners"), {"mode": "bulk", "file": upload})
        assert r.status_code == 200
        assert message in r.content.decode()
    r = client.post(url(issuer, "earners"), {"mode": "bulk"})
    assert "Choose a file or paste rows." in r.content.decode()
    r = client.post(url(issuer, "earners"), {"mode": "single", "email": "nope"})
    assert r.status_code == 200
    assert "required" in r.content.decode()


def test_a_50_mb_upload_is_refused_with_a_message(client, issuer, settings):
    big = SimpleUploadedFile("big.csv", b"email\n" + b"a" * (50 * 1024 * 1024), "text/csv")
    r = client.post(url(issuer, "earners"), {"mode": "bulk", "file": big})
    assert r.status_code == 200
    assert "the limit is 10.0 MB" in r.content.decode()


def test_not_enough_credits_shows_the_numbers_and_a_link_to_ask_and_issues_nothing(
    client, issuer, template
):
    Issuer.objects.filter(pk=issuer.pk).update(credit_balance=2)
    pasted = "first_name,last_name,email\n" + "".join(
        f"A{i},B{i},c{i}@example.org\n" for i in range(3)
    )
    client.post(url(issuer, "earners"), {"mode": "bulk", "pasted": pasted})
    client.post(
        url(issuer, "earners/columns"),
        {"email": "2", "first_name": "0", "last_name": "1", "action": "continue"},
    )
    review = walk_to_review(client, issuer, template)
    html = review.content.decode()
    assert "Not enough credits" in html
    assert "needs 3 credits" in html
    assert "has 2" in html
    # an owner is linked to asking the operators for credits (operators get the top-up)
    assert f"/issuers/{issuer.entity_id}/credits/" in html
    r = client.post(url(issuer, "confirm"))
    assert r.status_code == 302
    assert not Assertion.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert Issuer.objects.get(pk=issuer.pk).credit_balance == 2


def test_the_wizard_sends_you_back_to_the_first_step_not_done(client, issuer):
    r = client.get(url(issuer, "review"))
    assert r["Location"] == url(issuer, "earners")


def test_an_explicit_expiry_and_no_email(
    client, issuer, template, django_capture_on_commit_callbacks
):
    client.post(
        url(issuer, "earners"),
        {"mode": "single", "first_name": "Ada", "last_name": "L", "email": "ada@example.org"},
    )
    review = walk_to_review(
        client, issuer, template, notify=False, validity="explicit", expires_on="2040-06-30"
    )
    assert review.context["numbers"]["credits"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(issuer, "confirm"))
    badge = Assertion.objects.get()
    assert badge.expires_at.isoformat() == "2040-06-30T21:59:59+00:00"
    assert not mail.outbox
    assert Issuer.objects.get(pk=issuer.pk).credit_balance == 500


def test_the_narrative_preview_is_sanitised(client, issuer, template):
    client.post(
        url(issuer, "earners"),
        {"mode": "single", "first_name": "Ada", "last_name": "L", "email": "ada@example.org"},
    )
    client.post(url(issuer, "context"), {"activity_title": "x"})
    client.post(url(issuer, "template"), {"template": template.entity_id})
    client.post(url(issuer, "validity"), {"validity": "none"})
    r = client.post(
        url(issuer, "notes"),
        {
            "narrative": "**bold** <script>alert(1)</script> [x](javascript:alert(1))",
            "action": "preview",
        },
    )
    preview = str(r.context["preview"])
    assert "<strong>bold</strong>" in preview
    assert "<script" not in preview
    assert 'href="javascript' not in preview


def test_the_report_neutralises_formula_cells(
    client, issuer, template, django_capture_on_commit_callbacks
):
    client.post(
        url(issuer, "earners"),
        {
            "mode": "single",
            "first_name": '=HYPERLINK("http://evil.example","click")',
            "last_name": "+1",
            "email": "f@example.org",
        },
    )
    walk_to_review(client, issuer, template)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(issuer, "confirm"))
    batch = AssignmentBatch.objects.get()
    report = client.get(f"/issuers/{issuer.entity_id}/batches/{batch.entity_id}/report.csv")
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[2] == '\'=HYPERLINK("http://evil.example","click")'
    assert row[3] == "'+1"


def test_the_earner_follows_the_set_password_link_and_lands_on_their_badges(
    client, issuer, template, django_capture_on_commit_callbacks
):
    client.post(
        url(issuer, "earners"),
        {"mode": "single", "first_name": "Ada", "last_name": "L", "email": "new@example.org"},
    )
    walk_to_review(client, issuer, template)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(issuer, "confirm"))
    client.logout()
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/set-password/" in w)
    form_page = client.get(link.split("127.0.0.1:8000", 1)[1], follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-Good-passw0rd", "new_password2": "a-Good-passw0rd"},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/me/badges"
    html = done.content.decode()
    assert "Your password is set" in html
    assert "Python Fundamentals" in html


def test_the_admin_links_to_the_dashboard_and_the_wizard(client, staff, template):
    issuer = staff.issuer
    change = client.get(f"/admin/issuers/issuer/{issuer.pk}/change/").content.decode()
    assert f"/issuers/{issuer.entity_id}/assign/" in change
    assert f'href="/issuers/{issuer.entity_id}/"' in change
    listing = client.get("/admin/templates_app/badgetemplate/").content.decode()
    assert f"/issuers/{issuer.entity_id}/assign/?template={template.entity_id}" in listing


def test_earners_who_hold_the_badge_are_left_out_once_it_is_chosen(client, issuer, template):
    AssertionFactory(template=template, recipient_email="holder@example.org")
    pasted = "first_name,last_name,email\nA,B,holder@example.org\nC,D,fresh@example.org\n"
    client.post(url(issuer, "earners"), {"mode": "bulk", "pasted": pasted})
    columns = client.get(url(issuer, "earners/columns"))
    assert columns.context["valid_count"] == 2  # no badge chosen yet
    client.post(
        url(issuer, "earners/columns"),
        {"email": "2", "first_name": "0", "last_name": "1", "action": "continue"},
    )
    review = walk_to_review(client, issuer, template)
    assert review.context["numbers"]["badges"] == 1
    assert [p["row"] for p in review.context["problems"]] == [2]
    assert "holder@example.org already holds this badge." in review.content.decode()


def test_an_xlsx_with_other_headers_goes_through_and_its_formula_text_is_neutralised(
    client, issuer, template, django_capture_on_commit_callbacks
):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Cognome", "Nome", "E-mail", "Note"])
    sheet.append(['=HYPERLINK("http://x.example","x")', "Anna", "anna@example.it", "@SUM(1)"])
    sheet.append(["Verdi", "Luca", "luca@example.it", ""])
    sheet["A2"].data_type = "s"  # text that looks like a formula, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("iscritti.xlsx", buffer.getvalue(), "application/octet-stream")
    r = client.post(url(issuer, "earners"), {"mode": "bulk", "file": upload})
    page = client.get(r["Location"])
    assert page.context["table"].source == "XLSX, first sheet"
    assert page.context["valid_count"] == 2
    client.post(
        url(issuer, "earners/columns"),
        {"email": "2", "first_name": "1", "last_name": "0", "action": "continue"},
    )
    walk_to_review(client, issuer, template)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(issuer, "confirm"))
    batch = AssignmentBatch.objects.get()
    assert Assertion.objects.get(recipient_email="anna@example.it").earner.metadata == {
        "Note": "@SUM(1)"
    }
    report = client.get(f"/issuers/{issuer.entity_id}/batches/{batch.entity_id}/report.csv")
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert rows[1][3] == '\'=HYPERLINK("http://x.example","x")'


def test_a_second_confirmation_of_the_same_draft_at_once_issues_nothing(client, issuer, template):
    from django.core.cache import cache

    client.post(
        url(issuer, "earners"),
        {"mode": "single", "first_name": "Ada", "last_name": "L", "email": "ada@example.org"},
    )
    walk_to_review(client, issuer, template)
    token = WizardDraft.objects.get(entity_id=client.session[f"assign:{issuer.entity_id}"]).data[
        "token"
    ]
    # another request with this draft is issuing it right now
    cache.add(f"assign-confirm:{issuer.entity_id}:{token}", True)
    r = client.post(url(issuer, "confirm"), follow=True)
    assert "already being issued" in r.content.decode()
    assert not Assertion.objects.exists()


def test_pasting_more_than_a_request_may_carry_is_told_on_a_page(client, issuer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5000
    pasted = "email\n" + "".join(f"p{i}@example.org\n" for i in range(1000))
    r = client.post(
        url(issuer, "earners"),
        {"mode": "bulk", "pasted": pasted},
        HTTP_REFERER=f"http://testserver{url(issuer, 'earners')}",
    )
    assert r.status_code == 413
    html = r.content.decode()
    assert "larger than the 5,000 bytes this server accepts" in html
    assert "upload them as a CSV or Excel file" in html
    assert f'href="http://testserver{url(issuer, "earners")}"' in html


def test_the_review_shows_the_exact_email_with_the_assignments_message(
    client, issuer, template, django_capture_on_commit_callbacks
):
    client.get(f"/issuers/{issuer.entity_id}/assign/?template={template.entity_id}")
    client.post(
        url(issuer, "earners"),
        {"mode": "single", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.org"},
    )
    # a message with an unknown placeholder is refused on the notes step
    walk_to_review(client, issuer, template)
    refused = client.post(
        url(issuer, "notes"),
        {"notify": "on", "email_message": "Hi {{ earner.password }}", "action": "next"},
    )
    assert refused.status_code == 200
    assert "Unknown placeholder" in refused.content.decode()
    client.post(
        url(issuer, "notes"),
        {
            "notify": "on",
            "email_message": "Welcome, **{{ earner.first_name }}**!",
            "action": "next",
        },
    )
    review = client.get(url(issuer, "review"))
    preview = review.context["email_preview"]
    assert "Welcome, **Ada**!" in preview["text"]  # the text part keeps the Markdown
    assert "<strong>Ada</strong>" in preview["html"]
    assert 'data-testid="email-html"' in review.content.decode()
    # and the email sent on confirming is the one previewed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/issuers/{issuer.entity_id}/assign/confirm/")
    (sent,) = mail.outbox
    assert sent.subject == preview["subject"]
    assert "Welcome, **Ada**!" in sent.body


def test_the_review_previews_the_email_of_each_kind_of_earner(client, issuer, template):
    # given a file of three earners: one signs in already, two have no account
    UserFactory(email="member@example.org")
    text = "email,first_name,last_name\nnew1@example.org,Ada,One\n"
    text += "member@example.org,Grace,Two\nnew2@example.org,Alan,Three\n"
    client.get(f"/issuers/{issuer.entity_id}/assign/?template={template.entity_id}")
    r = client.post(url(issuer, "earners"), {"mode": "bulk", "file": csv_upload(text)})
    assert r.status_code == 302
    r = client.post(
        url(issuer, "earners/columns"),
        {"email": "0", "first_name": "1", "last_name": "2", "action": "continue"},
    )
    assert r.status_code == 302
    # when the review is shown
    review = walk_to_review(client, issuer, template)
    # then each kind's email is previewed, for the first earner of that kind, with counts
    previews = review.context["email_previews"]
    assert [(p["preview"]["to"], p["preview"]["kind"]) for p in previews] == [
        ("member@example.org", "badge_awarded"),
        ("new1@example.org", "account_created"),
    ]
    assert previews[0]["caption"] == "1 earner who has an account gets this email."
    assert previews[1]["caption"].startswith("2 earners without an account get this email")
    html = review.content.decode()
    assert html.count('data-testid="email-preview"') == 2
    # and the badge's image and the expiry that will apply, with its value
    assert 'data-testid="review-badge-image"' in html
    assert "never" in review.context["validity_rule"]
    # without emails, no preview
    review = walk_to_review(client, issuer, template, notify=False)
    assert review.context["email_previews"] == []
