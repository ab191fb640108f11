"""3. Public badge documents under a real gunicorn (production settings, Redis cache):
requests/s with 8 wrk clients for the hosted assertion JSON, the HTML page and the baked
image, each against a plain Django view in the same server (`/healthz`, a JsonResponse
with no database or cache access: Django's "hello")."""

import re
import statistics
import subprocess

import requests

from assertions.services import assertion_issue
from bench.bench_api import _world
from bench.figures import Figure
from bench.server import gunicorn

SECONDS = 5


def _rps(url: str, accept: str = "*/*") -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "-H", f"Accept: {accept}", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=SECONDS + 60,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{url} answered errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run(repeat: int) -> list[Figure]:
    _, template, _ = _world()
    assertion = assertion_issue(
        template=template,
        recipient_email="page@bench.example",
        recipient_first_name="Ada",
        recipient_last_name="Lovelace",
        narrative="Wrote and **tested** a tool.",
        notify=False,
    ).assertion
    path = f"/public/assertions/{assertion.entity_id}"
    figures = []
    with gunicorn() as base:
        for url, accept in ((path + ".json", "application/json"), (path, "text/html")):
            assert requests.get(base + url, headers={"Accept": accept}, timeout=10).ok
        assert requests.get(base + path + "/image", timeout=10).ok
        runs = max(1, repeat // 2)
        hello = statistics.median(_rps(base + "/healthz") for _ in range(runs))
        figures.append(Figure("plain Django view (/healthz), 8 clients", hello, "req/s"))
        for label, url, accept, target in (
            ("hosted assertion JSON", path + ".json", "application/json", True),
            ("public badge page (HTML)", path, "text/html", True),
            ("baked badge image (from cache)", path + "/image", "image/png", False),
        ):
            rate = statistics.median(_rps(base + url, accept) for _ in range(runs))
            share = rate / hello * 100
            figures.append(Figure(f"{label}, 8 clients", rate, "req/s"))
            figures.append(
                Figure(
                    f"{label} / plain view",
                    share,
                    "%",
                    target=">= 50 %" if target else "",
                    passed=share >= 50 if target else None,
                )
            )
    return figures
