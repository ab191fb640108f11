"""Awarded badges as CSV or XLSX: the fields of the Open Badge API badge, one row each.

Timestamps are formatted as the Open Badge API returns them: `YYYY-MM-DD HH:MM:SS`, in
the issuer's time zone for the activity, issue and expiry dates and in UTC for the
record's creation and revocation.

Spreadsheets run cells that start with = + - @ (or a tab or carriage return) as
formulas, so such values get a leading apostrophe: a recipient's name cannot become a
formula in someone's Excel.
"""

import csv
from io import BytesIO

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.timefmt import format_v1

COLUMNS = (
    "id",
    "imported",
    "status",
    "badge_template_version",
    "organization_id",
    "activity_title",
    "activity_started_at",
    "activity_ended_at",
    "recipient_email",
    "recipient_first_name",
    "recipient_last_name",
    "notes",
    "url",
    "emitted_at",
    "expires_at",
    "created_at",
    "revoked_at",
    "revoked_reason",
    "imp_legacy_id",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """Text that a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def badge_row(assertion) -> list:
    issuer = assertion.organization
    version = assertion.badge_template_version
    zone = issuer.timezone
    return [
        assertion.entity_id,
        int(assertion.imported),
        assertion.status,
        f"{version.name} v{version.number}",
        issuer.entity_id,
        assertion.activity_title,
        format_v1(assertion.activity_started_at, zone),
        format_v1(assertion.activity_ended_at, zone),
        assertion.recipient_email,
        assertion.recipient_first_name,
        assertion.recipient_last_name,
        assertion.notes,
        assertion.url,
        format_v1(assertion.emitted_at, zone),
        format_v1(assertion.expires_at, zone),
        format_v1(assertion.created_at),
        format_v1(assertion.revoked_at),
        assertion.revoked_reason,
        assertion.imp_legacy_id,
    ]


def _rows(queryset):
    queryset = queryset.select_related("organization", "badge_template_version")
    for assertion in queryset.iterator(chunk_size=CHUNK):
        yield badge_row(assertion)


def _filename(ext: str) -> str:
    return f"badges-{timezone.now():%Y%m%d-%H%M%S}.{ext}"


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of keeping it."""

    def write(self, value):
        return value


def csv_response(queryset) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        # The byte-order mark makes Excel read the file as UTF-8.
        yield "\ufeff" + writer.writerow(COLUMNS)
        for row in _rows(queryset):
            yield writer.writerow(["" if v is None else neutralise(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def _xlsx_cell(value):
    if isinstance(value, str):
        # Control characters are not allowed in the XML of a sheet.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def xlsx_response(queryset) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Badges")
    sheet.append(COLUMNS)
    for row in _rows(queryset):
        sheet.append([_xlsx_cell(v) for v in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response


REPORT_COLUMNS = (
    "row",
    "email",
    "first_name",
    "last_name",
    "result",
    "badge_id",
    "badge_url",
    "email_status",
    "message",
)


def _report_rows(batch):
    """One line per row of the assignment, in order: the badges issued (numbered by
    their batch key, or by issue order for an assignment done at once), then merged
    with the rows that failed."""
    from core.models import OutboundEmail

    issued = []
    queryset = batch.assertions.order_by("pk").values_list(
        "pk",
        "idempotency_key",
        "recipient_email",
        "recipient_first_name",
        "recipient_last_name",
        "entity_id",
    )
    email_status = {}
    for assertion_id, status in (
        OutboundEmail.objects.filter(assertion__batch=batch)
        .order_by("pk")
        .values_list("assertion_id", "status")
    ):
        email_status[assertion_id] = status  # the newest row of a resent email wins
    for position, (pk, key, email, first, last, entity_id) in enumerate(queryset, start=1):
        number = position
        if key.startswith(f"batch:{batch.entity_id}:"):
            number = int(key.rsplit(":", 1)[1])
        issued.append(
            (
                number,
                [
                    number,
                    email,
                    first,
                    last,
                    "issued",
                    entity_id,
                    f"{settings.SITE_URL}/public/assertions/{entity_id}",
                    email_status.get(pk, "not sent" if not batch.notify else "pending"),
                    "",
                ],
            )
        )
    failed = [
        (
            error.get("row") or 0,
            [error.get("row") or "", "", "", "", "failed", "", "", "", error.get("message", "")],
        )
        for error in batch.errors or []
    ]
    for _, line in sorted(issued + failed, key=lambda item: item[0]):
        yield line


def batch_report_response(batch) -> StreamingHttpResponse:
    """The per-row report of an assignment as CSV, cells neutralised as above."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(REPORT_COLUMNS)
        for row in _report_rows(batch):
            yield writer.writerow(["" if v is None else neutralise(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="assignment-{batch.entity_id}-report.csv"'
    )
    return response
