"""Admin actions: revoke, resend, export, archive; and never on another issuer's rows."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.messages import get_messages

from assertions.api.v1.exports import EXPORT_FIELDS as COLUMNS
from assertions.models import Assertion, AssertionStatus, EventKind
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.api.v1 import absolute_media_url
from core.models import EmailStatus, OutboundEmail
from core.timefmt import format_v1
from credentials.models import IssuerKey
from credentials.services import issuer_key_create
from issuers.models import Role
from templates_app.models import BadgeTemplate
from tests.admin.helpers import admin_url, issuer_world, member

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def two_issuers():
    return issuer_world(name="Issuer A"), issuer_world(name="Issuer B")


def run_action(client, model, action, objects, **extra):
    """Post `action` for `objects` from the changelist, as the action bar does."""
    data = {"action": action, "index": "0", "_selected_action": [o.pk for o in objects]}
    return client.post(admin_url(model, "changelist"), {**data, **extra})


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# -- revoke --------------------------------------------------------------------------


def test_revoking_asks_for_a_reason_first(client, two_issuers):
    # given a staff member of A and A's badge
    a, _ = two_issuers
    client.force_login(member(a.issuer))
    # when they choose "Revoke selected badges"
    response = run_action(client, Assertion, "revoke_selected", [a.assertion])
    # then a confirmation page asks for the reason, and nothing is revoked yet
    assert response.status_code == 200
    assert b'name="reason"' in response.content
    assert a.assertion.recipient_email.encode() in response.content
    a.assertion.refresh_from_db()
    assert a.assertion.status == AssertionStatus.VALID


def test_revoking_with_a_reason_revokes_and_records_it(client, two_issuers):
    # given A's staff member, A's badge, and another of A's badges already revoked
    a, _ = two_issuers
    staff = member(a.issuer)
    earlier = AssertionFactory(template=a.template)
    assertion_revoke(assertion=earlier, reason="Duplicate")
    client.force_login(staff)
    # when they confirm the revocation with a reason
    response = client.post(
        admin_url(Assertion, "changelist"),
        {
            "action": "revoke_selected",
            "_selected_action": [a.assertion.pk, earlier.pk],
            "apply": "yes",
            "reason": "Issued to the wrong person",
        },
    )
    # then the badge is revoked with the reason and an event, and the counts are told
    assert response.status_code == 302
    a.assertion.refresh_from_db()
    assert a.assertion.status == AssertionStatus.REVOKED
    assert a.assertion.revoked_reason == "Issued to the wrong person"
    assert a.assertion.revoked_at is not None
    event = a.assertion.events.get(kind=EventKind.REVOKED)
    assert event.actor == staff
    assert event.payload == {"reason": "Issued to the wrong person"}
    earlier.refresh_from_db()
    assert earlier.revoked_reason == "Duplicate"
    assert messages_of(response) == ["Revoked 1 badge(s).", "1 were already revoked."]


def test_revoking_without_a_reason_revokes_nothing(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer))
    response = client.post(
        admin_url(Assertion, "changelist"),
        {
            "action": "revoke_selected",
            "_selected_action": [a.assertion.pk],
            "apply": "yes",
            "reason": "  ",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    a.assertion.refresh_from_db()
    assert a.assertion.status == AssertionStatus.VALID


# -- resend --------------------------------------------------------------------------


def test_resend_queues_a_new_pending_copy_of_the_latest_email(
    client, two_issuers, django_capture_on_commit_callbacks
):
    # given A's badge, whose award email was sent
    a, _ = two_issuers
    first = a.assertion.emails.get()
    OutboundEmail.objects.filter(pk=first.pk).update(status=EmailStatus.SENT)
    client.force_login(member(a.issuer))
    # when a staff member resends it
    with django_capture_on_commit_callbacks() as callbacks:
        response = run_action(client, Assertion, "resend_email", [a.assertion])
    # then a new pending row is queued, with its send task enqueued on commit
    assert response.status_code == 302
    copy = a.assertion.emails.exclude(pk=first.pk).get()
    assert copy.status == EmailStatus.PENDING
    assert (copy.kind, copy.to_email, copy.subject, copy.context) == (
        first.kind,
        first.to_email,
        first.subject,
        first.context,
    )
    assert len(callbacks) == 1
    assert messages_of(response) == ["Queued 1 email(s) to be sent again."]


def test_resend_skips_revoked_badges_and_badges_without_email(client, two_issuers):
    a, _ = two_issuers
    quiet = AssertionFactory(template=a.template)  # notify=False: never emailed
    assertion_revoke(assertion=a.assertion, reason="Wrong person")
    before = a.assertion.emails.count()  # the award's and the revocation's
    client.force_login(member(a.issuer))
    response = run_action(client, Assertion, "resend_email", [a.assertion, quiet])
    assert response.status_code == 302
    assert a.assertion.emails.count() == before
    assert not quiet.emails.exists()
    assert "Queued 0 email(s) to be sent again." in messages_of(response)


def test_resend_from_the_outbox(client, two_issuers):
    a, _ = two_issuers
    email = a.assertion.emails.get()
    client.force_login(member(a.issuer))
    response = run_action(client, OutboundEmail, "resend", [email])
    assert response.status_code == 302
    assert a.assertion.emails.filter(status=EmailStatus.PENDING).count() == 2


# -- export --------------------------------------------------------------------------


@pytest.fixture
def tricky_badge(two_issuers):
    """A's badge whose texts a spreadsheet would run as formulas."""
    a, _ = two_issuers
    badge = AssertionFactory(
        template=a.template,
        recipient_email="ada@example.org",
        recipient_first_name='=HYPERLINK("http://evil.example")',
        recipient_last_name="+Lovelace",
        activity_title="-2+3",
        notes="@SUM(A1:A9)",
        issued_on=dt.datetime(2024, 5, 1, 7, 30, tzinfo=UTC),
        expires_at=dt.datetime(2026, 5, 1, 7, 30, tzinfo=UTC),
        activity_started_at=dt.datetime(2024, 4, 1, 8, 0, tzinfo=UTC),
    )
    badge, _ = assertion_revoke(assertion=badge, reason="=cmd|' /C calc'!A0")
    # One entity id in 64 starts with "-": the rule holds for every cell, ids included.
    Assertion.objects.filter(pk=badge.pk).update(entity_id="-" + badge.entity_id[1:])
    badge.refresh_from_db()
    return badge


