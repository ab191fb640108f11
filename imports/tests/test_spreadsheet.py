"""Past awards from a spreadsheet, through assertions_import."""

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from assertions.api.v1.exports import EXPORT_FIELDS, export_rows
from assertions.api.v1.serializers import BADGE_FIELDS
from assertions.models import Assertion, AssertionStatus
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.models import OutboundEmail
from imports.spreadsheet import read_sheet, spreadsheet_import
from issuers.tests.factories import IssuerFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

CSV = """Email;First name;Last name;Template;Issued on;Expires;Legacy ID;Narrative
ada@example.org;Ada;Lovelace;Python;2021-06-30 12:00;2023-06-30;old-1;Great work
alan@example.org;;;python v3;2022-01-15;;old-2;
bad@example.org;;;Python;30th of June;;old-3;
who@example.org;;;Cooking;2022-01-15;;old-4;
ada@example.org;;;Python;2022-02-01;;;
"""


@pytest.fixture
def issuer():
    return IssuerFactory(timezone="Europe/Rome")


@pytest.fixture
def python(issuer):
    return BadgeTemplateFactory(
        issuer=issuer, name="Python", validity_amount=1, validity_unit="years"
    )


def test_good_rows_are_imported_bad_ones_reported_by_number_and_a_rerun_duplicates_nothing(
    issuer, python
):
    rows = read_sheet("old.csv", CSV.encode())

    report = spreadsheet_import(issuer=issuer, rows=rows)

    assert report.counts_dict()["assertion"]["created"] == 3
    assert {(e.legacy_id, e.message.split(":")[0]) for e in report.errors} == {
        ("row 4", "issued_on"),
        ("row 5", "template"),
    }
    ada = Assertion.objects.get(imp_legacy_id="old-1")
    assert ada.imported
    assert (ada.recipient_first_name, ada.narrative) == ("Ada", "Great work")
    # times without an offset are the issuer's (Rome, UTC+2 in summer)
    assert ada.emitted_at == dt.datetime(2021, 6, 30, 10, 0, tzinfo=dt.UTC)
    assert ada.expires_at == dt.datetime(2023, 6, 29, 22, 0, tzinfo=dt.UTC)
    assert ada.status == AssertionStatus.INVALID  # expired
    alan = Assertion.objects.get(imp_legacy_id="old-2")
    assert alan.expires_at is None  # an empty expiry is none, not the template's default
    assert Assertion.objects.filter(imp_legacy_id__startswith="sheet:").count() == 1
    assert OutboundEmail.objects.count() == 0

    again = spreadsheet_import(issuer=issuer, rows=rows)
    assert again.counts_dict()["assertion"]["unchanged"] == 3
    assert Assertion.objects.filter(organization=issuer).count() == 3


def test_an_xlsx_with_date_cells(issuer, python):
    book = Workbook()
    sheet = book.active
    sheet.append(["recipient_email", "badge_template", "emitted_at", "imp_legacy_id"])
    sheet.append(["ada@example.org", python.entity_id, dt.datetime(2020, 1, 2, 9, 30), "x-1"])  # noqa: DTZ001
    buffer = io.BytesIO()
    book.save(buffer)

    report = spreadsheet_import(issuer=issuer, rows=read_sheet("a.xlsx", buffer.getvalue()))

    assert report.errors == []
    badge = Assertion.objects.get(imp_legacy_id="x-1")
    assert badge.emitted_at == dt.datetime(2020, 1, 2, 8, 30, tzinfo=dt.UTC)


def test_our_own_export_moves_to_another_instance_revocations_included(issuer):
    # The export writes times in its issuer's zone without an offset; the same organisation
    # moving keeps its zone.
    old_issuer = IssuerFactory(timezone=issuer.timezone)
    old_template = BadgeTemplateFactory(issuer=old_issuer, name="Python")
    badges = [AssertionFactory(template=old_template) for _ in range(3)]
    assertion_revoke(assertion=badges[0], reason="Wrong person")
    BadgeTemplateFactory(issuer=issuer, name="Python")
    # Our export names template versions by this instance's ids; the other instance's
    # templates are named in an added "template" column.
    exported = export_rows(Assertion.objects.filter(pk__in=[b.pk for b in badges]))
    lines = [("template", *EXPORT_FIELDS)] + [("Python", *row) for row in exported]
    csv_text = "\n".join(
        ",".join(f'"{v}"' if v is not None else "" for v in line) for line in lines
    )

    report = spreadsheet_import(issuer=issuer, rows=read_sheet("export.csv", csv_text.encode()))

    assert report.errors == []
    for badge in badges:
        badge.refresh_from_db()
        copy = Assertion.objects.get(organization=issuer, imp_legacy_id=badge.entity_id)
        assert copy.recipient_email == badge.recipient_email
        assert copy.emitted_at == badge.emitted_at.replace(microsecond=0)
        assert copy.status == badge.status
        assert copy.revoked_reason == badge.revoked_reason


