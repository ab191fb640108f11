"""The API under a real gunicorn (production settings, two workers):

2. single award over POST /v2/badgeclasses/{id}/assertions, and the list of a badge
   class's 100 badges (GET /v2/badgeclasses/{id}/assertions), each vs a trivial
   authenticated endpoint (GET /v2/users/self), the three requests taken in turn:
   median latencies and their ratios; and awards/s with 8 concurrent
   clients from wrk (a C load generator, so the 2 cores go to the server), and the CPU
   time an award costs the server (gunicorn's processes and PostgreSQL's) under that
   load: wall times move by tens of percent with the machine's load, CPU time per award
   barely, so it is the figure to compare versions by on a busy machine;
4. the full list of 10,000 badges from GET /v2/issuers/{id}/assertions.
"""

import datetime as dt
import re
import secrets
import statistics
import subprocess
import tempfile
import time

import requests
from django.db import connection
from django.utils import timezone
from oauth2_provider.models import AccessToken, get_application_model

from accounts.models import User
from accounts.oauth import ensure_public_client
from assertions.models import Assertion
from assertions.services import recipient_hash
from bench.figures import Figure
from bench.server import PIDS, cpu_seconds, gunicorn, postmaster_pid
from core.testing import png_upload
from earners.models import Earner
from issuers.services import issuer_create
from templates_app.services import template_create

SEQUENTIAL = 200
LIST_ROWS = 10_000
CLASS_ROWS = 100  # the badges of the badge class whose whole list is timed
RATIO_TARGET = 1.5  # award or list / trivial GET
RATE_TARGET = 400  # awards/s
WORKERS = 2  # gunicorn workers, as the awards/s row is measured

WRK_SCRIPT = """
local counter = 0
local thread_id = 0
local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end
function request()
  counter = counter + 1
  local body = '{"recipient":{"identity":"wrk' .. thread_id .. '-' .. counter .. '-' ..
    os.time() .. '-' .. math.random(1, 1000000000) .. '@bench.example"}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer TOKEN"}, body)
end
"""


def _world():
    ensure_public_client(get_application_model())
    owner = User.objects.create_user(f"owner-{secrets.token_hex(4)}@bench.example")
    issuer = issuer_create(name="Bench Academy", email="b@bench.example", owner=owner)
    template = template_create(
        issuer=issuer, name="Bench badge", criteria_url="https://bench.example", image=png_upload()
    )
    token = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        user=owner,
        application=get_application_model().objects.get(client_id="public"),
        token=token,
        scope="rw:profile rw:issuer rw:backpack",
        expires=timezone.now() + dt.timedelta(hours=2),
    )
    return issuer, template, token


