"""The staff earner list (`/issuers/<id>/earners/`) over 1,000,000 earners of one issuer
on PostgreSQL: the queries of a page - first page, a page deep in the list (keyset),
search by the start of an email or of a name - timed as the page runs them
(`issuer_earners_filtered` + `earners_page`, with each earner's badge count). Target:
under 200 ms each.

The rows are made by one INSERT ... SELECT from generate_series, so the set-up takes
seconds."""

import os
import time

from django.db import connection

from bench.bench_api import _world
from bench.figures import Figure
from earners.models import Earner
from earners.selectors import earners_page, issuer_earners_filtered

ROWS = int(os.environ.get("BENCH_EARNER_LIST_ROWS", "1000000"))
TARGET_MS = 200


def _fill(issuer, n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO earners_earner (created_at, updated_at, entity_id, issuer_id, email, "
            "first_name, last_name, language, metadata) "
            "SELECT now(), now(), substr(md5(g::text || 'earner'), 1, 22), %s, "
            "'p' || g || '@bench' || (g %% 97) || '.example', "
            "(ARRAY['Ada','Grace','Alan','Edsger','Barbara'])[1 + g %% 5] || g, "
            "(ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov'])[1 + g %% 5], '', '{}' "
            "FROM generate_series(1, %s) g",
            [issuer.pk, n],
        )
        cursor.execute("ANALYZE earners_earner")


def _ms(fn, repeat: int) -> float:
    times = []
    for _ in range(max(repeat, 3)):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


def run(repeat: int) -> list[Figure]:
    issuer, _template, _token = _world()
    start = time.perf_counter()
    _fill(issuer, ROWS)
    made = time.perf_counter() - start
    deep = (
        Earner.objects.filter(issuer=issuer)
        .order_by("email")
        .values_list("email", flat=True)[ROWS // 2]
    )
    cases = {
        "first page": ("", None),
        "a page half-way down (keyset)": ("", deep),
        "search: start of an email": ("p4242@", None),
        "search: a name": ("grace hopper", None),
        "search: one word (name or email)": ("turing", None),
        "search: matching nothing": ("zzz", None),
    }
    figures = [Figure(f"earner list: {ROWS:,} earners made (INSERT ... SELECT)", made, "s")]
    for name, (q, after) in cases.items():
        ms = _ms(
            lambda q=q, a=after: earners_page(issuer_earners_filtered(issuer, q=q), after=a),
            repeat,
        )
        figures.append(
            Figure(
                f"earner list at {ROWS:,}: {name}",
                ms,
                "ms",
                target=f"< {TARGET_MS} ms",
                passed=ms < TARGET_MS,
            )
        )
    return figures
