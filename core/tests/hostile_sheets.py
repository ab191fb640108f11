"""Hostile spreadsheets, built by hand so that each carries exactly one trick: the unit
tests of core.spreadsheets and the security tests of the pages that take uploads
share them. Each builder says what the file does to a reader that trusts it."""

import signal
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.tests.hostile_archives import zip_of

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = {
    "xl/workbook.xml": "sheet.main",
    "xl/worksheets/sheet1.xml": "worksheet",
    "xl/sharedStrings.xml": "sharedStrings",
    "xl/styles.xml": "styles",
}
RELATED = {
    "xl/worksheets/sheet1.xml": "worksheet",
    "xl/sharedStrings.xml": "sharedStrings",
    "xl/styles.xml": "styles",
}
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE_RELS}">
<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELS}">
<sheets><sheet name="Earners" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""


def _content_types(names) -> str:
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.{TYPES[name]}+xml"/>'
        for name in names
        if name in TYPES
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        f'ContentType="application/xml"/>{overrides}</Types>'
    )


def _workbook_rels(names) -> str:
    # the sheet first: WORKBOOK names it rId1
    related = "".join(
        f'<Relationship Id="rId{n}" Type="{RELS}/{RELATED[name]}" '
        f'Target="{name.removeprefix("xl/")}"/>'
        for n, name in enumerate((name for name in RELATED if name in names), start=1)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">{related}</Relationships>'  # noqa: E501


STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="{MAIN}">
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>
</styleSheet>"""
STRINGS = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}"><si><t>email</t></si></sst>'
HEADER_ROW = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
INLINE_HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'


def sheet_xml(rows: str | Iterable[str], dimension: str | None = "A1:A1", before: str = "") -> str:
    """A worksheet with `rows` (XML of <row> elements) in its sheetData."""
    rows = rows if isinstance(rows, str) else "".join(rows)
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{declared}'
        f"{before}<sheetData>{rows}</sheetData></worksheet>"
    )


def number_rows(count: int, first: int = 2) -> Iterable[str]:
    """Rows of one number each, numbered from `first` (cheaper to read than text)."""
    for number in range(first, first + count):
        yield f'<row r="{number}"><c r="A{number}"><v>{number}</v></c></row>'


def email_rows(count: int, first: int = 2) -> Iterable[str]:
    """Rows of one earner each (an inline-string email), numbered from `first`."""
    for number in range(first, first + count):
        yield (
            f'<row r="{number}"><c r="A{number}" t="inlineStr">'
            f"<is><t>p{number}@example.org</t></is></c></row>"
        )


def xlsx(
    sheet: str | None = None,
    *,
    parts: dict[str, bytes | str | Iterable[bytes]] | None = None,
    minimal: bool = False,
) -> bytes:
    """A workbook of one sheet; `parts` add or replace parts (an iterable of byte chunks
    is written as it comes, so a bomb need not be held in memory to be built). A minimal
    one has no styles and no shared strings: its header must be an inline string."""
    contents: dict[str, bytes | str | Iterable[bytes]] = {
        "xl/workbook.xml": WORKBOOK,
        "xl/worksheets/sheet1.xml": sheet
        or sheet_xml(HEADER_ROW + "".join(email_rows(2)), dimension="A1:A3"),
    }
    if not minimal:
        contents.update({"xl/styles.xml": STYLES, "xl/sharedStrings.xml": STRINGS})
    contents.update(parts or {})
    contents.update(
        {
            "[Content_Types].xml": _content_types(contents),
            "_rels/.rels": ROOT_RELS,
            "xl/_rels/workbook.xml.rels": _workbook_rels(contents),
        }
    )
    return zip_of(contents)


def repeated(head: bytes, unit: bytes, times: int, tail: bytes) -> Iterable[bytes]:
    """head + unit * times + tail, in chunks of about a megabyte."""
    yield head
    per_chunk = max(1, (1 << 20) // len(unit))
    while times > 0:
        count = min(times, per_chunk)
        yield unit * count
        times -= count
    yield tail


# --- the hostile files -------------------------------------------------------------------


def declared_huge(rows: int = 10_000) -> bytes:
    """About 2 KB: a sheet that declares 16,384 x 1,048,576 cells and holds `rows` rows
    (repeated, so they compress hundreds of times). openpyxl's read-only mode gives every
    row as wide as the declaration: 16,384 cells a row (the import's old reader took 22 s
    and 1.25 GB to read it)."""
    repeated_rows = "<row><c><v>1</v></c></row>" * rows
    sheet = sheet_xml(INLINE_HEADER_ROW + repeated_rows, dimension="A1:XFD1048576")
    return xlsx(sheet, minimal=True)


def lying_dimension(rows: int) -> bytes:
    """A sheet that declares A1:A2 and holds a header and `rows` rows. openpyxl stops at
    the declared last row: a reader that trusts it reads one row under the header."""
    return xlsx(sheet_xml(HEADER_ROW + "".join(number_rows(rows)), dimension="A1:A2"))


def shared_strings_bomb(megabytes: int = 115) -> bytes:
    """About 300 KB whose shared strings expand to `megabytes` (a string per 17 bytes;
    openpyxl keeps every one in a list: the finding's 48 s and +300 MB)."""
    unit = b"<si><t>x</t></si>"
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
    strings = repeated(head, unit, megabytes * (1 << 20) // len(unit), b"</sst>")
    return xlsx(parts={"xl/sharedStrings.xml": strings})


def theme_bomb(megabytes: int = 200) -> bytes:
    """A theme part that expands to `megabytes` of spaces: openpyxl keeps the theme as
    bytes, so a reader that trusts the zip holds all of it in memory."""
    theme = repeated(b"<a:theme>", b" " * 1024, megabytes * 1024, b"</a:theme>")
    return xlsx(parts={"xl/theme/theme1.xml": theme})


def styles_bomb(cell_formats: int = 150_000) -> bytes:
    """A few KB of styles holding `cell_formats` empty <xf/> elements (750 KB: little
    enough that no size or ratio limit applies); openpyxl makes an object of each
    (400,000 took 36 s and 240 MB)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><cellXfs>'
    return xlsx(
        parts={
            "xl/styles.xml": repeated(
                head.encode(), b"<xf/>", cell_formats, b"</cellXfs></styleSheet>"
            )
        }
    )


def unread_bomb(megabytes: int = 200) -> bytes:
    """A part openpyxl never reads (an image) that expands to `megabytes` of zeros."""
    return xlsx(parts={"xl/media/image1.png": repeated(b"", b"\0" * 1024, megabytes * 1024, b"")})


def ratio_bomb() -> bytes:
    """Shared strings of 8 MB (under the total limit) from about 20 KB."""
    return shared_strings_bomb(megabytes=8)


def lying_directory() -> bytes:
    """The zip's directory says the sheet expands to 1 KB; it expands to 20 MB."""
    rows = '<row><c t="n"><v>1</v></c></row>' * (20 * (1 << 20) // 31)
    data = bytearray(xlsx(sheet_xml(HEADER_ROW + rows)))
    name = b"xl/worksheets/sheet1.xml"
    at = data.rfind(b"PK\x01\x02", 0, data.rfind(name))  # its central directory entry
    data[at + 24 : at + 28] = (1024).to_bytes(4, "little")  # uncompressed size
    return bytes(data)


def many_parts(count: int = 5000) -> bytes:
    return xlsx(parts={f"xl/media/{n}.bin": b"" for n in range(count)})


def wide_row(cells: int = 200_000) -> bytes:
    """One row of `cells` empty cells, no dimension: openpyxl holds a row whole."""
    return xlsx(sheet_xml(HEADER_ROW + "<row>" + "<c/>" * cells + "</row>", dimension=None))


def far_row() -> bytes:
    """A header and one earner in the sheet's last row, no dimension: a reader yields a
    million empty rows in between."""
    return xlsx(sheet_xml(HEADER_ROW + "".join(email_rows(1, first=1_048_576)), dimension=None))


def entity_bomb() -> bytes:
    """The billion laughs in the sheet."""
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(8)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet xmlns="{MAIN}">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&i;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return xlsx(sheet)


# --- measuring ---------------------------------------------------------------------------


class TookTooLong(BaseException):
    """Raised in the middle of whatever runs when its time is up; a BaseException, so
    that no `except Exception` on the way swallows it."""


@dataclass
class Measured:
    seconds: float = 0.0
    peak_bytes: int = 0


@contextmanager
def bounded(seconds: float, *, memory: bool = False) -> Iterator[Measured]:
    """Run the block for at most `seconds` (SIGALRM interrupts it: code that would hold
    the process for minutes fails the test at once) and measure its time and, with
    `memory`, its peak of Python allocations (tracemalloc slows the block down)."""

    def interrupt(signum, frame):
        raise TookTooLong(f"still running after {seconds} s")

    measured = Measured()
    previous = signal.signal(signal.SIGALRM, interrupt)
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield measured
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        measured.seconds = time.perf_counter() - start
        if memory:
            measured.peak_bytes = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
