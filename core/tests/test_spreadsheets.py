"""core.spreadsheets: every limit refuses its hostile file quickly, with a sentence, and
without holding memory; files within the limits are read whole."""

import io
import re
import zipfile
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from core import spreadsheets
from core.spreadsheets import SpreadsheetRefused, TooManyRows, read_spreadsheet, read_text
from core.tests import hostile_sheets as hostile

LIMITS = {"max_rows": 10_001, "max_columns": 50}
MB = 1024 * 1024


def workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (hostile.declared_huge, "The file declares 1,048,576 rows; at most 10,001 are read."),
        (
            lambda: hostile.xlsx(hostile.sheet_xml(hostile.HEADER_ROW, dimension="A1:XFD2")),
            "The file declares 16,384 columns; at most 50 are read.",
        ),
        (lambda: hostile.lying_dimension(10_001), "more than 10,001 rows"),
        (hostile.shared_strings_bomb, "expands to more than 32.0 MB (xl/sharedStrings.xml alone"),
        (hostile.theme_bomb, "expands to more than 32.0 MB (xl/theme/theme1.xml alone"),
        (hostile.unread_bomb, "expands to more than 32.0 MB (xl/media/image1.png alone"),
        (hostile.ratio_bomb, "xl/sharedStrings.xml in the file expands 410 times"),
        (hostile.styles_bomb, "xl/styles.xml has more than 50,000 elements"),
        (hostile.lying_directory, "could not be read as an Excel (.xlsx) workbook (BadZipFile)"),
        (hostile.many_parts, "The file has 5,007 parts; a workbook has at most 1,000."),
        (lambda: hostile.many_parts(30_000), "zip directory is 1.8 MB"),
        (hostile.wide_row, "more than 100,000 XML elements in one row"),
        (hostile.far_row, "The file goes on past row 40,004"),
        (hostile.entity_bomb, "could not be read as an Excel (.xlsx) workbook"),
    ],
)
def test_a_hostile_workbook_is_refused_at_once_with_what_is_wrong(build, message):
    # given a workbook with one trick
    data = build()

    # when it is read
    with pytest.raises(SpreadsheetRefused) as refused, hostile.bounded(3) as measured:
        read_spreadsheet(data, **LIMITS)

    # then it is refused within the bound, saying why, on the field
    assert message in refused.value.message
    assert refused.value.field_errors == {"file": [refused.value.message]}
    assert measured.seconds < 3


@pytest.mark.parametrize(
    "build", [hostile.shared_strings_bomb, hostile.theme_bomb, hostile.styles_bomb]
)
def test_a_bomb_is_refused_before_it_is_expanded_in_memory(build):
    data = build()

    with pytest.raises(SpreadsheetRefused), hostile.bounded(10, memory=True) as measured:
        read_spreadsheet(data, **LIMITS)

    # the bombs expand to 115 MB, 200 MB and 150,000 objects
    assert measured.peak_bytes < 5 * MB


def test_rows_over_the_limit_are_refused_as_too_many_whatever_the_dimension_says():
    data = hostile.lying_dimension(10_001)  # a header and 10,001 rows, declared as 2

    with pytest.raises(TooManyRows):
        read_spreadsheet(data, **LIMITS)
    # one row fewer fits: the declared A1:A2 does not cut the sheet short
    sheet = read_spreadsheet(hostile.lying_dimension(10_000), **LIMITS)
    assert len(sheet.rows) == 10_001
    assert sheet.rows[-1] == (10_001, [10_001])


def test_blank_rows_and_trailing_blank_cells_count_for_nothing_and_numbers_are_kept():
    data = workbook(
        [["email", "name", None, None], [], [None, "  "], ["a@example.org", "Ada", None, ""]]
    )

    sheet = read_spreadsheet(data, max_rows=2, max_columns=2)

    assert sheet.rows == [(1, ["email", "name"]), (4, ["a@example.org", "Ada"])]
    assert sheet.source == "XLSX, first sheet"


def test_a_sheet_without_a_dimension_as_openpyxl_writes_our_exports_is_read_whole():
    # write-only mode (our XLSX exports) writes no <dimension>: 3,000 rows of 24 columns,
    # 150,000 elements, none of which may count as the sheet's head
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([f"column {c}" for c in range(24)])
    for n in range(3000):
        sheet.append([f"p{n}@example.org", *(f"value {n}.{c}" for c in range(23))])
    out = io.BytesIO()
    book.save(out)

    read = read_spreadsheet(out.getvalue(), max_rows=5000, max_columns=30)

    assert len(read.rows) == 3001
    assert read.rows[-1][1][:2] == ["p2999@example.org", "value 2999.0"]


def test_only_the_first_worksheet_is_read():
    # the second sheet is a bomb (a row of 200,000 cells): it is never opened
    second = hostile.sheet_xml("<row>" + "<c/>" * 200_000 + "</row>", dimension=None)
    data = hostile.xlsx(parts={"xl/worksheets/sheet2.xml": second})
    data = _with_second_sheet(data)

    read = read_spreadsheet(data, **LIMITS)

    assert read.rows == [(1, ["email"]), (2, ["p2@example.org"]), (3, ["p3@example.org"])]


