"""Spreadsheets that people upload (CSV, XLSX, pasted rows), read in bounded time and
memory: the one reader behind the assign wizard's earner lists and the import of past
awards. A file over any limit is refused with a sentence naming the problem; rows come
back whole or not at all, never cut short.

XLSX is a zip of XML parts, and the work openpyxl does grows with what the parts expand
to, not with the upload's size. So:

- The zip is opened by core.zips, which checks it before zipfile reads its directory and
  again after: the directory's size (MAX_DIRECTORY_BYTES), the number of parts
  (MAX_PARTS), the total expanded size (settings.SPREADSHEET_MAX_EXPANDED_BYTES) and the
  compression ratio of every part over RATIO_FLOOR_BYTES (MAX_RATIO). This stops zip and
  shared-strings bombs before anything is decompressed.
- openpyxl then reads through core.zips' metered zip, because the directory can lie: no
  part may yield more than its directory entry says; the time budget is checked at every
  chunk. On top of it, the parts openpyxl parses whole into objects (styles,
  workbook, relationships) may hold MAX_WHOLE_ELEMENTS elements in all (400,000 `<xf/>`
  in a 7.8 KB file took 36 s and 240 MB); the sheet holds at most MAX_ROW_ELEMENTS
  elements between two rows (openpyxl keeps a row whole in memory).
- Only the first worksheet is opened (openpyxl sizes every sheet on load, and one without
  a `<dimension>` by reading it to its end). Its declared size may be at most
  DECLARED_SLACK times the row and column limits. The declaration can be absent or
  wrong, so it is then ignored: rows are streamed (read-only mode), at most
  `max_columns` + 1 columns of each (a sheet declaring 16,384 columns would otherwise
  give 16,384 cells a row), and the reading stops at the first row over the limits.

CSV is decoded as it is read: a line holds at most MAX_LINE_CHARS characters, a field
MAX_FIELD_CHARS, and reading stops at the first row over the limits.

Everything gives up after settings.SPREADSHEET_READ_SECONDS.
"""

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
from openpyxl.xml.functions import iterparse

from core.exceptions import ApplicationError
from core.zips import ZIP_MAGIC, Budget, Member, MeteredZip, Wording, ZipLimits, zip_open

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files
BINARY_MAGIC = {
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
}

MAX_DIRECTORY_BYTES = 1024 * 1024  # zipfile builds an object per entry before any check
MAX_PARTS = 1000  # a workbook has a dozen; one with many sheets and images, a few hundred
MAX_RATIO = 100  # real sheets compress 5 to 20 times; bombs a thousand
RATIO_FLOOR_BYTES = 1024 * 1024  # smaller parts may compress as well as they like
UNREADABLE = gettext_lazy(
    "The file could not be read as an Excel (.xlsx) workbook (%(problem)s). Save it "
    "again, or as CSV."
)
WORKBOOK_WORDING = Wording(
    unreadable=UNREADABLE,
    broken_member=UNREADABLE,
    directory=gettext_lazy(
        "The file's zip directory is %(size)s; a workbook's is at most %(limit)s."
    ),
    members=gettext_lazy("The file has %(count)s parts; a workbook has at most %(limit)s."),
    expanded=gettext_lazy(
        "The spreadsheet expands to more than %(limit)s (%(member)s alone is %(size)s); "
        "save the sheet on its own or as CSV."
    ),
    ratio=gettext_lazy(
        "%(member)s in the file expands %(ratio)s times, from %(packed)s to %(size)s; a "
        "spreadsheet's parts expand at most %(limit)s times."
    ),
    overrun=gettext_lazy("%(member)s in the file is larger than the zip's directory says."),
    encrypted=gettext_lazy(
        "%(member)s in the file is encrypted; save the workbook without a password."
    ),
    slow=gettext_lazy(
        "Reading the file took longer than %(seconds)s s; split it into smaller files, or "
        "save it as CSV."
    ),
)
MAX_WHOLE_ELEMENTS = 50_000  # openpyxl makes an object of each: 50,000 <xf/> take 1-2 s
MAX_ROW_ELEMENTS = 100_000  # a row of Excel's widest (16,384 cells) has about 65,000
DECLARED_SLACK = 4
MAX_LINE_CHARS = 256 * 1024
MAX_FIELD_CHARS = 128 * 1024
SNIFF_CHARS = 4096  # csv.Sniffer is quadratic on some text: 4 KB costs it 0.15 s at worst
MEGABYTE = 1024 * 1024


