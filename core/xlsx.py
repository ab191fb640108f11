"""XLSX written while it is sent: one sheet of rows, streamed as they come.

An XLSX file is a zip of XML parts. Here the sheet's XML is written row by row into a
zip entry that is deflated as it goes, and what the zip holds so far is handed on in
blocks of about 64 KB (zip entries of unknown size carry their sizes after their data,
so nothing needs to go back and be rewritten). The first bytes leave before the second
row is read, memory stays that of one block whatever the number of rows, and a million
rows take seconds where openpyxl's write-only mode took minutes (it makes an object per
cell) and had to finish the file before the first byte could be sent.

Text goes in as inline strings (no shared-string table, which could only be written
once every row is known), numbers as numbers, booleans as booleans; None leaves the
cell empty. Callers make the values safe first (assertions.exports neutralises
formulas and drops the control characters XML cannot hold).
"""

import zipfile
from collections.abc import Iterable, Iterator
from itertools import chain

BLOCK = 64 * 1024
MAX_ROWS = 1_048_576  # a sheet's limit in Excel
MAX_COLUMNS = 16_384

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"


def _escaped(text: str) -> str:
    """`text` as XML text or attribute value (checked first: most need nothing, and
    str.translate with a table costs a microsecond a call)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = _escaped(value)
        space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    raise TypeError(f"An XLSX cell holds text, a number or a boolean, not {type(value).__name__}.")


class _Pipe:
    """A write-only file for zipfile that keeps what is written until it is taken."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


def xlsx_stream(header: Iterable, rows: Iterable[Iterable], *, sheet: str) -> Iterator[bytes]:
    """The XLSX file of one sheet named `sheet`: `header`, then each of `rows` (lists of
    text, numbers, booleans or None), in blocks of bytes, read as they are sent."""
    name = _escaped(sheet[:31])
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK.format(name=name))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            entry.write(_SHEET_START.encode())
            letters: list[str] = []
            lines, size = [], 0
            for number, row in enumerate(chain([header], rows), start=1):
                if number > MAX_ROWS:
                    raise ValueError(f"A sheet holds at most {MAX_ROWS:,} rows.")
                values = list(row)
                while len(letters) < len(values):
                    if len(letters) == MAX_COLUMNS:
                        raise ValueError(f"A sheet holds at most {MAX_COLUMNS:,} columns.")
                    letters.append(_column_letters(len(letters) + 1))
                cells = "".join(
                    _cell(f"{letter}{number}", value)
                    for letter, value in zip(letters, values, strict=False)
                )
                line = f'<row r="{number}">{cells}</row>'
                lines.append(line)
                size += len(line)
                if size >= BLOCK:
                    entry.write("".join(lines).encode())
                    lines, size = [], 0
                    if pipe.size >= BLOCK:
                        yield pipe.take()
            entry.write(("".join(lines) + _SHEET_END).encode())
    yield pipe.take()
