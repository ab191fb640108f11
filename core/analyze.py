"""Planner statistics for tables that bulk writes fill faster than autovacuum looks.

PostgreSQL plans each query by the statistics ANALYZE gathers, and autovacuum gathers
them at most once a minute (`autovacuum_naptime`). Bulk assignments on a fresh database
write tens of thousands of rows a minute into tables that have none; without them
PostgreSQL takes `email IN (500 values)` to match every row, and a chunk's lock of its
earners read all of the issuer's earners: the assignments of 10,000 earners slowed from
4.5 to 18 s one after the other, until autovacuum came (3.6 s after). Statistics, once
there, hold as a table grows (distinct values are kept as a fraction of its rows), and
autovacuum renews them as it changes.
"""

from django.db import DEFAULT_DB_ALIAS, connections

# Smaller tables are read whole in a few milliseconds whatever the plan.
MIN_BYTES = 1024 * 1024

_KNOWN: set[tuple[str, str]] = set()  # (database alias, table) seen with statistics


def analyze_unknown(
    tables: list[str], *, using: str = DEFAULT_DB_ALIAS, min_bytes: int = MIN_BYTES
) -> list[str]:
    """ANALYZE those of `tables` that have no statistics yet and hold at least
    `min_bytes`; returns their names. A table seen with statistics is not asked about
    again by this process. Elsewhere than on PostgreSQL, nothing."""
    connection = connections[using]
    tables = [table for table in tables if (using, table) not in _KNOWN]
    if connection.vendor != "postgresql" or not tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, EXISTS (SELECT FROM pg_stats s WHERE s.schemaname = n.nspname"
            " AND s.tablename = c.relname), pg_relation_size(c.oid) >= %s"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relname = ANY(%s)",
            [min_bytes, tables],
        )
        found = cursor.fetchall()
        unknown = [table for table, known, big in found if not known and big]
        for table in unknown:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    # autovacuum keeps them from here
    _KNOWN.update((using, table) for table, known, _big in found if known or table in unknown)
    return unknown
