from django.db import migrations

# The staff earner list's search (earners.selectors.issuer_earners_filtered): the start
# of an email, or of a first or last name in any case, within one issuer. LIKE 'abc%'
# reads a b-tree only through pattern ops, a PostgreSQL thing, so these are made there
# alone (SQLite, for `make run`, scans its small tables). The list's order and pages
# read the unique (issuer_id, email) index.
LIKE_INDEXES = {
    "earners_issuer_email_like": "(issuer_id, email varchar_pattern_ops)",
    "earners_issuer_first_like": "(issuer_id, UPPER(first_name) text_pattern_ops)",
    "earners_issuer_last_like": "(issuer_id, UPPER(last_name) text_pattern_ops)",
}


def like_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in LIKE_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON earners_earner {columns}")


def like_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in LIKE_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("earners", "0003_earner_language"),
    ]

    operations = [
        migrations.RunPython(like_indexes_create, like_indexes_drop),
    ]
