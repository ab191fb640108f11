"""7. Export of 100,000 badges as CSV (`GET /api/v1/badges/export?format=csv`) from a
gunicorn worker of the production settings: the worker's peak resident memory, read
from the kernel (VmHWM), after the export against before it."""

import time

import requests

from bench.bench_api import _bulk_badges, _world
from bench.figures import Figure
from bench.server import gunicorn, worker_peak_rss_mb

ROWS = 100_000


def run(repeat: int) -> list[Figure]:
    issuer, template, token = _world()
    _bulk_badges(issuer, template, ROWS)
    headers = {"Authorization": f"Bearer {token}"}
    figures = []
    with gunicorn(workers=1) as base:
        url = f"{base}/api/v1/badges/export?format=csv"
        assert requests.get(f"{base}/api/v1/badges", headers=headers, timeout=30).ok  # warm
        before = worker_peak_rss_mb(base)
        start = time.perf_counter()
        size = lines = 0
        with requests.get(url, headers=headers, stream=True, timeout=600) as response:
            assert response.status_code == 200, response.text[:300]
            for chunk in response.iter_content(chunk_size=256 * 1024):
                size += len(chunk)
                lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - start
        peak = worker_peak_rss_mb(base)
    assert lines >= ROWS, lines  # header + one line per badge (more if a cell has newlines)
    figures.append(Figure(f"CSV export of {ROWS:,} badges ({size / 1e6:.0f} MB)", elapsed, "s"))
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
