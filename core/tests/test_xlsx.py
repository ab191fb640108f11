"""core.xlsx: a sheet written while it is sent, read back by a real reader (openpyxl)."""

import io
import secrets
import warnings
import zipfile

import openpyxl
import pytest

from core.xlsx import BLOCK, xlsx_stream


def _read(blocks) -> tuple[str, list[tuple]]:
    data = b"".join(blocks)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a part the reader had to make up is a warning
        workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    return sheet.title, list(sheet.values)


def test_values_come_back_as_written():
    # Given text that XML must escape, spaces at the ends, other alphabets, numbers,
    # booleans and empty cells, in rows of different lengths
    rows = [
        ['<b>"Tom" & Jerry</b>', "  padded  ", "Zoë 日本", 0, -12, 1.5, True, False, None],
        ["only one"],
        [None, "", "third"],
    ]
    # When they are written
    title, values = _read(xlsx_stream(["name", "b", "c"], rows, sheet='Badges <&> "2026"'))
    # Then a reader finds each value as it was, in its column
    assert title == 'Badges <&> "2026"'
    assert values[0][:3] == ("name", "b", "c")
    assert values[1] == tuple(rows[0][:-1])  # the sheet ends at its last cell with a value
    assert values[2][0] == "only one"
    assert values[3][:3] == (None, None, "third")


def test_the_first_bytes_leave_before_the_rows_are_all_read():
    read = []

    def rows():
        for i in range(20_000):
            read.append(i)
            yield [f"learner{i}@example.com", secrets.token_hex(8), f"Lovelace {i}", i]

    stream = xlsx_stream(["email", "first", "last", "n"], rows(), sheet="S")
    first = next(stream)
    assert first.startswith(b"PK")  # a zip's first entry
    assert len(read) < 20_000
    blocks = [first, *stream]
    assert len(blocks) > 3
    assert max(len(block) for block in blocks[:-1]) < 4 * BLOCK
    _title, values = _read(blocks)
    assert len(values) == 20_001
    assert values[-1][::2] == ("learner19999@example.com", "Lovelace 19999")


def test_a_value_a_cell_cannot_hold_is_refused():
    with pytest.raises(TypeError, match="dict"):
        b"".join(xlsx_stream(["a"], [[{"x": 1}]], sheet="S"))