class SpreadsheetRefused(ApplicationError):
    """The file (or pasted text) cannot be used; the message says why."""

    default_code = "file_refused"


class TooManyRows(SpreadsheetRefused):
    """More rows with values than the caller's limit; callers may say so in their words."""


@dataclass
class Sheet:
    """The rows with a value, each with its number as a spreadsheet shows it, and a
    description of what was read ("XLSX, first sheet", "CSV, comma-separated, UTF-8")."""

    rows: list[tuple[int, list]]
    source: str


def read_spreadsheet(
    data: bytes, *, max_rows: int, max_columns: int, name: str = "", field: str = "file"
) -> Sheet:
    """The rows of a CSV or XLSX file. Cells of a CSV are text; those of an XLSX are what
    openpyxl gives (text, numbers, booleans, dates and times). Errors name `field`."""
    reading = _Reading(field=field, max_rows=max_rows, max_columns=max_columns)
    if not data or data.isspace():
        reading.refuse(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(data, reading)
    if data.startswith(OLE2_MAGIC):
        reading.refuse(
            _("This is an old Excel (.xls) file. Save it as .xlsx or CSV and upload that.")
        )
    for magic, what in BINARY_MAGIC.items():
        if data.startswith(magic):
            reading.refuse(
                _("This is %(what)s, not a spreadsheet. Upload a CSV or XLSX file.")
                % {"what": what}
            )
    if name.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, reading)  # not a zip: refused with the reason
    encoding, label = _encoding(data, reading)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    return _read_csv(stream, reading, kind="CSV", encoding=label)


def read_text(
    text: str, *, max_rows: int, max_columns: int, field: str = "pasted", kind: str = "pasted rows"
) -> Sheet:
    """The rows of CSV or tab-separated text (rows pasted from a spreadsheet)."""
    reading = _Reading(field=field, max_rows=max_rows, max_columns=max_columns)
    return _read_csv(io.StringIO(text, newline=""), reading, kind=kind, encoding="")


# --- the limits of one reading ---------------------------------------------------------


class _Reading(Budget):
    def __init__(self, *, field: str, max_rows: int, max_columns: int):
        super().__init__(
            seconds=settings.SPREADSHEET_READ_SECONDS,
            field=field,
            slow=WORKBOOK_WORDING.slow,
            kind=SpreadsheetRefused,
        )
        self.max_rows = max_rows
        self.max_columns = max_columns
        self.whole_elements = 0
        self.row_elements = 0

    def rows(self, rows: Iterable[Sequence]) -> list[tuple[int, list]]:
        """The rows with a value, numbered from 1, each without its trailing blank cells;
        refused at the first row past the limits, before reading further."""
        last_number = self.max_rows * DECLARED_SLACK
        found = []
        for number, values in enumerate(rows, start=1):
            self.tick()
            self.row_elements = 0
            if number > last_number:
                self.refuse(
                    _("The file goes on past row %(row)s; at most %(limit)s rows are read.")
                    % {"row": f"{last_number:,}", "limit": f"{self.max_rows:,}"}
                )
            end = len(values)
            while end:  # inline: openpyxl pads every row to max_columns + 1
                value = values[end - 1]
                if value is not None and not (isinstance(value, str) and value.strip() == ""):
                    break
                end -= 1
            if not end:
                continue
            if end > self.max_columns:
                self.refuse(
                    _(
                        "Row %(row)s has values in more than %(limit)s columns; at most "
                        "%(limit)s are read."
                    )
                    % {"row": f"{number:,}", "limit": f"{self.max_columns:,}"}
                )
            if len(found) == self.max_rows:
                self.refuse(
                    _("The file has more than %(limit)s rows; at most %(limit)s are read.")
                    % {"limit": f"{self.max_rows:,}"},
                    TooManyRows,
                )
            found.append((number, [_clean(v) for v in values[:end]]))
        return found