def expected_row(badge) -> dict:
    """The Open Badge API's badge object, as /api/v1 exports it, every formula defused."""
    version = badge.badge_template_version
    image = absolute_media_url(version.image)
    utc = "%Y-%m-%d %H:%M:%S"
    return {
        "id": "'" + badge.entity_id,
        "imported": "0",
        "status": "revoked",
        "image_path": image,
        "image_high_path": absolute_media_url(version.image_high or version.image),
        "image_thumbnail_path": absolute_media_url(version.image_thumbnail or version.image),
        "badge_template_version": version.entity_id,
        "organization_id": badge.organization.entity_id,
        "activity_title": "'-2+3",
        "activity_started_at": "2024-04-01 10:00:00",  # Europe/Rome, summer time
        "activity_ended_at": "",
        "recipient_email": "ada@example.org",
        "recipient_first_name": '\'=HYPERLINK("http://evil.example")',
        "recipient_last_name": "'+Lovelace",
        "notes": "'@SUM(A1:A9)",
        "additional_details": "",
        "url": badge.url,
        "emitted_at": "2024-05-01 09:30:00",
        "expires_at": "2026-05-01 09:30:00",
        "created_at": badge.created_at.astimezone(UTC).strftime(utc),
        "updated_at": format_v1(badge.updated_at, badge.organization.timezone),
        "revoked_at": badge.revoked_at.astimezone(UTC).strftime(utc),
        "revoked_reason": "'=cmd|' /C calc'!A0",
        "imp_legacy_id": "",
        "acceptance": "Unaccepted",
    }


def test_export_csv_streams_the_badge_fields_with_formulas_neutralised(
    client, two_issuers, tricky_badge
):
    # given A's staff member and A's badge with formula-like texts
    a, _ = two_issuers
    client.force_login(member(a.issuer))
    # when they export it as CSV
    response = run_action(client, Assertion, "export_csv", [tricky_badge])
    # then a streamed CSV has the Open Badge API fields, and no cell starts a formula
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="badges-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == COLUMNS
    assert [dict(zip(header, row, strict=True)) for row in rows] == [expected_row(tricky_badge)]


def test_export_xlsx_has_the_same_cells_as_text_not_formulas(client, two_issuers, tricky_badge):
    a, _ = two_issuers
    client.force_login(member(a.issuer))
    response = run_action(client, Assertion, "export_xlsx", [tricky_badge])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Badges"]
    header, row = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert tuple(header) == COLUMNS
    expected = {k: v or None for k, v in expected_row(tricky_badge).items()}
    expected["imported"] = 0
    assert dict(zip(header, row, strict=True)) == expected
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)


