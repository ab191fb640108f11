"""The issuer's badges on the staff pages (issue 20): list, search, filters, keyset
pages, export, the badge's page and its actions through the services."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from assertions.models import Assertion, AssertionStatus, EventKind
from assertions.services import assertion_revoke, batch_assign
from assertions.tests.factories import AssertionFactory
from core.models import OutboundEmail, new_entity_id
from issuers.models import Role
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def badges_url(issuer, suffix=""):
    return f"/issuers/{issuer.entity_id}/badges/{suffix}"


def listed(response) -> list[str]:
    return [badge.recipient_email for badge in response.context["badges"]]


def clone(badge: Assertion, count: int, **fields) -> None:
    """`count` copies of a badge, inserted at once (a factory per row would take minutes
    at 10,000)."""
    original = Assertion.objects.get(pk=badge.pk)
    copies = []
    for i in range(count):
        copy = Assertion(
            **{f.attname: getattr(original, f.attname) for f in Assertion._meta.concrete_fields}
        )
        copy.pk = None
        copy.entity_id = new_entity_id()
        copy.recipient_email = f"copy{i}@example.org"
        for name, value in fields.items():
            setattr(copy, name, value)
        copies.append(copy)
    Assertion.objects.bulk_create(copies, batch_size=2000)


def test_the_list_searches_by_email_start_and_by_name_in_any_case(client, issuer, template):
    AssertionFactory(
        template=template,
        recipient_email="ada@example.org",
        recipient_first_name="Ada",
        recipient_last_name="Lovelace",
    )
    AssertionFactory(
        template=template,
        recipient_email="grace@example.org",
        recipient_first_name="Grace",
        recipient_last_name="Hopper",
    )
    AssertionFactory(template=BadgeTemplateFactory(), recipient_email="ada@other.org")
    assert listed(client.get(badges_url(issuer), {"q": "ADA@EX"})) == ["ada@example.org"]
    assert listed(client.get(badges_url(issuer), {"q": "hop"})) == ["grace@example.org"]
    assert listed(client.get(badges_url(issuer), {"q": "ada love"})) == ["ada@example.org"]
    assert listed(client.get(badges_url(issuer), {"q": "lovelace grace"})) == []
    # another issuer's badge never shows
    assert sorted(listed(client.get(badges_url(issuer)))) == [
        "ada@example.org",
        "grace@example.org",
    ]


def test_the_filters_template_status_batch_dates_and_origin(client, issuer, template):
    other = BadgeTemplateFactory(issuer=issuer, name="Other")
    actor = issuer.memberships.get().user
    batch = batch_assign(
        template=other,
        rows=[{"email": "in-batch@example.org", "first_name": "In", "last_name": "Batch"}],
        actor=actor,
        notify=False,
    ).batch
    old = AssertionFactory(template=template, recipient_email="old@example.org")
    Assertion.objects.filter(pk=old.pk).update(
        emitted_at=dt.datetime(2020, 1, 15, 23, 30, tzinfo=dt.UTC)  # the 16th in Rome
    )
    revoked = AssertionFactory(template=template, recipient_email="revoked@example.org")
    assertion_revoke(assertion=revoked, actor=actor, reason="Mistake")
    Assertion.objects.filter(pk=revoked.pk).update(imported=True)

    def get(**params):
        return sorted(listed(client.get(badges_url(issuer), params)))

    assert get(template=other.entity_id) == ["in-batch@example.org"]
    assert get(status="revoked") == ["revoked@example.org"]
    assert get(status="valid") == ["in-batch@example.org", "old@example.org"]
    assert get(batch=batch.entity_id) == ["in-batch@example.org"]
    assert get(imported="1") == ["revoked@example.org"]
    # days are the issuer's (Europe/Rome): 23:30 UTC on the 15th is the 16th there
    assert get(issued_from="2020-01-16", issued_to="2020-01-16") == ["old@example.org"]
    assert get(issued_to="2020-01-15") == []
    # a filter that is not one of the issuer's is refused on the form, never a 500
    response = client.get(badges_url(issuer), {"template": "not-a-template"})
    assert response.status_code == 200
    assert "template" in response.context["form"].errors
    response = client.get(
        badges_url(issuer), {"issued_from": "2020-02-01", "issued_to": "2020-01-01"}
    )
    assert "issued_to" in response.context["form"].errors


def test_keyset_pages_walk_every_badge_once_even_with_equal_issue_times(client, issuer, template):
    first = AssertionFactory(template=template, recipient_email="first@example.org")
    clone(first, 120, emitted_at=first.emitted_at)  # ties: the pk decides
    seen = []
    url = badges_url(issuer)
    params = {}
    for _page in range(10):
        response = client.get(url, params)
        seen += listed(response)
        if not response.context["next_url"]:
            break
        params = QueryDict(response.context["next_url"].lstrip("?"))
    assert len(seen) == 121
    assert len(set(seen)) == 121
    # a cursor that is not ours starts from the first page
    assert listed(client.get(url, {"after": "forged"}))[:1] == seen[:1]


def test_the_list_and_search_take_the_same_queries_for_10_and_10000_badges(
    client, issuer, template
):
    badge = AssertionFactory(template=template, recipient_email="seed@example.org")
    clone(badge, 9)

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(badges_url(issuer), params).status_code == 200
        return len(queries)

    cases = [{}, {"q": "copy1"}, {"status": "valid", "template": template.entity_id}]
    small = [count(params) for params in cases]
    clone(badge, 9_990)
    assert [count(params) for params in cases] == small


def test_the_badge_page_shows_its_history_and_emails(client, issuer, template):
    badge = AssertionFactory(template=template, recipient_email="ada@example.org", notify=True)
    response = client.get(badges_url(issuer, f"{badge.entity_id}/"))
    assert response.status_code == 200
    kinds = [event.kind for event in response.context["events"]]
    assert EventKind.ISSUED in kinds
    assert [email.to_email for email in response.context["emails"]] == ["ada@example.org"]
    html = response.content.decode()
    assert "(Europe/Rome)" in html
    assert 'data-testid="badge-actions"' in html
    # another issuer's badge is not found through this issuer
    theirs = AssertionFactory(template=BadgeTemplateFactory())
    assert client.get(badges_url(issuer, f"{theirs.entity_id}/")).status_code == 404
    assert client.get(badges_url(IssuerFactory(), f"{badge.entity_id}/")).status_code == 404


def test_revoking_needs_a_reason_and_goes_through_the_service(client, issuer, template):
    badge = AssertionFactory(template=template)
    url = badges_url(issuer, f"{badge.entity_id}/revoke/")
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.context["revoke_form"].errors
    assert Assertion.objects.get(pk=badge.pk).status == AssertionStatus.VALID
    response = client.post(url, {"reason": "Awarded by mistake"})
    assert response.status_code == 302
    badge.refresh_from_db()
    assert (badge.status, badge.revoked_reason) == (AssertionStatus.REVOKED, "Awarded by mistake")
    assert badge.events.filter(kind=EventKind.REVOKED).exists()
    page = client.get(response["Location"]).content.decode()
    assert "The badge is revoked." in page
    assert 'data-testid="badge-actions"' not in page


@pytest.mark.parametrize("notify", [True, False])
def test_the_staff_revocation_emails_the_earner_unless_told_not_to(
    client, issuer, template, notify
):
    # Given a badge, when staff revoke it from its page with or without the email box
    badge = AssertionFactory(template=template)
    form = {"reason": "Awarded by mistake", **({"notify": "on"} if notify else {})}
    response = client.post(badges_url(issuer, f"{badge.entity_id}/revoke/"), form)
    # then it is revoked, and the earner is told by email only when the box was ticked
    assert response.status_code == 302
    emails = OutboundEmail.objects.filter(assertion=badge, kind="badge_revoked")
    assert emails.count() == (1 if notify else 0)
    assert Assertion.objects.get(pk=badge.pk).status == AssertionStatus.REVOKED


def test_correcting_the_name_keeps_the_badge(client, issuer, template):
    badge = AssertionFactory(
        template=template, recipient_first_name="Ada", recipient_last_name="Lovelac"
    )
    response = client.post(
        badges_url(issuer, f"{badge.entity_id}/name/"),
        {"recipient_first_name": "Ada", "recipient_last_name": "Lovelace"},
    )
    assert response.status_code == 302
    badge.refresh_from_db()
    assert badge.recipient_name == "Ada Lovelace"
    assert Assertion.objects.count() == 1
    event = badge.events.get(kind=EventKind.UPDATED)
    assert event.payload["changes"]["recipient_last_name"] == ["Lovelac", "Lovelace"]
    response = client.post(
        badges_url(issuer, f"{badge.entity_id}/name/"), {"recipient_first_name": ""}
    )
    assert response.status_code == 400


def test_setting_the_expiry_is_through_that_day_in_the_issuers_zone(client, issuer, template):
    badge = AssertionFactory(template=template)
    url = badges_url(issuer, f"{badge.entity_id}/expiry/")
    assert client.post(url, {"validity": "date", "expires_on": "2040-06-30"}).status_code == 302
    badge.refresh_from_db()
    assert badge.expires_at == dt.datetime(2040, 6, 30, 21, 59, 59, tzinfo=dt.UTC)
    assert client.post(url, {"validity": "never"}).status_code == 302
    badge.refresh_from_db()
    assert badge.expires_at is None
    # a day before the issue is the service's refusal, shown on the field
    response = client.post(url, {"validity": "date", "expires_on": "2001-01-01"})
    assert response.status_code == 400
    assert response.context["expiry_form"].errors["expires_on"]
    assert client.post(url, {"validity": "date"}).status_code == 400


def test_resending_queues_a_copy_and_a_badge_never_emailed_says_so(client, issuer, template):
    emailed = AssertionFactory(template=template, notify=True)
    before = OutboundEmail.objects.filter(assertion=emailed).count()
    response = client.post(badges_url(issuer, f"{emailed.entity_id}/resend/"))
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(assertion=emailed).count() == before + 1
    silent = AssertionFactory(template=template, notify=False)
    response = client.post(badges_url(issuer, f"{silent.entity_id}/resend/"), follow=True)
    assert "issued without an email" in response.content.decode()


def test_a_member_below_staff_cannot_change_and_an_outsider_sees_nothing(client, template):
    issuer = template.issuer
    badge = AssertionFactory(template=template)
    outsider = MembershipFactory(role=Role.OWNER).user
    client.force_login(outsider)
    assert client.get(badges_url(issuer)).status_code == 404
    assert (
        client.post(badges_url(issuer, f"{badge.entity_id}/revoke/"), {"reason": "x"}).status_code
        == 404
    )
    assert Assertion.objects.get(pk=badge.pk).status == AssertionStatus.VALID


def test_the_export_is_the_filtered_list_streamed_as_csv(client, issuer, template):
    AssertionFactory(template=template, recipient_email="ada@example.org")
    AssertionFactory(template=template, recipient_email="grace@example.org")
    response = client.get(badges_url(issuer, "export.csv"), {"q": "grace@"})
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["recipient_email"] for row in rows] == ["grace@example.org"]
    # the list links to the export of what it shows
    page = client.get(badges_url(issuer), {"q": "grace@"})
    assert page.context["export_url"].endswith("export.csv?q=grace%40")


def test_revoking_and_resending_a_selection_through_the_services(client, issuer, template):
    ada = AssertionFactory(template=template, recipient_email="ada@example.org", notify=True)
    grace = AssertionFactory(template=template, recipient_email="grace@example.org")
    theirs = AssertionFactory(template=BadgeTemplateFactory())
    url = badges_url(issuer, "selection/")
    back = badges_url(issuer) + "?q=ada"
    # revoking needs a reason: nothing changes without one
    response = client.post(url, {"badge": [ada.entity_id], "action": "revoke", "back": back})
    assert response["Location"] == back
    assert Assertion.objects.get(pk=ada.pk).status == AssertionStatus.VALID
    # resending: the badge with an email gets it again, the one without is named
    before = OutboundEmail.objects.count()
    response = client.post(
        url, {"badge": [ada.entity_id, grace.entity_id], "action": "resend"}, follow=True
    )
    assert OutboundEmail.objects.count() == before + 1
    html = response.content.decode()
    assert "1 email is on its way again." in html
    assert "grace@example.org: This badge was issued without an email" in html
    # revoking two of ours; another issuer's badge ticked through our page is left alone
    response = client.post(
        url,
        {
            "badge": [ada.entity_id, grace.entity_id, theirs.entity_id],
            "action": "revoke",
            "reason": "Course cancelled",
            "back": "https://elsewhere.example/",
        },
    )
    assert response["Location"] == badges_url(issuer)  # never off the list
    statuses = dict(Assertion.objects.values_list("recipient_email", "status"))
    assert statuses["ada@example.org"] == statuses["grace@example.org"] == "revoked"
    assert Assertion.objects.get(pk=theirs.pk).status == AssertionStatus.VALID
    assert Assertion.objects.get(pk=ada.pk).revoked_reason == "Course cancelled"


@pytest.mark.parametrize("notify", [True, False])
def test_revoking_a_selection_emails_the_earners_unless_told_not_to(
    client, issuer, template, notify
):
    # Given two badges ticked on the list, when staff revoke them with or without the box
    badges = [AssertionFactory(template=template) for _n in range(2)]
    form = {
        "badge": [badge.entity_id for badge in badges],
        "action": "revoke",
        "reason": "Course cancelled",
        **({"notify": "on"} if notify else {}),
    }
    client.post(badges_url(issuer, "selection/"), form)
    # then both are revoked, and their earners are emailed only when the box was ticked
    assert {b.status for b in Assertion.objects.filter(pk__in=[b.pk for b in badges])} == {
        AssertionStatus.REVOKED
    }
    sent = OutboundEmail.objects.filter(assertion__in=badges, kind="badge_revoked").count()
    assert sent == (2 if notify else 0)


def test_the_xlsx_export_is_the_filtered_list_in_the_issuers_zone(client, issuer, template):
    # given two badges, one issued at a known moment
    ada = AssertionFactory(template=template, recipient_email="ada@example.org")
    AssertionFactory(template=template, recipient_email="=cmd@example.org")
    Assertion.objects.filter(pk=ada.pk).update(
        emitted_at=dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
    )
    # when the list filtered by "ada@" is exported as XLSX
    response = client.get(badges_url(issuer, "export.xlsx"), {"q": "ada@"})
    # then it is streamed, and holds that one badge with its time in Rome's summer time
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    assert record["recipient_email"] == "ada@example.org"
    assert record["emitted_at"] == "2026-07-01 10:30:00"
    # a cell that a spreadsheet would run as a formula is made text
    everything = client.get(badges_url(issuer, "export.xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(everything.streaming_content))).active
    emails = [row[header.index("recipient_email")] for row in sheet.iter_rows(values_only=True)]
    assert "'=cmd@example.org" in emails
    # the list links to the export of what it shows
    page = client.get(badges_url(issuer), {"q": "ada@"})
    assert page.context["export_xlsx_url"].endswith("export.xlsx?q=ada%40")
