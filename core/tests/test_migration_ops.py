"""core.migration_ops.DropPatternIndex, and the LIKE indexes no query uses being gone."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.state import ProjectState

from core.migration_ops import DropPatternIndex

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's LIKE indexes"),
]


def _pattern_indexes(table: str) -> list[str]:
    """The columns of `table` with a LIKE index of their own (one column, pattern_ops)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (regexp_match(indexdef, %s))[1] FROM pg_indexes"
            " WHERE tablename = %s AND indexdef ~ %s",
            [r"\((\w+) \w+_pattern_ops\)$", table, r"\((\w+) \w+_pattern_ops\)$"],
        )
        return sorted(column for (column,) in cursor.fetchall())


def test_the_bulk_tables_keep_no_like_index_on_ids_and_account_emails():
    # every account, earner and badge made would pay for them; nothing searches by prefix
    assert _pattern_indexes("accounts_user") == []
    assert _pattern_indexes("earners_earner") == []
    assert _pattern_indexes("assertions_assertion") == []


def test_the_operation_drops_the_index_and_makes_it_again_backwards():
    state = ProjectState.from_apps(apps)
    operation = DropPatternIndex("assertion", "entity_id")
    with connection.schema_editor(atomic=True) as editor:
        operation.database_backwards("assertions", editor, state, state)
    assert _pattern_indexes("assertions_assertion") == ["entity_id"]
    with connection.schema_editor(atomic=True) as editor:
        operation.database_forwards("assertions", editor, state, state)
        operation.database_forwards("assertions", editor, state, state)  # gone already: fine
    assert _pattern_indexes("assertions_assertion") == []
    assert operation.describe() == "Drop the LIKE index of assertion.entity_id"