def _clean(value):
    # PostgreSQL cannot store NUL in text or JSON
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


# --- CSV -------------------------------------------------------------------------------


def _encoding(data: bytes, reading: _Reading) -> tuple[str, str]:
    """(codec, name shown): UTF-16 with a byte-order mark, UTF-8 (with or without one),
    else Windows-1252, else Latin-1 - what spreadsheets on Windows save."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16"
    for codec, label in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        if _decodes(data, codec, reading):
            return codec, label
    return "latin-1", "Latin-1"


def _decodes(data: bytes, codec: str, reading: _Reading) -> bool:
    """Whether all of `data` is text in `codec`, checked a megabyte at a time."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    for start in range(0, len(data), MEGABYTE):
        reading.tick()
        try:
            decoder.decode(view[start : start + MEGABYTE], final=start + MEGABYTE >= len(data))
        except UnicodeDecodeError:
            return False
    return True


def _read_csv(stream: io.TextIOBase, reading: _Reading, *, kind: str, encoding: str) -> Sheet:
    try:
        head = stream.read(SNIFF_CHARS)
        stream.seek(0)
    except UnicodeDecodeError:
        _not_utf16(reading)
    if encoding:
        controls = sum(1 for ch in head if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t")
        if controls > 8:
            reading.refuse(
                _("This is a binary file, not a spreadsheet. Upload a CSV or XLSX file.")
            )
    delimiter = _delimiter(head)
    # Process-wide, but no code of ours wants another value.
    csv.field_size_limit(MAX_FIELD_CHARS)
    records = csv.reader(_lines(stream, reading), delimiter=delimiter)
    try:
        rows = reading.rows(records)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            reading.refuse(
                _(
                    "A cell of the file is longer than %(limit)s characters (a quote that is "
                    "never closed?)."
                )
                % {"limit": f"{MAX_FIELD_CHARS:,}"}
            )
        reading.refuse(_("The file could not be read as CSV: %(problem)s.") % {"problem": exc})
    shown = {",": _("comma"), ";": _("semicolon"), "\t": _("tab"), "|": _("bar")}[delimiter]
    source = _("%(kind)s, %(delimiter)s-separated") % {"kind": kind, "delimiter": shown}
    return Sheet(rows=rows, source=f"{source}, {encoding}" if encoding else source)


def _delimiter(head: str) -> str:
    sample = head[: head.rfind("\n") + 1] or head  # whole lines, when there are any
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return "\t" if "\t" in sample else ","


def _lines(stream: io.TextIOBase, reading: _Reading):
    number = 0
    while True:
        reading.tick()
        try:
            line = stream.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError:
            _not_utf16(reading)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS:
            reading.refuse(
                _("Line %(line)s of the file is longer than %(limit)s characters.")
                % {"line": f"{number:,}", "limit": f"{MAX_LINE_CHARS:,}"}
            )
        yield line


def _not_utf16(reading: _Reading) -> NoReturn:
    reading.refuse(_("The file says it is UTF-16 but is not; save it as UTF-8."))


# --- XLSX ------------------------------------------------------------------------------


def _read_xlsx(data: bytes, reading: _Reading) -> Sheet:
    limits = ZipLimits(
        max_members=MAX_PARTS,
        max_expanded=settings.SPREADSHEET_MAX_EXPANDED_BYTES,
        max_directory=MAX_DIRECTORY_BYTES,
        max_ratio=MAX_RATIO,
        ratio_floor=RATIO_FLOOR_BYTES,
        wording=WORKBOOK_WORDING,
    )
    with zip_open(data, limits=limits, budget=reading, zip_class=_MeteredZip) as archive:
        try:
            reader = _WorkbookReader(data, archive)
            reader.read()
        except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
            if reading.refusal:
                raise reading.refusal from None
            reading.refuse(str(UNREADABLE) % {"problem": type(exc).__name__})
        try:
            rows = _sheet_rows(reader.wb, reading)
        except Exception as exc:
            if reading.refusal:
                raise reading.refusal from None
            reading.refuse(
                _("The workbook could not be read (%(problem)s). Save it again, or as CSV.")
                % {"problem": type(exc).__name__}
            )
    return Sheet(rows=rows, source=_("XLSX, first sheet"))


def _sheet_rows(workbook, reading: _Reading) -> list[tuple[int, list]]:
    if not workbook.worksheets:
        reading.refuse(_("The workbook has no sheet."))
    sheet = workbook.worksheets[0]
    for declared, limit, what in (
        (sheet.max_row, reading.max_rows, _("rows")),
        (sheet.max_column, reading.max_columns, _("columns")),
    ):
        if declared and declared > limit * DECLARED_SLACK:
            reading.refuse(
                _("The file declares %(declared)s %(what)s; at most %(limit)s are read.")
                % {"declared": f"{declared:,}", "what": what, "limit": f"{limit:,}"}
            )
    # The declaration may be wrong; openpyxl would stop at its last row.
    sheet.reset_dimensions()
    return reading.rows(sheet.iter_rows(max_col=reading.max_columns + 1, values_only=True))


class _MeteredZip(MeteredZip):
    """core.zips' metered zip, whose parts are read as `_Part`s."""

    strings = False  # openpyxl is reading the shared strings

    @property
    def reading(self) -> _Reading:
        return self.budget

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        if mode == "r":
            self.budget.row_elements = 0
        return super().open(name, mode, pwd, force_zip64=force_zip64)

    def member(self, stream, info: zipfile.ZipInfo) -> "_Part":
        return _Part(stream, info, self)


class _Part(Member):
    """One part being decompressed (metered by core.zips), counting the XML elements
    openpyxl will make objects of."""

    def __init__(self, stream, info: zipfile.ZipInfo, archive: _MeteredZip):
        super().__init__(stream, info, archive.reading, WORKBOOK_WORDING)
        self.whole = False
        # The shared strings become a list of text, bounded by their size and the time;
        # the sheet is counted row by row; a part read whole becomes objects.
        self.counted = not archive.strings

    def readall(self) -> bytes:
        self.whole = True  # read at once, then parsed where the budget cannot interrupt
        return super().readall()

    def chunk(self, data: bytes) -> None:
        if not self.counted:
            return
        reading = self.budget
        elements = data.count(b"<")
        if self.whole:
            reading.whole_elements += elements
            if reading.whole_elements > MAX_WHOLE_ELEMENTS:
                reading.refuse(
                    _(
                        "The workbook's %(part)s has more than %(limit)s elements; save "
                        "the sheet as CSV."
                    )
                    % {"part": self.info.filename, "limit": f"{MAX_WHOLE_ELEMENTS:,}"}
                )
        else:
            reading.row_elements += elements
            if reading.row_elements > MAX_ROW_ELEMENTS:
                reading.refuse(
                    _(
                        "The sheet has more than %(limit)s XML elements in one row (or "
                        "before its first row); save it as CSV."
                    )
                    % {"limit": f"{MAX_ROW_ELEMENTS:,}"}
                )


class _WorkbookReader(ExcelReader):
    """openpyxl's reader (read-only, values not formulas) over the metered zip."""

    def __init__(self, data: bytes, archive: _MeteredZip):
        super().__init__(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        self.archive.close()  # openpyxl's own, unmetered, zip of the same bytes
        self.archive = archive

    def read_strings(self):
        self.archive.strings = True
        try:
            super().read_strings()
        finally:
            self.archive.strings = False

    def read_worksheets(self):
        # The first worksheet only, as openpyxl's read-only branch makes it (no charts, no
        # other sheets: openpyxl would size each, and a sheet without a dimension is
        # sized by reading it to its end).
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                self.wb._sheets.append(
                    _FirstSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                )
                return


class _FirstSheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet, sized by its <dimension> alone, read up to the start
    of its rows: openpyxl's own sizing reads a sheet without one to its end."""

    def _get_size(self):
        with self._get_source() as source:
            for _event, element in iterparse(source, events=("start",)):
                if element.tag == DIMENSION_TAG:
                    bounds = range_boundaries(element.get("ref") or "")
                    self._min_column, self._min_row, self._max_column, self._max_row = bounds
                    return
                if element.tag == DATA_TAG:
                    return
