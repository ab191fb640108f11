"""Issue 17, finding 3: hostile spreadsheets through every page that takes one - the
assign wizard's earner upload and the import of past awards. Each is refused within a
few seconds with a sentence on the form, and nothing is kept. (Their memory is measured
where it is not mixed with the test client's: core/tests/test_spreadsheets.py.)

(No API and no management command reads a spreadsheet: /api/v1 assignments take JSON.
core/tests/test_spreadsheets.py proves each limit of the reader one by one.)"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assertions.models import Assertion
from assign.models import WizardDraft
from assign.selectors import draft_content
from core.tests import hostile_sheets as hostile
from imports.models import ImportRun
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

SECONDS = 3

# (builder, what the wizard says, what the import page says)
HOSTILE = {
    "declares 16,384 x 1,048,576 cells": (
        hostile.declared_huge,
        "The file declares 1,048,576 rows; at most 10,001 are read.",
        "The file declares 1,048,576 rows; at most 20,001 are read.",
    ),
    "declares A1:A2, holds more rows than the limit": (
        lambda: hostile.lying_dimension(20_001),
        "The file has more than 10,000 earners",
        "At most 20000 badges per sheet",
    ),
    "shared strings expanding to 115 MB": (
        hostile.shared_strings_bomb,
        "The spreadsheet expands to more than 32.0 MB",
        "The spreadsheet expands to more than 32.0 MB",
    ),
    "a theme expanding to 200 MB": (
        hostile.theme_bomb,
        "The spreadsheet expands to more than 32.0 MB",
        "The spreadsheet expands to more than 32.0 MB",
    ),
    "150,000 cell formats in 3 KB": (
        hostile.styles_bomb,
        "xl/styles.xml has more than 50,000 elements",
        "xl/styles.xml has more than 50,000 elements",
    ),
}


@pytest.fixture
def staff(client):
    membership = MembershipFactory(role=Role.STAFF)
    BadgeTemplateFactory(issuer=membership.issuer, name="Python")
    client.force_login(membership.user)
    return membership


@pytest.mark.parametrize("case", HOSTILE)
def test_the_wizard_refuses_a_hostile_workbook_at_once_and_keeps_no_draft(client, staff, case):
    build, message, _ = HOSTILE[case]
    upload = SimpleUploadedFile("earners.xlsx", build(), "application/octet-stream")
    issuer = staff.issuer

    with hostile.bounded(SECONDS) as measured:
        response = client.post(
            f"/issuers/{issuer.entity_id}/assign/earners/", {"mode": "bulk", "file": upload}
        )

    assert response.status_code == 200  # the form again, with the reason
    assert any(message in error for error in response.context["form"].errors["file"])
    assert not WizardDraft.objects.filter(issuer=issuer).exclude(rows="").exists()
    assert measured.seconds < SECONDS


@pytest.mark.parametrize("case", HOSTILE)
def test_the_import_page_refuses_a_hostile_workbook_at_once_and_imports_nothing(
    client, staff, case
):
    build, _, message = HOSTILE[case]
    sheet = SimpleUploadedFile("past.xlsx", build(), "application/octet-stream")
    issuer = staff.issuer

    with hostile.bounded(SECONDS) as measured:
        response = client.post(f"/issuers/{issuer.entity_id}/import/spreadsheet", {"sheet": sheet})

    assert response.status_code == 400
    assert any(message in error for error in response.context["spreadsheet_form"].errors["sheet"])
    assert not ImportRun.objects.exists()
    assert not Assertion.objects.exists()
    assert measured.seconds < SECONDS


def test_the_import_page_refuses_a_csv_of_millions_of_rows_without_reading_them_all(client, staff):
    # 36 MB of six million short rows: the old reader took 12 s and 735 MB to count them
    sheet = SimpleUploadedFile("past.csv", b"email,template,issued_on\n" + b"x,y,z\n" * 6_000_000)

    with hostile.bounded(SECONDS) as measured:
        response = client.post(
            f"/issuers/{staff.issuer.entity_id}/import/spreadsheet", {"sheet": sheet}
        )

    assert response.status_code == 400
    errors = response.context["spreadsheet_form"].errors["sheet"]
    assert errors == ["At most 20000 badges per sheet; split this one."]
    assert not Assertion.objects.exists()
    assert measured.seconds < SECONDS


def test_the_import_page_says_what_is_wrong_with_a_quote_never_closed(client, staff):
    sheet = SimpleUploadedFile(
        "past.csv",
        b'email,template,issued_on\n"ada@example.org,Python,2021-01-01\n' + b"more\n" * 40_000,
    )

    response = client.post(
        f"/issuers/{staff.issuer.entity_id}/import/spreadsheet", {"sheet": sheet}
    )

    assert response.status_code == 400  # not a 500
    assert response.context["spreadsheet_form"].errors["sheet"] == [
        "A cell of the file is longer than 131,072 characters (a quote that is never closed?)."
    ]


def test_the_wizard_reads_every_earner_of_a_full_file_with_blank_lines_in_it(client, staff):
    # blank lines used to count towards the limit: the last earners were dropped silently
    earners = b"".join(b"p%d@example.org,P,Q\n" % n for n in range(10_000))
    upload = SimpleUploadedFile("earners.csv", b"email,first_name,last_name\n\n\n\n" + earners)
    issuer = staff.issuer

    response = client.post(
        f"/issuers/{issuer.entity_id}/assign/earners/", {"mode": "bulk", "file": upload}
    )

    assert response.status_code == 302
    draft = WizardDraft.objects.get(entity_id=client.session[f"assign:{issuer.entity_id}"])
    rows = draft_content(draft)["table"]["rows"]
    assert len(rows) == 10_000
    assert rows[-1] == [10_004, ["p9999@example.org", "P", "Q"]]
