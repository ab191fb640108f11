"""8. The staff badge list (`/issuers/<id>/badges/`) over 1,000,000 badges of one
issuer on PostgreSQL: the queries of a page - first page, a page deep in the list
(keyset), search by the start of an email or of a name, each filter - timed as the
page runs them (`issuer_badges_filtered` + `badges_page`). Target: under 200 ms each.

The rows are made by one INSERT ... SELECT from generate_series (copies of one badge
with their own ids, emails, names, issue times; 1 in 50 revoked, 1 in 20 imported), so
the set-up takes seconds, not the hours a million awards would (`issuer_with_badges`,
which scale_export builds its million with too)."""

import datetime as dt
import os
import time

from django.db import connection

from assertions.models import Assertion
from assertions.selectors import badges_page, issuer_badges_filtered
from bench.bench_api import _bulk_badges, _world
from bench.figures import Figure

ROWS = int(os.environ.get("BENCH_BADGE_LIST_ROWS", "1000000"))
TARGET_MS = 200

# Columns computed per copy; every other column is the seed badge's.
COMPUTED = {
    "entity_id": "substr(md5(g || 'e' || a.id), 1, 22)",  # unique: seeds differ
    "recipient_email": "'p' || g || '@bench' || (g %% 97) || '.example'",
    "recipient_first_name": "(ARRAY['Ada','Grace','Alan','Edsger','Barbara'])[1 + g %% 5] || g",
    "recipient_last_name": "(ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov'])[1 + g %% 5]",
    "emitted_at": "a.emitted_at - (g || ' minutes')::interval",
    "status": "CASE WHEN g %% 50 = 0 THEN 'revoked' ELSE 'valid' END",
    "revoked_at": "CASE WHEN g %% 50 = 0 THEN a.emitted_at ELSE NULL END",
    "revoked_reason": "CASE WHEN g %% 50 = 0 THEN 'bench' ELSE '' END",
    "imported": "g %% 20 = 0",
    "idempotency_key": "''",
    "imp_legacy_id": "''",
}


def _fill(seed: Assertion, n: int) -> None:
    columns = [f.column for f in Assertion._meta.concrete_fields if f.column not in ("id",)]
    values = [COMPUTED.get(c, f"a.{c}") for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO assertions_assertion ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM assertions_assertion a, "
            f"generate_series(1, %s) g WHERE a.id = %s",
            [n, seed.pk],
        )
        cursor.execute("ANALYZE assertions_assertion")


def issuer_with_badges(rows: int):
    """(issuer, template, token of its owner, the seed badge, seconds taken) of a new
    issuer holding `rows` badges of one template: a seed badge and its copies."""
    issuer, template, token = _world()
    _bulk_badges(issuer, template, 1, prefix="seed")
    seed = Assertion.objects.get(organization=issuer)
    start = time.perf_counter()
    _fill(seed, rows - 1)
    return issuer, template, token, seed, time.perf_counter() - start


def _ms(fn, repeat: int) -> float:
    times = []
    for _ in range(max(repeat, 3)):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


def run(repeat: int) -> list[Figure]:
    issuer, template, _token, seed, made = issuer_with_badges(ROWS)
    deep = list(
        issuer_badges_filtered(issuer).values_list("emitted_at", "pk")[ROWS // 2 : ROWS // 2 + 1]
    )[0]
    day = (seed.emitted_at - dt.timedelta(days=300)).date()
    zone = dt.UTC
    cases = {
        "first page": ({}, None),
        "a page half-way down (keyset)": ({}, deep),
        "search: start of an email": ({"q": "p4242"}, None),
        "search: a name": ({"q": "grace hopper"}, None),
        "search: a name matching nothing": ({"q": "zzz"}, None),
        "filter: revoked": ({"status": "revoked"}, None),
        "filter: imported": ({"imported": "1"}, None),
        "filter: template": ({"template": template.entity_id}, None),
        "filter: one day": (
            {
                "issued_from": dt.datetime.combine(day, dt.time(), tzinfo=zone),
                "issued_to": dt.datetime.combine(
                    day + dt.timedelta(days=1), dt.time(), tzinfo=zone
                ),
            },
            None,
        ),
    }
    figures = [Figure(f"badge list: {ROWS:,} badges made (INSERT ... SELECT)", made, "s")]
    for name, (filters, after) in cases.items():
        ms = _ms(
            lambda f=filters, a=after: badges_page(issuer_badges_filtered(issuer, **f), after=a),
            repeat,
        )
        figures.append(
            Figure(
                f"badge list at {ROWS:,}: {name}",
                ms,
                "ms",
                target=f"< {TARGET_MS} ms",
                passed=ms < TARGET_MS,
            )
        )
    return figures
