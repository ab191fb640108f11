"""Spreadsheets out: streamed CSV and XLSX with every cell safe to open.

Spreadsheets run cells that start with = + - @ (or a tab or carriage return) as
formulas, so such values get a leading apostrophe: a recipient's name cannot become a
formula in someone's Excel. Rows are written as they come, so memory does not grow with
their number (XLSX too: core.xlsx), and the worker is kept alive while they stream
(core.streaming). The badge export (the Open Badge API's badge object,
used by /api/v1 and the admin) is in assertions.api.v1.exports; an assignment's per-row
report is here.
"""

import csv

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils import timezone

from assertions.selectors import batch_rows
from core.streaming import alive
from core.xlsx import xlsx_stream

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_FLUSH_BYTES = 64 * 1024


def neutralise(value):
    """Text that a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def stamped_filename(stem: str, ext: str) -> str:
    return f"{stem}-{timezone.now():%Y%m%d-%H%M%S}.{ext}"


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of keeping it."""

    def write(self, value):
        return value


def csv_response(header, rows, filename: str) -> StreamingHttpResponse:
    """`rows` (an iterable of lists) streamed as UTF-8 CSV in blocks of ~64 KB."""
    writer = csv.writer(_Echo())

    def blocks():
        # The byte-order mark makes Excel read the file as UTF-8.
        buffer, size = ["\ufeff" + writer.writerow(header)], 0
        for row in rows:
            line = writer.writerow(["" if v is None else neutralise(v) for v in row])
            buffer.append(line)
            size += len(line)
            if size >= CSV_FLUSH_BYTES:
                yield "".join(buffer).encode("utf-8")
                buffer, size = [], 0
        if buffer:
            yield "".join(buffer).encode("utf-8")

    response = StreamingHttpResponse(alive(blocks()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The control characters the XML of a sheet cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _xlsx_cell(value):
    if isinstance(value, str):
        if not value.isprintable():  # tabs, new lines, or characters XML cannot hold
            value = value.translate(_ILLEGAL)
        return neutralise(value)
    return value


def xlsx_response(header, rows, filename: str, sheet: str) -> StreamingHttpResponse:
    """`rows` as one sheet, streamed as it is written (core.xlsx)."""
    response = StreamingHttpResponse(
        alive(xlsx_stream(header, ([_xlsx_cell(v) for v in row] for row in rows), sheet=sheet)),
        content_type=XLSX_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
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
    """One line per row of the assignment, numbered and ordered as its list (the
    uploaded file) numbers them, rejected rows included (`batch_rows`)."""
    for line in batch_rows(batch):
        yield [
            line["row"] or "",
            line["email"],
            line["first_name"],
            line["last_name"],
            line["result"],
            line["badge"],
            f"{settings.SITE_URL}/public/assertions/{line['badge']}" if line["badge"] else "",
            line["email_status"],
            line["message"],
        ]


def batch_report_response(batch) -> StreamingHttpResponse:
    """The per-row report of an assignment as CSV, cells neutralised as above."""
    return csv_response(
        REPORT_COLUMNS, _report_rows(batch), f"assignment-{batch.entity_id}-report.csv"
    )
