"""7. Export of 100,000 badges as CSV (`GET /api/v1/badges/export?format=csv`) from a
gunicorn worker of the production settings: the worker's peak resident memory, read
from the kernel (VmHWM), after the export against before it. (scale_export does the
same for 1,000,000 badges, as CSV and as XLSX.)"""

import time

import requests

from bench.bench_api import _bulk_badges, _world
from bench.figures import Figure
from bench.server import gunicorn, worker_peak_rss_mb

ROWS = 100_000


class Lines:
    """A sink for a streamed CSV that keeps only its size and its number of lines."""

    size = lines = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.lines += chunk.count(b"\n")


def timed_export(base: str, token: str, fmt: str, out) -> tuple[float, float, float]:
    """(seconds, worker peak MB before, after) of `GET /api/v1/badges/export?format=fmt`
    by the one worker of the gunicorn at `base`, read as it streams into `out.write`."""
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{base}/api/v1/badges", headers=headers, timeout=30).ok  # warm
    before = worker_peak_rss_mb(base)
    start = time.perf_counter()
    url = f"{base}/api/v1/badges/export?format={fmt}"
    with requests.get(url, headers=headers, stream=True, timeout=1800) as response:
        assert response.status_code == 200, response.text[:300]
        for chunk in response.iter_content(chunk_size=256 * 1024):
            out.write(chunk)
    elapsed = time.perf_counter() - start
    return elapsed, before, worker_peak_rss_mb(base)


def run(repeat: int) -> list[Figure]:
    issuer, template, token = _world()
    _bulk_badges(issuer, template, ROWS)
    figures = []
    csv = Lines()
    with gunicorn(workers=1) as base:
        elapsed, before, peak = timed_export(base, token, "csv", csv)
    assert csv.lines >= ROWS, csv.lines  # header + one line per badge (more if a cell has newlines)
    figures.append(Figure(f"CSV export of {ROWS:,} badges ({csv.size / 1e6:.0f} MB)", elapsed, "s"))
    figures.append(Figure("web worker resident memory before the export", before, "MB"))
    figures.append(
        Figure(
            f"web worker peak resident memory, export of {ROWS:,}",
            peak,
            "MB",
            target="< 200 MB",
            passed=peak < 200,
        )
    )
    return figures
