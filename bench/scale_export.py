"""Export of 1,000,000 badges of one issuer (`make bench BENCH_ARGS=--scale`), as CSV and
as XLSX (`GET /api/v1/badges/export?format=csv|xlsx`), measured as bench_export measures
100,000: the time until the last byte has arrived, and the peak resident memory (VmHWM)
of the gunicorn worker that serves it, production settings, one fresh worker per format.
Targets: under 60 s and under 200 MB each.

The million rows are made as bench_badge_list makes its million (`issuer_with_badges`:
one INSERT ... SELECT of copies of one badge, in about a minute). The file's rows are
counted: the CSV's lines as it streams, the XLSX's rows in its sheet once downloaded.
`BENCH_SCALE_EXPORT=50000` exports fewer while developing.

gunicorn runs as deployed, its worker timeout included (30 s): an export tells gunicorn
it is alive while it streams (core.streaming), so one that takes longer than that is
not cut off.
"""

import os
import tempfile
import zipfile

from bench.bench_badge_list import issuer_with_badges
from bench.bench_export import Lines, timed_export
from bench.figures import Figure
from bench.server import gunicorn

ROWS = int(os.environ.get("BENCH_SCALE_EXPORT", "1000000"))
TARGET_S = 60
TARGET_MB = 200


def _xlsx_rows(path: str) -> int:
    """The rows of the workbook's one sheet, counted in its XML as it is unzipped."""
    tag = b"<row "
    with zipfile.ZipFile(path) as book:
        (sheet,) = (n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
        rows, tail = 0, b""
        with book.open(sheet) as xml:
            while block := xml.read(1 << 20):
                # a tag cut between two blocks is counted once: the tail is too short
                # to hold a whole one
                rows += (tail + block).count(tag)
                tail = block[-(len(tag) - 1) :]
        return rows


def _figures(fmt: str, rows: int, size: int, elapsed: float, peak: float) -> list[Figure]:
    if rows != ROWS + 1:  # a header, then one row per badge
        raise RuntimeError(f"the {fmt} export has {rows:,} rows for {ROWS:,} badges")
    return [
        Figure(
            f"{fmt} export of {ROWS:,} badges ({size / 1e6:.0f} MB)",
            elapsed,
            "s",
            target=f"< {TARGET_S} s",
            passed=elapsed < TARGET_S,
        ),
        Figure(
            f"{fmt} export of {ROWS:,}: web worker peak resident memory",
            peak,
            "MB",
            target=f"< {TARGET_MB} MB",
            passed=peak < TARGET_MB,
        ),
    ]


def run(repeat: int) -> list[Figure]:  # one run each: a minute or more per export
    _issuer, _template, token, _seed, made = issuer_with_badges(ROWS)
    figures = [Figure(f"export: {ROWS:,} badges of one issuer made (INSERT ... SELECT)", made, "s")]

    csv = Lines()
    with gunicorn(workers=1) as base:
        elapsed, before, peak = timed_export(base, token, "csv", csv)
    figures.append(Figure("export: web worker resident memory before it", before, "MB"))
    figures += _figures("CSV", csv.lines, csv.size, elapsed, peak)

    with (
        tempfile.NamedTemporaryFile(suffix=".xlsx") as xlsx,
        gunicorn(workers=1) as base,
    ):
        elapsed, before, peak = timed_export(base, token, "xlsx", xlsx)
        xlsx.flush()
        figures += _figures("XLSX", _xlsx_rows(xlsx.name), xlsx.tell(), elapsed, peak)
    return figures
