"""Moving in from a recorded Badgr server (imports/tests/badgr_recording): nothing it
holds is lost, field by field; the awkward cases (expiry before issue, names in
extensions, revoked without a date, SVG badge classes, a recipient that is a URL) come
over as the source has them or are named in the report; a server that dies, a token
revoked mid-run, a token without the issuer scope and a user staff on no issuer stop the
run with a sentence; and the counts add up."""

from datetime import datetime
from io import StringIO

import pytest
import responses
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssertionStatus
from core.models import OutboundEmail
from core.testing import PUBLIC_ADDRESS, fake_dns
from imports import badgr_client
from imports.badgr import badgr_import
from imports.badgr_client import BadgrAuthError, BadgrClient, BadgrError
from imports.models import ImportRun, LegacyKind, LegacyObject, RunStatus
from imports.tests.recorded_badgr import (
    API,
    PAGE_SIZE,
    TOKENS,
    RecordedBadgr,
    media_bytes,
    recorded_badges,
    recorded_classes,
    recorded_issuers,
)
from issuers.models import CreditLedgerEntry, Role
from issuers.tests.factories import IssuerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

EXPIRY_BEFORE_ISSUE = {"eXbEfOrE0iSsUe00000001", "sFeXpIrEdBeFoReIsSuE01"}
URL_RECIPIENT = "sFuRlReCiPiEnT0000001c"
# Issued in the future, with an ftp:// evidence link: imported only when told "anyway".
NEEDS_ANYWAY = "gRfUtUrEiSsUe000000001"
IMPORTABLE = [b for b in recorded_badges() if b["entityId"] not in (URL_RECIPIENT, NEEDS_ANYWAY)]


@pytest.fixture(autouse=True)
def _old_server_names(monkeypatch):
    """The old API and its media host resolve to a public address (`responses` answers)."""
    fake_dns(monkeypatch, {".badgr.example.org": PUBLIC_ADDRESS})
    monkeypatch.setattr(badgr_client, "BACKOFF", 0)


def client_for(token="staff", **kwargs) -> BadgrClient:
    return BadgrClient(API, TOKENS[token], page_size=PAGE_SIZE, **kwargs)


def import_from(server: RecordedBadgr, token="staff", **kwargs):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server.install(mock)
        return badgr_import(client=client_for(token, retries=kwargs.pop("retries", 2)), **kwargs)


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def legacy(kind: str, legacy_id: str):
    row = LegacyObject.objects.get(source=API, kind=kind, legacy_id=legacy_id)
    return row.issuer or row.template or row.assertion


def assert_everything_came_over(importable=IMPORTABLE):
    for remote in recorded_issuers():
        issuer = legacy(LegacyKind.ISSUER, remote["entityId"])
        assert issuer.name == remote["name"]
        assert issuer.email == remote["email"].lower()
        assert issuer.url == remote["url"]
        assert issuer.description == remote["description"]
        assert bool(issuer.image) == bool(remote["image"])
    for remote in recorded_classes():
        template = legacy(LegacyKind.BADGECLASS, remote["entityId"])
        version = template.current_version
        assert template.issuer == legacy(LegacyKind.ISSUER, remote["issuer"])
        assert template.name == remote["name"]
        assert template.description == remote["description"]
        assert template.criteria_url == (remote["criteriaUrl"] or "")
        assert template.criteria_narrative == (remote["criteriaNarrative"] or "")
        assert template.tags == remote["tags"]
        assert template.alignments == remote["alignments"]
        expires = remote["expires"] or {}
        assert template.validity_amount == expires.get("amount")
        assert template.validity_unit == (expires.get("duration") or "")
        # SVG badge classes stay SVG (their CSS classes and all), PNGs stay PNG.
        is_svg = remote["image"].endswith(".svg")
        assert version.image.name.endswith(".svg") == is_svg
        if not is_svg:
            with version.image.open("rb") as stored:
                assert stored.read() == media_bytes(remote["image"])
    for remote in importable:
        badge = Assertion.objects.select_related("earner").get(imp_legacy_id=remote["entityId"])
        template = legacy(LegacyKind.BADGECLASS, remote["badgeclass"])
        assert badge.badge_template == template
        assert badge.organization == template.issuer
        assert badge.imported
        email = remote["recipient"]["plaintextIdentity"].lower()
        assert badge.recipient_email == email
        assert badge.earner.email == email
        name = remote["extensions"].get("extensions:recipientProfile", {}).get("name", "")
        assert badge.recipient_name == name
        assert badge.emitted_at == when(remote["issuedOn"])
        # Both dates as the source has them, even an expiry before the issue date.
        assert badge.expires_at == when(remote["expires"])
        assert badge.narrative == (remote["narrative"] or "")
        if remote["entityId"] != NEEDS_ANYWAY:  # (kept as text: see its own test)
            assert badge.evidence == [{k: v for k, v in e.items() if v} for e in remote["evidence"]]
        assert badge.additional_details == (
            {"extensions": remote["extensions"]} if remote["extensions"] else {}
        )
        if remote["revoked"]:
            assert badge.status == AssertionStatus.REVOKED
            assert badge.revoked_reason == (remote["revocationReason"] or "")
            assert badge.revoked_at is None  # Badgr records no date: none is invented
        elif badge.expires_at and badge.expires_at <= timezone.now():
            assert badge.status == AssertionStatus.INVALID  # expired
        else:
            assert badge.status == AssertionStatus.VALID
        assert legacy(LegacyKind.ASSERTION, remote["entityId"]) == badge


