"""Moving in from Badgr: the pace of `import_badgr` over 2,000 badges.

A Badgr server is played on 127.0.0.1 (a thread, `core.testing.http_server`) with the
shapes of the recorded one (imports/tests/badgr_recording): an issuer, a badge class with
its PNG, and 2,000 badges in pages of 100 behind `Link: rel="next"` cursors, every one
with recipient, dates, narrative and evidence, one in two with the earner's name in
`extensions:recipientProfile`, one in ten expired, one in fifty revoked. The whole import
runs as the command runs it (`badgr_import`): HTTP, images, earners and their accounts,
badges, legacy records, revocations.

Figures: badges per second of the whole run (wall time), and the importer's own share:
the part of that time not spent waiting for the old server (requests and their bodies,
timed around `BadgrClient._request`), and the pace that share alone gives, which is what
a fast old server would allow.
"""

import copy
import json
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings

from bench.figures import Figure
from core.testing import http_server
from imports import badgr_client
from imports.badgr import badgr_import
from imports.badgr_client import BadgrClient
from imports.tests.recorded_badgr import HERE, recorded_badges, recorded_classes, recorded_issuers

N = 2_000
PAGE = 100


def _source(run_no: int, base: str) -> dict:
    """Every answer of the played server, by path (pages by their cursor)."""
    issuer = copy.deepcopy(recorded_issuers()[0])
    badgeclass = copy.deepcopy(recorded_classes()[0])
    issuer["entityId"] = f"benchIssuer{run_no:011d}"
    issuer["image"] = None
    badgeclass["entityId"] = f"benchClass{run_no:012d}"
    badgeclass["issuer"] = issuer["entityId"]
    badgeclass["image"] = f"{base}/media/python.png"
    shape = next(b for b in recorded_badges() if b["narrative"] and b["evidence"])
    badges = []
    for i in range(N):
        badge = copy.deepcopy(shape)
        badge["entityId"] = f"b{run_no:03d}{i:018d}"
        badge["badgeclass"] = badgeclass["entityId"]
        badge["issuer"] = issuer["entityId"]
        badge["recipient"]["plaintextIdentity"] = f"earner{run_no}-{i}@bench.example"
        badge["issuedOn"] = f"2022-{i % 12 + 1:02d}-{i % 28 + 1:02d}T10:00:00Z"
        badge["expires"] = "2023-01-01T00:00:00Z" if i % 10 == 0 else "2099-01-01T00:00:00Z"
        badge["revoked"] = i % 50 == 0
        badge["revocationReason"] = "Awarded by mistake." if badge["revoked"] else None
        if i % 2:
            badge["extensions"] = {}
        badges.append(badge)
    path = f"/v2/badgeclasses/{badgeclass['entityId']}/assertions"
    pages = {}
    for n, start in enumerate(range(0, N, PAGE)):
        following = None
        if start + PAGE < N:
            following = f"{base}{path}?cursor={n + 1}&include_expired=true&include_revoked=true"
        pages[str(n)] = (_envelope(badges[start : start + PAGE]), following)
    return {
        "/v2/issuers": (_envelope([issuer]), None),
        f"/v2/issuers/{issuer['entityId']}/badgeclasses": (_envelope([badgeclass]), None),
        "pages": (path, pages),
    }


def _envelope(result) -> bytes:
    return json.dumps({"status": {"success": True, "description": "ok"}, "result": result}).encode()


def _answer(source: dict, image: bytes):
    def answer(handler):
        parts = urlsplit(handler.path)
        path, pages = source["pages"]
        if parts.path == "/media/python.png":
            body, content_type, following = image, "image/png", None
        elif parts.path == path:
            cursor = parse_qs(parts.query).get("cursor", ["0"])[0]
            (body, following), content_type = pages[cursor], "application/json"
        elif parts.path in source:
            (body, following), content_type = source[parts.path], "application/json"
        else:
            handler.send_error(404)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        if following:
            handler.send_header("Link", f'<{following}>; rel="next"')
        handler.end_headers()
        handler.wfile.write(body)

    return answer


@contextmanager
def _timed_requests():
    """The seconds spent waiting for the old server, request by request."""
    spent = [0.0]
    real = badgr_client.BadgrClient._request

    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return real(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    badgr_client.BadgrClient._request = timed
    try:
        yield spent
    finally:
        badgr_client.BadgrClient._request = real


def _one_run(run_no: int, image: bytes) -> tuple[float, float, int]:
    holder = {}
    with http_server(lambda handler: holder["answer"](handler)) as server:
        holder["answer"] = _answer(_source(run_no, server.url), image)
        with (
            override_settings(OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"]),
            _timed_requests() as waiting,
        ):
            start = time.perf_counter()
            report = badgr_import(client=BadgrClient(server.url, "bench-token", page_size=PAGE))
            wall = time.perf_counter() - start
    created = report.counts["assertion"]["created"]
    if created != N or report.errors:
        raise RuntimeError(f"The import did not bring every badge: {report.counts_dict()}")
    return wall, waiting[0], created


def run(repeat: int) -> list[Figure]:
    image = (HERE / "media" / "issuer_badgeclass_python.png").read_bytes()
    results = sorted((_one_run(run_no, image) for run_no in range(repeat)), key=lambda r: r[0])
    wall, waiting, created = results[len(results) // 2]
    own = wall - waiting
    return [
        Figure(f"Badgr import of {N:,} badges: whole run", created / wall, "badges/s"),
        Figure(
            f"Badgr import of {N:,} badges: importer's own share of the time",
            100 * own / wall,
            "%",
        ),
        Figure(
            f"Badgr import of {N:,} badges: importer's own pace (old server's time left out)",
            created / own,
            "badges/s",
            target="> 300 badges/s",
            passed=created / own > 300,
        ),
    ]
