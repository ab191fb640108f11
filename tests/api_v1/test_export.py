"""GET /api/v1/badges/export: CSV and XLSX with the list's filters, streamed."""

import csv
import datetime as dt
import io
import tracemalloc
import zoneinfo

import pytest
from openpyxl import load_workbook

from assertions.models import Assertion
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory
from core.timefmt import format_v1
from tests.api_v1.helpers import BADGE_SPEC, make_badges, utc

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_has_the_badge_objects_keys_and_formats(api, template, issuer):
    badge = AssertionFactory(
        template=template,
        recipient_email="ada@example.org",
        activity_title="Course",
        activity_started_at=utc(2024, 3, 1, 8, 0, 0),
        issued_on=utc(2024, 7, 1, 12, 0, 0),
        additional_details={"grade": "A"},
    )
    Assertion.objects.filter(pk=badge.pk).update(created_at=utc(2024, 7, 1, 12, 0, 1))
    response = api.get("/api/v1/badges/export?format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="badges-')
    header, row = csv_rows(response)
    assert header == [*BADGE_SPEC, "acceptance"]
    values = dict(zip(header, row, strict=True))
    detail = api.get(f"/api/v1/badges/{badge.entity_id}").json()
    for key in BADGE_SPEC:  # the same values as the API's badge object
        expected = detail[key]
        if key == "additional_details":
            expected = '{"grade": "A"}'
        assert values[key] == ("" if expected is None else str(expected)), key
    assert values["activity_started_at"] == "2024-03-01 09:00:00"  # Rome
    assert values["created_at"] == "2024-07-01 12:00:01"  # UTC
    assert values["acceptance"] == "Unaccepted"  # the earner's answer, for the issuer


def test_each_time_reads_as_the_badge_object_writes_it(api, template):
    # Given times a second short of a day's change in Rome, in both DST and winter time,
    # a year written with fewer than 4 digits, a revocation, and no expiry
    rome = zoneinfo.ZoneInfo("Europe/Rome")
    times = [
        dt.datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=rome),
        dt.datetime(2026, 12, 31, 23, 59, 59, 500000, tzinfo=rome),
        dt.datetime(443, 1, 2, 3, 4, 5, 999999, tzinfo=dt.UTC),
    ]
    for when in times:
        badge = AssertionFactory(template=template)
        Assertion.objects.filter(pk=badge.pk).update(
            created_at=when, emitted_at=when, updated_at=when, revoked_at=when, status="revoked"
        )
    # When they are exported
    header, *rows = csv_rows(api.get("/api/v1/badges/export?format=csv"))
    # Then each time is the one the API's badge object gives, in Rome or in UTC
    for row in rows:
        values = dict(zip(header, row, strict=True))
        detail = api.get(f"/api/v1/badges/{values['id']}").json()
        for key in ("emitted_at", "created_at", "updated_at", "expires_at", "revoked_at"):
            assert values[key] == (detail[key] or ""), key
    emitted = {dict(zip(header, row, strict=True))["emitted_at"] for row in rows}
    assert emitted == {format_v1(when, rome) for when in times}
    assert {"2026-06-30 23:59:59", "2026-12-31 23:59:59"} < emitted


def test_export_honours_the_filters_and_ordering(api, template):
    keep = AssertionFactory(template=template, recipient_email="b@example.org")
    also = AssertionFactory(template=template, recipient_email="a@example.org")
    gone = AssertionFactory(template=template)
    assertion_revoke(assertion=gone, reason="x")
    rows = csv_rows(api.get("/api/v1/badges/export?status=valid&ordering=recipient_email"))
    assert [row[0] for row in rows[1:]] == [also.entity_id, keep.entity_id]
    bad = api.get("/api/v1/badges/export?status=lost")
    assert bad.status_code == 400
    assert "status" in bad.json()["field_errors"]


def test_export_refuses_an_unknown_format(api, template):
    response = api.get("/api/v1/badges/export?format=pdf")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"format": ["Choose csv or xlsx."]}


def test_spreadsheet_formulas_are_neutralised(api, template):
    AssertionFactory(
        template=template,
        recipient_first_name='=HYPERLINK("http://evil")',
        recipient_last_name="+1",
        notes="@SUM(A1)",
        activity_title="-2",
    )
    header, row = csv_rows(api.get("/api/v1/badges/export"))
    values = dict(zip(header, row, strict=True))
    assert values["recipient_first_name"] == '\'=HYPERLINK("http://evil")'
    assert values["recipient_last_name"] == "'+1"
    assert values["notes"] == "'@SUM(A1)"
    assert values["activity_title"] == "'-2"
    sheet = xlsx_sheet(api.get("/api/v1/badges/export?format=xlsx"))
    xlsx_values = dict(zip(sheet[0], sheet[1], strict=True))
    assert xlsx_values["recipient_first_name"] == '\'=HYPERLINK("http://evil")'
    assert xlsx_values["notes"] == "'@SUM(A1)"


def xlsx_sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(data), read_only=True).active.values)


def test_xlsx_has_the_same_rows(api, template):
    badge = AssertionFactory(template=template, issued_on=utc(2024, 7, 1, 12, 0, 0))
    sheet = xlsx_sheet(api.get("/api/v1/badges/export?format=xlsx"))
    assert list(sheet[0]) == [*BADGE_SPEC, "acceptance"]
    values = dict(zip(sheet[0], sheet[1], strict=True))
    assert values["id"] == badge.entity_id
    assert values["emitted_at"] == "2024-07-01 14:00:00"
    assert values["imported"] == 0


def test_export_needs_auth_and_scopes_to_the_callers_organisations(client, outsider_api, template):
    AssertionFactory(template=template)
    assert client.get("/api/v1/badges/export").status_code == 401
    assert csv_rows(outsider_api.get("/api/v1/badges/export")) == [[*BADGE_SPEC, "acceptance"]]


def test_10k_rows_stream_in_bounded_memory_with_a_constant_number_of_queries(
    api, template, django_assert_max_num_queries
):
    # given 10,000 badges
    make_badges(template, 10_000, notes="A note long enough to weigh something per row.")
    # when they are exported: the queries are few and do not grow with the rows
    tracemalloc.start()
    try:
        # token, memberships (the rows are scoped by their keys: issuers.selectors.
        # in_issuers_of), versions, issuers, the rows
        with django_assert_max_num_queries(5):
            response = api.get("/api/v1/badges/export?format=csv")
            assert response.status_code == 200
            tracemalloc.reset_peak()
            baseline = tracemalloc.get_traced_memory()[0]
            size = rows = 0
            for chunk in response.streaming_content:
                size += len(chunk)
                rows += chunk.count(b"\n")
            peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    # then every row came, and memory stayed well under the size of the export
    assert rows == 10_001
    print(f"export: {size / 1e6:.1f} MB, peak {peak / 1e6:.2f} MB above baseline")
    assert peak < size / 3


def test_10k_rows_as_xlsx_with_a_constant_number_of_queries(
    api, template, django_assert_max_num_queries
):
    make_badges(template, 10_000)
    with django_assert_max_num_queries(5):  # as the CSV's
        sheet = xlsx_sheet(api.get("/api/v1/badges/export?format=xlsx"))
    assert len(sheet) == 10_001