def test_export_all_of_a_filtered_changelist(client, two_issuers):
    # given two of A's badges and one of B's
    a, b = two_issuers
    other = AssertionFactory(template=a.template)
    client.force_login(member(a.issuer))
    # when "select all" is used on A's changelist
    response = client.post(
        admin_url(Assertion, "changelist"),
        {
            "action": "export_csv",
            "index": "0",
            "select_across": "1",
            "_selected_action": [other.pk],
        },
    )
    # then every badge A's member may see is exported, and none of B's
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    ids = {row["id"] for row in csv.DictReader(io.StringIO(text))}
    assert ids == {a.assertion.entity_id, other.entity_id}


# -- templates -----------------------------------------------------------------------


def test_an_editor_archives_templates(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.EDITOR))
    response = run_action(client, BadgeTemplate, "archive_selected", [a.template])
    assert response.status_code == 302
    a.template.refresh_from_db()
    assert a.template.archived
    response = run_action(client, BadgeTemplate, "unarchive_selected", [a.template])
    a.template.refresh_from_db()
    assert not a.template.archived


def test_a_staff_member_is_not_offered_archiving(client, two_issuers):
    a, _ = two_issuers
    client.force_login(member(a.issuer, Role.STAFF))
    page = client.get(admin_url(BadgeTemplate, "changelist"))
    assert b"archive_selected" not in page.content
    run_action(client, BadgeTemplate, "archive_selected", [a.template])
    a.template.refresh_from_db()
    assert not a.template.archived


# -- another issuer's rows -----------------------------------------------------------


def test_actions_posted_with_another_issuers_ids_touch_nothing(client, two_issuers):
    # given A's editor, and B's badge, email and template
    a, b = two_issuers
    client.force_login(member(a.issuer, Role.EDITOR))
    b_email = b.assertion.emails.get()
    # when B's ids are posted to every action
    client.post(
        admin_url(Assertion, "changelist"),
        {
            "action": "revoke_selected",
            "_selected_action": [b.assertion.pk],
            "apply": "yes",
            "reason": "Taken over",
        },
    )
    run_action(client, Assertion, "resend_email", [b.assertion])
    run_action(client, OutboundEmail, "resend", [b_email])
    run_action(client, BadgeTemplate, "archive_selected", [b.template])
    csv_export = run_action(client, Assertion, "export_csv", [b.assertion])
    xlsx_export = run_action(client, Assertion, "export_xlsx", [b.assertion])
    # then nothing of B changed, and the exports hold nothing of B
    b.assertion.refresh_from_db()
    assert b.assertion.status == AssertionStatus.VALID
    assert b.assertion.emails.count() == 1
    b.template.refresh_from_db()
    assert not b.template.archived
    text = b"".join(csv_export.streaming_content).decode("utf-8-sig")
    assert b.assertion.entity_id not in text
    assert len(text.strip().splitlines()) == 1  # the header only
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_export.streaming_content)))["Badges"]
    assert sheet.max_row == 1


def test_an_owner_withdraws_a_compromised_key_and_rotates_from_the_admin(client, two_issuers):
    a, b = two_issuers
    key_a, key_b = (issuer_key_create(issuer=w.issuer) for w in (a, b))
    # staff of A see A's keys, and have no key actions
    client.force_login(member(a.issuer))
    page = client.get(admin_url(IssuerKey, "changelist"))
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [key_a]
    assert "withdraw_selected" not in page.content.decode()
    run_action(client, IssuerKey, "withdraw_selected", [key_a])
    key_a.refresh_from_db()
    assert key_a.withdrawn_at is None
    # the owner of A withdraws A's key; B's, posted alongside, is untouched
    client.force_login(member(a.issuer, Role.OWNER))
    response = run_action(client, IssuerKey, "withdraw_selected", [key_a, key_b])
    assert messages_of(response)[0].startswith("Withdrew 1 key(s)")
    key_a.refresh_from_db()
    key_b.refresh_from_db()
    assert key_a.withdrawn_at is not None
    assert not key_a.active
    assert key_b.withdrawn_at is None
    active = IssuerKey.objects.get(issuer=a.issuer, active=True)
    assert active.key_id == "key-2"
    # and rotates the new one
    run_action(client, IssuerKey, "rotate_selected", [active])
    assert IssuerKey.objects.get(issuer=a.issuer, active=True).key_id == "key-3"
    # the key's page shows its public half only
    html = client.get(admin_url(IssuerKey, "change", key_a.pk)).content.decode()
    assert key_a.public_jwk["n"] in html
    assert "private_key_encrypted" not in html
