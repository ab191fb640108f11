"""Earner lists for the assign wizard: reading files, mapping columns, checking rows."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from assertions.tests.factories import AssertionFactory
from assign import files as assign_files
from assign.files import FileRefused, Table
from templates_app.tests.factories import BadgeTemplateFactory


def upload(data: bytes, name="earners.csv"):
    return SimpleUploadedFile(name, data, "text/csv")


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading ---------------------------------------------------------------------------


def test_a_plain_csv_is_read_with_its_header_and_spreadsheet_row_numbers():
    table = assign_files.read_upload(
        upload(b"first_name,last_name,email\nAda,Lovelace,ada@example.org\n\nAlan,Turing,a@t.org\n")
    )
    assert table.has_header
    assert table.columns == ["first_name", "last_name", "email"]
    # the blank line 3 is skipped but the numbering follows the file
    assert table.rows == [
        (2, ["Ada", "Lovelace", "ada@example.org"]),
        (4, ["Alan", "Turing", "a@t.org"]),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \r\n\n", "The file is empty."),
        (b"email,first_name,last_name\n", "a header but no earners"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel (.xls)"),
        (bytes(range(256)) * 20, "binary file"),
        (b"PK\x03\x04garbage-not-a-zip", "could not be read as an Excel"),
    ],
)
def test_bad_files_are_refused_with_a_message(data, message):
    with pytest.raises(FileRefused) as caught:
        assign_files.read_upload(upload(data))
    assert message in caught.value.message
    assert caught.value.field_errors["file"]


def test_a_file_over_the_size_limit_is_refused_with_its_size():
    # a 50 MB file: refused on its size, before it is read
    big = SimpleUploadedFile("big.csv", b"", "text/csv")
    big.size = 50 * 1024 * 1024
    with pytest.raises(FileRefused) as caught:
        assign_files.read_upload(big)
    assert "50.0 MB" in caught.value.message
    assert "10.0 MB" in caught.value.message


def test_a_file_just_over_the_limit_is_refused_even_if_its_size_is_misreported():
    data = b"email\n" + b"x@example.org\n" * (assign_files.MAX_UPLOAD_BYTES // 14 + 10)
    lying = SimpleUploadedFile("big.csv", data, "text/csv")
    lying.size = 100
    with pytest.raises(FileRefused, match="larger than"):
        assign_files.read_upload(lying)


def test_latin1_and_windows_1252_accents_are_read_correctly():
    text = "Nome;Cognome;E-mail\nNiccolò;Caffè;nico@example.it\nFrançois;Müller;f@example.fr\n"
    table = assign_files.read_upload(upload(text.encode("latin-1")))
    assert table.rows[0][1] == ["Niccolò", "Caffè", "nico@example.it"]
    assert table.rows[1][1][:2] == ["François", "Müller"]
    assert "semicolon" in table.source
    # Excel on Windows: cp1252 has curly quotes and the euro sign where Latin-1 has none
    table = assign_files.read_upload(
        upload("name,email\n\u2018Zoë\u2019 €,z@example.org\n".encode("cp1252"))
    )
    assert table.rows[0][1][0] == "\u2018Zoë\u2019 €"


def test_utf8_with_a_bom_and_utf16_are_read():
    text = "email,first_name,last_name\nz@example.org,Zoë,Ñúñez\n"
    for data in (text.encode("utf-8-sig"), text.encode("utf-16")):
        table = assign_files.read_upload(upload(data))
        assert table.columns[0] == "email"
        assert table.rows[0][1] == ["z@example.org", "Zoë", "Ñúñez"]


def test_xlsx_is_read_from_the_first_sheet_with_values_as_text():
    data = xlsx(
        [["E-mail", "Nome", "Cognome", "Matricola"], ["a@example.it", "Anna", "Rossi", 1234]]
    )
    table = assign_files.read_upload(upload(data, "earners.xlsx"))
    assert table.columns == ["E-mail", "Nome", "Cognome", "Matricola"]
    assert table.rows == [(2, ["a@example.it", "Anna", "Rossi", "1234"])]


def test_pasted_rows_without_a_header_are_mapped_by_content():
    table = assign_files.read_pasted(
        "Ada\tLovelace\tada@example.org\nAlan\tTuring\talan@example.org"
    )
    assert not table.has_header
    assert table.rows[0][0] == 1
    assert assign_files.guess_mapping(table) == {
        "email": 2,
        "first_name": 0,
        "last_name": 1,
        "language": None,
    }


def test_nothing_pasted_is_refused():
    with pytest.raises(FileRefused, match="Paste at least one row"):
        assign_files.read_pasted("  \n ")


def test_more_earners_than_the_limit_are_refused(settings):
    data = b"email\n" + b"".join(b"p%d@example.org\n" % i for i in range(10_001))
    with pytest.raises(FileRefused, match="more than 10,000"):
        assign_files.read_upload(upload(data))


# --- mapping and checks ----------------------------------------------------------------


def test_italian_headers_are_mapped_and_other_columns_become_metadata():
    table = Table(
        columns=["Nome", "Cognome", "E-mail", "Matricola"],
        rows=[(2, ["Anna", "Rossi", "Anna@Example.it", "S-1"])],
        has_header=True,
    )
    mapping = assign_files.guess_mapping(table)
    assert mapping == {"email": 2, "first_name": 0, "last_name": 1, "language": None}
    rows = assign_files.earner_rows(table, mapping)
    assert rows == [
        {
            "row": 2,
            "email": "Anna@Example.it",
            "first_name": "Anna",
            "last_name": "Rossi",
            "language": "",
            "metadata": {"Matricola": "S-1"},
        }
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Lingua", "language", "Language"])
def test_a_language_column_gives_each_earner_a_language(header):
    # given a list with a language column, in the codes or names people write
    table = Table(
        columns=["Nome", "Cognome", "Email", header],
        rows=[
            (2, ["Anna", "Rossi", "anna@example.it", "Italiano"]),
            (3, ["Bob", "Lee", "bob@example.org", "EN"]),
            (4, ["Cy", "Ray", "cy@example.org", ""]),
            (5, ["Di", "Fox", "di@example.org", "Klingon"]),
        ],
        has_header=True,
    )
    mapping = assign_files.guess_mapping(table)
    assert mapping["language"] == 3
    template = BadgeTemplateFactory()
    checked = assign_files.check_rows(
        assign_files.earner_rows(table, mapping), issuer=template.issuer
    )
    # then the languages are read, blank is the issuer's, and an unknown one is a problem
    assert [(r["email"], r["language"]) for r in checked.valid] == [
        ("anna@example.it", "it"),
        ("bob@example.org", "en"),
        ("cy@example.org", ""),
    ]
    (problem,) = checked.problems
    assert problem.row == 5
    assert "Klingon" in problem.message


def test_a_mapping_must_name_the_email_column_and_use_each_column_once():
    table = Table(columns=["a", "b"], rows=[(2, ["x", "y"])], has_header=True)
    with pytest.raises(Exception, match="not mapped") as caught:
        assign_files.clean_mapping(table, {"email": "", "first_name": "0", "last_name": "0"})
    assert set(caught.value.field_errors) == {"email", "non_field_errors"}


@pytest.mark.django_db
def test_every_problem_is_listed_with_its_row_number():
    template = BadgeTemplateFactory()
    AssertionFactory(template=template, recipient_email="holder@example.org")
    rows = [
        {"row": 2, "email": "ok@example.org", "first_name": "Ok", "last_name": "One"},
        {"row": 3, "email": "not-an-email", "first_name": "Bad", "last_name": "Email"},
        {"row": 4, "email": "", "first_name": "No", "last_name": "Email"},
        {"row": 5, "email": "noname@example.org", "first_name": "", "last_name": ""},
        {"row": 6, "email": "OK@example.org", "first_name": "Ok", "last_name": "Again"},
        {"row": 7, "email": "holder@example.org", "first_name": "Has", "last_name": "It"},
    ]
    checked = assign_files.check_rows(rows, issuer=template.issuer, template=template)
    assert [r["email"] for r in checked.valid] == ["ok@example.org"]
    problems = {p.row: p.message for p in checked.problems}
    assert problems[3] == '"not-an-email" is not a valid email.'
    assert problems[4] == "The email is missing."
    assert problems[5] == "The first name is missing. The last name is missing."
    assert problems[6] == "ok@example.org is also in row 2."
    assert problems[7] == "holder@example.org already holds this badge."
    assert [p.row for p in checked.problems] == [3, 4, 5, 6, 7]


def test_too_much_pasted_text_is_refused_with_a_message():
    with pytest.raises(FileRefused, match="upload it as a file"):
        assign_files.read_pasted("a@example.org\n" * 100_000)
