"""The wizard's defects of issue 20: field errors under their own fields, all at once;
the report and the batch page numbered as the uploaded file; wording that matches the
batch's state; the review step's badge image and actual expiry."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assertions.models import AssignmentBatch
from assertions.services import batch_assign
from core.exceptions import ApplicationError
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def url(issuer, step):
    return f"/issuers/{issuer.entity_id}/assign/{step}/"


def walk(client, issuer, template, *, notify=True):
    client.post(url(issuer, "context"), {"activity_title": "Spring cohort"})
    client.post(url(issuer, "template"), {"template": template.entity_id})
    client.post(url(issuer, "validity"), {"validity": "default"})
    data = {"notes": "", "narrative": "", "action": "next"}
    if notify:
        data["notify"] = "on"
    client.post(url(issuer, "notes"), data)
    return client.get(url(issuer, "review"))


def test_single_earner_errors_are_each_under_their_own_field_all_at_once(client, issuer):
    # given a first name only, and a bad email
    r = client.post(
        url(issuer, "earners"), {"mode": "single", "first_name": "Ada", "email": "not-an-email"}
    )
    # then the last name and the email are both reported, each on its field
    assert r.status_code == 200
    form = r.context["form"]
    assert set(form.errors) == {"last_name", "email"}
    assert "valid email" in form.errors["email"][0]
    assert not form.non_field_errors()
    html = r.content.decode()
    # each error list sits inside its field's box, right after its input
    last = html.index('id="id_last_name-error"')
    assert html.index('id="id_last_name"') < last < html.index('id="id_email"')
    assert "The last name is required." in html[last : html.index('id="id_email"')]


def test_an_invalid_email_is_reported_with_both_names_missing(client, issuer):
    r = client.post(url(issuer, "earners"), {"mode": "single", "email": "nope@"})
    assert set(r.context["form"].errors) == {"first_name", "last_name", "email"}


def test_the_batch_page_and_report_number_rows_as_the_file_with_rejected_rows(
    client, issuer, template, django_capture_on_commit_callbacks
):
    # given a file whose 13th row is the 11th valid earner, with two bad rows before it
    rows = [f"N{i},S{i},p{i}@example.org" for i in range(12)]
    rows[3] = "Bad,Row,not-an-email"
    rows[6] = "No,Email,"
    text = "first_name,last_name,email\n" + "\n".join(rows) + "\n"
    client.post(
        url(issuer, "earners"),
        {"mode": "bulk", "file": SimpleUploadedFile("e.csv", text.encode(), "text/csv")},
    )
    client.post(
        url(issuer, "earners/columns"),
        {
            "email": "2",
            "first_name": "0",
            "last_name": "1",
            "action": "continue",
            "skip_invalid": "1",
        },
    )
    walk(client, issuer, template)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url(issuer, "confirm"))
    batch = AssignmentBatch.objects.get()
    assert batch.issued == 10
    # when the report is downloaded
    report = client.get(f"/issuers/{issuer.entity_id}/batches/{batch.entity_id}/report.csv")
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    # then every row of the file is there, with the file's numbers and the reasons
    assert [(line[0], line[4]) for line in lines[1:]] == [
        (str(n), "rejected" if n in (5, 8) else "issued") for n in range(2, 14)
    ]
    assert lines[-1][:2] == ["13", "p11@example.org"]
    assert "not a valid email" in lines[4][8]
    # and the batch page shows the same rows, numbered the same
    page = client.get(done["Location"])
    table = [(line["row"], line["result"]) for line in page.context["rows"]]
    assert table == [(n, "rejected" if n in (5, 8) else "issued") for n in range(2, 14)]
    html = page.content.decode()
    assert 'data-testid="batch-rows"' in html
    assert "10 badges were issued." in html
    assert "2 rows of the file were left out." in html


def test_one_badge_is_singular_and_no_email_says_so_instead_of_sent_0_of_0(
    client, issuer, template, django_capture_on_commit_callbacks
):
    result = batch_assign(
        template=template,
        rows=[{"email": "ada@example.org", "first_name": "Ada", "last_name": "L"}],
        actor=issuer.memberships.get().user,
        notify=False,
    )
    html = client.get(
        f"/issuers/{issuer.entity_id}/batches/{result.batch.entity_id}/"
    ).content.decode()
    assert "1 badge was issued." in html
    assert "badges were issued" not in html
    assert "1 earner ·" in html
    assert "sent <strong" not in html
    assert "without emailing the earners" in html
    assert "You can leave this page" not in html


def test_a_queued_batch_says_it_waits_and_that_you_may_leave(client, issuer, template):
    rows = [{"email": f"p{i}@example.org", "first_name": "A", "last_name": "B"} for i in range(101)]
    actor = issuer.memberships.get().user
    result = batch_assign(template=template, rows=rows, actor=actor, notify=True)
    assert result.queued
    html = client.get(
        f"/issuers/{issuer.entity_id}/batches/{result.batch.entity_id}/"
    ).content.decode()
    assert "Waiting to start: 101 badges to issue." in html
    assert "You can leave this page" in html
    assert "Download the report" not in html
    assert "badges were issued" not in html


def test_the_review_shows_the_badge_image_and_the_default_expiry_as_a_date(client, issuer):
    template = BadgeTemplateFactory(
        issuer=issuer, name="Two years", validity_amount=2, validity_unit="years"
    )
    client.post(
        url(issuer, "earners"),
        {"mode": "single", "first_name": "Ada", "last_name": "L", "email": "ada@example.org"},
    )
    review = walk(client, issuer, template)
    html = review.content.decode()
    assert 'data-testid="review-badge-image"' in html
    expiry = review.context["expiry"]
    assert expiry is not None
    assert f"{expiry.astimezone(ZoneInfo(issuer.timezone)):%Y %H:%M} ({issuer.timezone})" in html
    assert "2 years after issue" in html
    assert "the template's default</dd>" not in html


def test_batch_assign_refuses_numbers_that_do_not_match_the_rows(issuer, template):
    actor = issuer.memberships.get().user
    row = {"email": "ada@example.org", "first_name": "Ada", "last_name": "L"}
    for source_rows, rejected in (([2, 3], None), ([0], None), ([2], [{"row": "x"}])):
        with pytest.raises(ApplicationError) as caught:
            batch_assign(
                template=template,
                rows=[row],
                actor=actor,
                source_rows=source_rows,
                rejected=rejected,
            )
        assert caught.value.field_errors
    assert not AssignmentBatch.objects.exists()
