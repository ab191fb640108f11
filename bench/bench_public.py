"""3. Public badge documents under a real gunicorn (production settings, Redis cache):
requests/s with 8 wrk clients for the hosted assertion JSON, the HTML page and the baked
image, each against a plain Django view in the same server (`/bench/hello` of
`bench.settings`, a JsonResponse with no database or cache access behind the whole
middleware stack: Django's "hello")."""

import re
import statistics
import subprocess

import requests

from assertions.services import assertion_issue
from bench.bench_api import _world
from bench.figures import Figure
from bench.server import gunicorn

HELLO = "/bench/hello"
SECONDS = 2  # per measurement; many short rounds rather than a few long ones
DOCUMENTS = (  # label, path suffix, Accept, has a target
    ("hosted assertion JSON", ".json", "application/json", True),
    ("public badge page (HTML)", "", "text/html", True),
    ("baked badge image (from cache)", "/image", "image/png", False),
)


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
    with gunicorn(settings="bench.settings") as base:
        for _, suffix, accept, _ in DOCUMENTS:
            assert requests.get(base + path + suffix, headers={"Accept": accept}, timeout=10).ok
        # This machine's speed drifts by tens of percent within seconds (shared CPUs), so
        # the plain view is measured before and after each round of documents, and every
        # document's share is taken against the mean of the two: drift cancels in a ratio.
        hello = [_rps(base + HELLO)]
        rates = {label: [] for label, *_ in DOCUMENTS}
        shares = {label: [] for label, *_ in DOCUMENTS}
        for _ in range(2 * repeat):
            round_rates = {label: _rps(base + path + s, a) for label, s, a, _ in DOCUMENTS}
            hello.append(_rps(base + HELLO))
            for label, rate in round_rates.items():
                rates[label].append(rate)
                shares[label].append(rate / ((hello[-2] + hello[-1]) / 2) * 100)
    figures = [
        Figure("plain Django view (/bench/hello), 8 clients", statistics.median(hello), "req/s")
    ]
    for label, _, _, target in DOCUMENTS:
        share = statistics.median(shares[label])
        figures.append(Figure(f"{label}, 8 clients", statistics.median(rates[label]), "req/s"))
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
