"""core.analyze: tables filled in bulk get planner statistics before autovacuum's minute."""

import pytest
from django.db import connection

from assertions.services import batches
from core import analyze
from core.analyze import analyze_unknown

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics"),
]


def _has_statistics(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT FROM pg_stats WHERE tablename = %s)", [table])
        return cursor.fetchone()[0]


def _probe(name: str, rows: int) -> str:
    """A new table of `rows` distinct emails (this test's transaction's own)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} (email text, issuer_id int)")
        cursor.execute(
            f"INSERT INTO {name} SELECT 'e' || g || '@x.example', 1 FROM generate_series(1, %s) g",
            [rows],
        )
    return name


def _estimate(table: str, emails: int) -> int:
    """PostgreSQL's estimate of the rows `email IN (some of them)` matches."""
    values = ", ".join(f"'e{i}@x.example'" for i in range(1, emails + 1))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT * FROM {table} WHERE email IN ({values})")
        return cursor.fetchone()[0][0]["Plan"]["Plan Rows"]


def test_a_big_table_without_statistics_is_analysed_once(monkeypatch):
    monkeypatch.setattr(analyze, "_KNOWN", set())
    # Given a table of 30,000 rows that has never been analysed
    table = _probe("analyze_probe_big", 30_000)
    assert not _has_statistics(table)
    # (PostgreSQL then takes 500 emails to match the whole table)
    assert _estimate(table, 500) > 20_000
    # When the bulk path asks
    assert analyze_unknown([table]) == [table]
    # Then it has statistics, and the 500 emails are estimated as 500 rows
    assert _has_statistics(table)
    assert _estimate(table, 500) <= 1_000
    # and it is not asked about again
    with pytest.MonkeyPatch.context() as m:
        m.setattr(connection, "cursor", lambda: pytest.fail("asked again"))
        assert analyze_unknown([table]) == []


def test_a_small_table_is_left_to_autovacuum(monkeypatch):
    monkeypatch.setattr(analyze, "_KNOWN", set())
    table = _probe("analyze_probe_small", 100)
    assert analyze_unknown([table]) == []
    assert not _has_statistics(table)
    assert analyze_unknown([table], min_bytes=0) == [table]
    assert _has_statistics(table)


def test_a_batch_start_analyses_the_bulk_tables_first(monkeypatch):
    # The tables a batch's chunks write and query are those looked at, before the chunks
    asked = []
    monkeypatch.setattr(
        batches, "analyze_unknown", lambda tables, using: asked.append((tables, using))
    )
    from assertions.services import batch_create
    from issuers.services import credits_top_up
    from templates_app.tests.factories import BadgeTemplateFactory

    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=10)
    batch = batch_create(
        template=template, rows=[{"email": "a@learners.example"}], activity_title="Cohort"
    )
    batches.batch_start(batch_id=batch.pk, enqueue=False)
    assert asked == [
        (
            [
                "earners_earner",
                "accounts_user",
                "assertions_assertion",
                "assertions_assertionevent",
                "core_outboundemail",
            ],
            "default",
        )
    ]
    assert batch.chunks.count() == 1