def _medians_ms(session, *requests_, n=SEQUENTIAL) -> list[float]:
    """Median latency of each (method, url, body of i) request, taken in turn n times:
    the machine's speed drifts, and taking them in turn lets both sides of a ratio see
    the same drift. The first tenth warms the processes up and is left out."""
    times = [[] for _ in requests_]
    for i in range(n):
        for (method, url, body), kept in zip(requests_, times, strict=True):
            kwargs = {"json": body(i)} if body else {}
            start = time.perf_counter()
            response = session.request(method, url, timeout=30, **kwargs)
            kept.append((time.perf_counter() - start) * 1000)
            assert response.status_code in (200, 201), response.text[:300]
    return [statistics.median(kept[n // 10 :]) for kept in times]


def _wrk_awards_per_second(url: str, token: str, seconds: int = 10) -> tuple[float, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT.replace("TOKEN", token))
        script.flush()
        out = subprocess.run(
            ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(errors.group(1)) if errors else 0


def _bulk_badges(issuer, template, n: int, prefix: str = "list", **fields) -> None:
    """`n` badges of `template` for `n` new earners, inserted in bulk (benchmark data)."""
    version = template.current_version
    now = timezone.now()
    earners = Earner.objects.bulk_create(
        Earner(issuer=issuer, email=f"{prefix}{i}@bench.example", first_name="L", last_name=str(i))
        for i in range(n)
    )
    Assertion.objects.bulk_create(
        (
            Assertion(
                badge_template_version=version,
                badge_template=template,
                organization=issuer,
                earner=e,
                recipient_email=e.email,
                recipient_first_name="L",
                recipient_last_name=e.last_name,
                emitted_at=now,
                recipient_salt="s" * 32,
                recipient_hash=recipient_hash(e.email, "s" * 32),
                **fields,
            )
            for e in earners
        ),
        batch_size=2000,
    )


def run(repeat: int) -> list[Figure]:
    issuer, template, token = _world()
    award_url_path = f"/v2/badgeclasses/{template.entity_id}/assertions"
    figures = []
    # a second badge class of the same issuer holding exactly CLASS_ROWS badges: its
    # whole list is one page (no `num`), and the awards go to the other one
    listed = template_create(
        issuer=issuer, name="Bench list", criteria_url="https://bench.example", image=png_upload()
    )
    _bulk_badges(issuer, listed, CLASS_ROWS, prefix="class")
    list_url_path = f"/v2/badgeclasses/{listed.entity_id}/assertions"
    with gunicorn(workers=WORKERS) as base:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        listed_count = len(session.get(base + list_url_path, timeout=30).json()["result"])
        assert listed_count == CLASS_ROWS, listed_count
        trivial, award, class_list = _medians_ms(
            session,
            ("GET", f"{base}/v2/users/self", None),
            (
                "POST",
                base + award_url_path,
                lambda i: {
                    "recipient": {"identity": f"seq{i}-{secrets.token_hex(3)}@bench.example"}
                },
            ),
            ("GET", base + list_url_path, None),
        )
        figures.append(Figure("trivial authenticated GET /v2/users/self, median", trivial, "ms"))
        figures.append(Figure("single award POST .../assertions, median", award, "ms"))
        ratio = award / trivial
        figures.append(
            Figure(
                "single award / trivial authenticated GET (alternating)",
                ratio,
                "x",
                target=f"<= {RATIO_TARGET}",
                passed=ratio <= RATIO_TARGET,
            )
        )
        figures.append(
            Figure(
                f"list of {CLASS_ROWS} badges GET /v2/badgeclasses/{{id}}/assertions, median",
                class_list,
                "ms",
            )
        )
        ratio = class_list / trivial
        figures.append(
            Figure(
                f"list of {CLASS_ROWS} badges / trivial GET (alternating)",
                ratio,
                "x",
                target=f"<= {RATIO_TARGET}",
                passed=ratio <= RATIO_TARGET,
            )
        )
        rates, python_ms, database_ms = [], [], []
        processes = (PIDS[base], postmaster_pid(connection))
        for _ in range(max(1, repeat // 2)):
            count, cpu = Assertion.objects.count(), [cpu_seconds(p) for p in processes]
            rates.append(_wrk_awards_per_second(base + award_url_path, token))
            awards = Assertion.objects.count() - count
            used = [cpu_seconds(p) - before for p, before in zip(processes, cpu, strict=True)]
            python_ms.append(used[0] * 1000 / awards)
            database_ms.append(used[1] * 1000 / awards)
        rate = statistics.median(r for r, _ in rates)
        errors = sum(e for _, e in rates)
        figures.append(
            Figure(
                f"awards/s, 8 concurrent clients (wrk), {WORKERS} gunicorn workers",
                rate,
                "/s",
                target=f">= {RATE_TARGET}",
                passed=rate >= RATE_TARGET and errors == 0,
            )
        )
        figures.append(
            Figure("the same: CPU per award, gunicorn", statistics.median(python_ms), "ms")
        )
        figures.append(
            Figure("the same: CPU per award, PostgreSQL", statistics.median(database_ms), "ms")
        )

        _bulk_badges(issuer, template, LIST_ROWS)
        url = f"{base}/v2/issuers/{issuer.entity_id}/assertions"
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = session.get(url, timeout=120)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200
        count = len(response.json()["result"])
        listing = statistics.median(times)
        figures.append(
            Figure(
                f"GET /v2 list of {count:,} badges (full, no num)",
                listing,
                "s",
                target="< 1 s",
                passed=listing < 1.0,
            )
        )
    return figures