def test_every_badge_the_recorded_server_holds_comes_over_field_by_field_and_counts_add_up():
    # Given a user who will own the new issuers
    owner = UserFactory()

    # When everything the staff token sees is imported
    report = import_from(RecordedBadgr(), owner=owner)

    # Then every issuer, badge class and badge matches the source, field by field
    assert_everything_came_over()
    # and the counts add up: everything served is created, or failed with its reason.
    badges = recorded_badges()
    assert report.counts["issuer"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    assert report.counts["badgeclass"]["created"] == len(recorded_classes()) == 4
    assert sum(report.counts["badgeclass"].values()) == len(recorded_classes())
    assert report.counts["assertion"]["created"] == len(IMPORTABLE) == 9
    assert report.counts["assertion"]["failed"] == 2
    assert sum(report.counts["assertion"].values()) == len(badges) == 11
    assert [(e.legacy_id, e.message) for e in report.errors] == [
        (
            NEEDS_ANYWAY,
            "emitted_at: Give a date and time that is not in the future. Importing anyway "
            "(import_badgr --anyway, or the import page's box) keeps it as it is.; "
            "evidence: Evidence 1: the url must be an http(s) address. Importing anyway "
            "(import_badgr --anyway, or the import page's box) keeps it as it is.",
        ),
        (URL_RECIPIENT, "Only badges awarded to an email address can be imported."),
    ]
    # An expiry before the issue date is kept, and said, badge by badge.
    assert {w.legacy_id for w in report.warnings} == EXPIRY_BEFORE_ISSUE
    assert all("not after its issue date" in w.message for w in report.warnings)
    # No email, no credit.
    assert not OutboundEmail.objects.exists()
    assert not CreditLedgerEntry.objects.exclude(amount__gt=0).exists()


def test_a_second_run_changes_nothing_and_counts_everything_unchanged():
    # Given a finished import
    owner = UserFactory()
    import_from(RecordedBadgr(), owner=owner)
    before = sorted(Assertion.objects.values_list("pk", "updated_at", "status", "revoked_at"))

    # When it runs again
    report = import_from(RecordedBadgr(), owner=owner)

    # Then nothing changed, and everything is counted once
    assert (
        sorted(Assertion.objects.values_list("pk", "updated_at", "status", "revoked_at")) == before
    )
    assert report.counts["assertion"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 9,
        "failed": 2,
    }
    assert report.counts["badgeclass"]["unchanged"] == 4
    assert report.counts["issuer"]["unchanged"] == 2


def test_a_server_that_dies_mid_run_stops_it_at_once_and_a_new_run_resumes():
    # Given a server that answers 9 requests and then is gone (issuers, classes, images,
    # the first badge pages)
    owner = UserFactory()
    dying = RecordedBadgr(die_after=9)

    # When the import runs
    with pytest.raises(BadgrError) as stopped:
        import_from(dying, owner=owner, retries=2)

    # Then it stops at once, on the first failed request and its retries, with a reason
    assert stopped.value.fatal
    assert "did not answer" in stopped.value.message or "not allowed" in stopped.value.message
    assert "The import stopped there" in stopped.value.message
    assert len(dying.requests) == 9 + 3  # one request, retried twice; nothing after it
    done = stopped.value.report
    created_before = done.counts["assertion"]["created"]
    assert 0 < created_before < 9
    assert Assertion.objects.count() == created_before

    # When it runs again with the server back
    report = import_from(RecordedBadgr(), owner=owner)

    # Then it carries on: what was there is unchanged, the rest created, nothing twice
    assert report.counts["assertion"]["unchanged"] == created_before
    assert report.counts["assertion"]["created"] == 9 - created_before
    assert Assertion.objects.count() == 9
    assert_everything_came_over()


def test_a_token_revoked_mid_run_stops_it_with_a_sentence():
    with pytest.raises(BadgrAuthError) as stopped:
        import_from(RecordedBadgr(revoke_after=10), owner=UserFactory())
    assert stopped.value.fatal
    assert "refused the token (HTTP 401)" in stopped.value.message
    assert "revoked" in stopped.value.message
    assert "The import stopped there" in stopped.value.message


def test_a_server_that_keeps_rate_limiting_stops_the_run_saying_so():
    server = RecordedBadgr(rate_limited=True)
    with pytest.raises(BadgrError, match="rate-limiting the import") as stopped:
        import_from(server, owner=UserFactory(), retries=1)
    assert stopped.value.fatal
    assert len(server.requests) == 2  # the first request and its retry, nothing more


def test_a_token_without_the_issuer_scope_is_told_it_cannot_read_issuers():
    with pytest.raises(BadgrAuthError, match="This token cannot read issuers"):
        import_from(RecordedBadgr(), token="no-scope")


def test_the_command_warns_and_fails_when_the_user_is_staff_on_no_issuer():
    out, err = StringIO(), StringIO()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        RecordedBadgr().install(mock)
        with pytest.raises(CommandError, match="staff on no issuer"):
            call_command("import_badgr", url=API, token=TOKENS["nobody"], stdout=out, stderr=err)
    assert "Import finished" not in out.getvalue()


def test_the_command_says_what_a_token_without_scope_cannot_do():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        RecordedBadgr().install(mock)
        with pytest.raises(CommandError, match="This token cannot read issuers"):
            call_command(
                "import_badgr",
                url=API,
                token=TOKENS["no-scope"],
                stdout=StringIO(),
                stderr=StringIO(),
            )


def test_the_command_prints_counts_that_add_up_and_a_dry_run_says_nothing_was_written():
    # When a dry run meets a badge that cannot be imported
    out = StringIO()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        RecordedBadgr().install(mock)
        with pytest.raises(CommandError) as failed:
            call_command(
                "import_badgr",
                url=API,
                token=TOKENS["staff"],
                dry_run=True,
                page_size=PAGE_SIZE,
                stdout=out,
                stderr=StringIO(),
            )
    # Then it says what would fail, that nothing was written, and never "imported"
    text = out.getvalue()
    assert "Dry run: nothing was written." in text
    assert "would fail" in text
    assert "Nothing was written." in str(failed.value)
    assert "imported" not in str(failed.value)
    assert f"assertion {URL_RECIPIENT}: Only badges awarded to an email address" in text
    assert "(total 11)" in text  # 9 would be created + 2 would fail
    assert not Assertion.objects.exists()


def test_a_web_run_into_an_issuer_counts_issuers_linked_and_ends_failed_when_the_source_dies(
    client, django_capture_on_commit_callbacks
):
    # Given an editor of an issuer here, and a server that dies after 9 requests
    editor = MembershipFactory(role=Role.EDITOR, issuer=IssuerFactory(name="New home"))
    issuer = editor.issuer
    client.force_login(editor.user)
    url = f"/issuers/{issuer.entity_id}/import/badgr"

    # When the import runs from the page
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        RecordedBadgr(die_after=9).install(mock)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"url": API, "token": TOKENS["staff"], "issuers": ""})

    # Then the run failed, saying why, with what it did counted and its token forgotten
    run = ImportRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "The import stopped there" in run.message
    assert run.token == ""
    # The first old issuer was put into this one ("linked", not "unchanged"); the run
    # stopped before the second.
    assert run.counts["issuer"] == {
        "created": 0,
        "linked": 1,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    page = client.get(f"/issuers/{issuer.entity_id}/import/runs/{run.entity_id}").content.decode()
    assert "The import stopped there" in page
    # and offers to start it again, filled in but for the token
    assert 'data-testid="resume"' in page
    assert f'name="url" value="{API}"' in page

    # When it is started again with the server back
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        RecordedBadgr().install(mock)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"url": API, "token": TOKENS["staff"], "issuers": ""})

    # Then it finished, carrying on, and the warnings are shown
    again = ImportRun.objects.exclude(pk=run.pk).get()
    assert again.status == RunStatus.DONE, again.message
    assert (again.counts["issuer"]["unchanged"], again.counts["issuer"]["linked"]) == (1, 1)
    assert sum(again.counts["assertion"].values()) == 11
    assert Assertion.objects.filter(organization=issuer).count() == 9
    # Each badge with its expiry before its issue date is named by the run that brought it.
    run.refresh_from_db()
    assert {w["id"] for w in run.warnings + again.warnings} == EXPIRY_BEFORE_ISSUE
    body = client.get(f"/issuers/{issuer.entity_id}/import/runs/{again.entity_id}").content
    assert b"sFeXpIrEdBeFoReIsSuE01" in body


def test_told_to_import_anyway_it_keeps_what_the_data_allows_and_names_each_change():
    # When the recorded server is imported "anyway"
    report = import_from(RecordedBadgr(), owner=UserFactory(), anyway=True)

    # Then the badge issued in the future comes too, its date as it is and its ftp://
    # evidence kept as text, each named in the warnings; a URL recipient still cannot be
    badge = Assertion.objects.get(imp_legacy_id=NEEDS_ANYWAY)
    assert badge.emitted_at == when("2031-01-01T09:00:00Z")
    assert badge.evidence == [
        {"narrative": "The thesis.\n\nftp://files.example.net/linus/thesis.pdf"}
    ]
    assert report.counts["assertion"]["created"] == 10
    assert [e.legacy_id for e in report.errors] == [URL_RECIPIENT]
    named = [w.message for w in report.warnings if w.legacy_id == NEEDS_ANYWAY]
    assert named == [
        "Its issue date (2031-01-01T09:00:00+00:00) is in the future: imported as it is.",
        "Evidence 1: its link ftp://files.example.net/linus/thesis.pdf is not a web "
        "address; kept as text.",
    ]
    everything = [b for b in recorded_badges() if b["entityId"] != URL_RECIPIENT]
    assert_everything_came_over(everything)