def test_a_sheet_without_rows_is_refused_with_a_sentence():
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="header row and at least one badge"):
        read_sheet("empty.csv", b"email,template\n")


def test_nul_characters_that_postgresql_cannot_store_are_dropped(issuer, python):
    sheet = b"email,template,issued_on,narrative\nada@example.org,Python,2021-01-01,A\x00B\n"
    report = spreadsheet_import(issuer=issuer, rows=read_sheet("nul.csv", sheet))
    assert report.errors == []
    assert Assertion.objects.get(organization=issuer).narrative == "AB"


def test_our_export_imports_again_on_the_same_instance_by_version_id(issuer):
    template = BadgeTemplateFactory(issuer=issuer, name="Python")
    other = IssuerFactory(timezone=issuer.timezone)
    badge = AssertionFactory(template=BadgeTemplateFactory(issuer=other, name="Other"))
    exported = list(export_rows(Assertion.objects.filter(pk=badge.pk)))
    column = BADGE_FIELDS.index("badge_template_version")
    exported[0][column] = template.current_version.entity_id  # a version of this issuer's
    csv_text = "\n".join(
        ",".join(f'"{v}"' if v is not None else "" for v in line)
        for line in [EXPORT_FIELDS, *exported]
    )

    report = spreadsheet_import(issuer=issuer, rows=read_sheet("export.csv", csv_text.encode()))

    assert report.errors == []
    copy = Assertion.objects.get(organization=issuer, imp_legacy_id=badge.entity_id)
    assert copy.badge_template == template


def test_a_past_award_expiring_before_its_issue_date_is_kept_as_it_is_and_named(issuer, python):
    # Given a sheet whose second row expires before it was issued (a typo at the source,
    # or a badge the old platform accepted so)
    sheet = (
        "Email;Template;Issued on;Expires;Legacy ID;Status\n"
        "ada@example.org;Python;2022-06-01;2023-06-01;old-1;\n"
        "alan@example.org;Python;2022-06-01;2022-05-31;old-2;\n"
        "edsger@example.org;Python;2020-01-01;;old-3;revoked\n"
    )

    # When it is imported
    report = spreadsheet_import(issuer=issuer, rows=read_sheet("old.csv", sheet.encode()))

    # Then nothing is refused: the odd badge is kept with both dates, shown as expired,
    # and the report names it by its row
    assert report.errors == []
    assert report.counts_dict()["assertion"]["created"] == 3
    alan = Assertion.objects.get(imp_legacy_id="old-2")
    assert alan.expires_at < alan.emitted_at
    assert alan.status == AssertionStatus.INVALID
    assert [(w.legacy_id, "not after its issue date" in w.message) for w in report.warnings] == [
        ("row 3", True)
    ]
    # A sheet that says "revoked" without a date gets no invented one.
    edsger = Assertion.objects.get(imp_legacy_id="old-3")
    assert (edsger.status, edsger.revoked_at) == (AssertionStatus.REVOKED, None)


def test_a_future_issue_date_is_refused_saying_how_to_keep_it_and_kept_when_told_anyway(
    issuer, python
):
    sheet = "Email;Template;Issued on;Legacy ID\nada@example.org;Python;2031-06-15;old-1\n"
    rows = read_sheet("old.csv", sheet.encode())

    # By default the row is reported, saying that importing anyway keeps it
    refused = spreadsheet_import(issuer=issuer, rows=rows)
    assert [e.legacy_id for e in refused.errors] == ["row 2"]
    assert "Importing anyway" in refused.errors[0].message
    assert not Assertion.objects.exists()

    # Told to import anyway, it is kept as it is, and named
    kept = spreadsheet_import(issuer=issuer, rows=rows, anyway=True)
    assert kept.errors == []
    assert Assertion.objects.get(imp_legacy_id="old-1").emitted_at.year == 2031
    assert [w.legacy_id for w in kept.warnings] == ["row 2"]