def _with_second_sheet(data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename).decode()
            if info.filename == "xl/workbook.xml":
                content = content.replace(
                    "</sheets>", '<sheet name="Bomb" sheetId="2" r:id="rId9"/></sheets>'
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    "</Relationships>",
                    f'<Relationship Id="rId9" Type="{hostile.RELS}/worksheet" '
                    'Target="worksheets/sheet2.xml"/></Relationships>',
                )
            archive.writestr(info.filename, content)
    return out.getvalue()


def test_a_value_past_the_column_limit_is_refused_not_dropped():
    data = workbook([["email", "name", "extra"], ["a@example.org", "Ada", "kept?"]])

    with pytest.raises(SpreadsheetRefused, match="Row 1 has values in more than 2 columns"):
        read_spreadsheet(data, max_rows=10, max_columns=2)


def test_the_reading_gives_up_after_the_time_budget(settings):
    settings.SPREADSHEET_READ_SECONDS = 0
    for data in (workbook([["email"], ["a@example.org"]]), b"email\na@example.org\n"):
        with pytest.raises(SpreadsheetRefused, match="took longer than 0 s"):
            read_spreadsheet(data, **LIMITS)


def test_the_total_expanded_size_is_a_setting(settings):
    settings.SPREADSHEET_MAX_EXPANDED_BYTES = 2048
    data = hostile.xlsx(hostile.sheet_xml("".join(hostile.email_rows(100))))

    with pytest.raises(SpreadsheetRefused, match="expands to more than 2.0 KB"):
        read_spreadsheet(data, **LIMITS)


def test_a_part_that_decompresses_to_more_than_its_directory_says_is_refused():
    # zipfile itself stops at the size the directory gives; the meter does not rely on it
    info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
    info.file_size = 10
    reading = spreadsheets._Reading(field="file", **LIMITS)
    archive = SimpleNamespace(reading=reading, strings=False)
    part = spreadsheets._Part(io.BytesIO(b"<row/>" * 100), info, archive)

    with pytest.raises(SpreadsheetRefused, match="larger than the zip's directory says"):
        part.read()


# --- CSV -------------------------------------------------------------------------------


def test_a_csv_of_a_million_rows_is_refused_at_the_first_row_over_the_limit():
    data = b"email\n" + b"".join(b"p%d@example.org\n" % n for n in range(1_000_000))

    with pytest.raises(TooManyRows), hostile.bounded(3, memory=True) as measured:
        read_spreadsheet(data, **LIMITS)

    assert measured.peak_bytes < 10 * MB  # the text is 21 MB; it is never decoded whole


def test_a_csv_line_longer_than_the_limit_is_refused_before_it_is_split():
    data = b"ab," * (3 * MB)  # one line, 3 million fields

    with pytest.raises(SpreadsheetRefused) as refused, hostile.bounded(3, memory=True) as m:
        read_spreadsheet(data, **LIMITS)

    assert refused.value.message == "Line 1 of the file is longer than 262,144 characters."
    assert m.peak_bytes < 10 * MB


def test_a_quote_that_is_never_closed_is_refused_with_the_cell_limit():
    data = b'email,name\na@example.org,"' + b"x\n" * 100_000

    with pytest.raises(SpreadsheetRefused, match="longer than 131,072 characters"):
        read_spreadsheet(data, **LIMITS)


def test_a_csv_is_read_in_its_encoding_with_its_delimiter_and_without_nul():
    cases = [
        ("email;nome\nnico@example.it;Niccolò\n".encode("cp1252"), "semicolon", "Windows-1252"),
        ("email\tnome\nz@example.org\tZoë\n".encode("utf-16"), "tab", "UTF-16"),
        ("email,nome\nz@example.org,Zoë\n".encode("utf-8-sig"), "comma", "UTF-8"),
    ]
    for data, delimiter, encoding in cases:
        sheet = read_spreadsheet(data, **LIMITS)
        assert sheet.rows[1][1][1] in ("Niccolò", "Zoë")
        assert sheet.source == f"CSV, {delimiter}-separated, {encoding}"
    assert read_spreadsheet(b"email\nA\x00B@example.org\n", **LIMITS).rows[1] == (
        2,
        ["AB@example.org"],
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"  \n", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "old Excel (.xls)"),
        (b"%PDF-1.7", "This is a PDF, not a spreadsheet."),
        ("email".encode("utf-16-le") * 100, "binary file"),
        (b"\xff\xfe" + b"\x00\xd8" * 10, "says it is UTF-16 but is not"),
    ],
)
def test_what_is_not_a_spreadsheet_is_refused_with_what_it_is(data, message):
    with pytest.raises(SpreadsheetRefused, match=re.escape(message)):
        read_spreadsheet(data, **LIMITS)


def test_a_file_named_xlsx_that_is_not_a_zip_is_refused_as_a_workbook():
    with pytest.raises(SpreadsheetRefused, match="could not be read as an Excel"):
        read_spreadsheet(b"email\na@example.org\n", name="old.XLSX", **LIMITS)


def test_pasted_text_names_its_own_field_and_has_the_same_limits():
    with pytest.raises(TooManyRows) as refused:
        read_text("a@example.org\n" * 12, max_rows=10, max_columns=5)
    assert list(refused.value.field_errors) == ["pasted"]
    sheet = read_text("a\tb\nc\td\n", max_rows=10, max_columns=5)
    assert sheet.rows == [(1, ["a", "b"]), (2, ["c", "d"])]
    assert sheet.source == "pasted rows, tab-separated"
