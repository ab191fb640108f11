from django.conf import settings
from django.db import migrations, models

# The badge list's search (assertions.selectors.issuer_badges_filtered): the start of an
# email, or of a first or last name in any case, within one issuer. LIKE 'abc%' reads a
# b-tree only through pattern ops, a PostgreSQL thing, so these are made there alone
# (SQLite, for `make run`, scans its small tables).
LIKE_INDEXES = {
    "assertions_issuer_email_like": "(organization_id, recipient_email varchar_pattern_ops)",
    "assertions_issuer_first_like": "(organization_id, UPPER(recipient_first_name) text_pattern_ops)",
    "assertions_issuer_last_like": "(organization_id, UPPER(recipient_last_name) text_pattern_ops)",
}


def like_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in LIKE_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON assertions_assertion {columns}"
        )


def like_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in LIKE_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('assertions', '0010_batch_source_rows_and_rejected'),
        ('earners', '0002_drop_issuer_index_led_by_unique'),
        ('issuers', '0002_operators_requests_invitations'),
        ('templates_app', '0002_image_renditions_and_privacy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='assertion',
            index=models.Index(fields=['organization', 'status', '-emitted_at'], name='assertions_issuer_status'),
        ),
        migrations.AddIndex(
            model_name='assertion',
            index=models.Index(condition=models.Q(('imported', True)), fields=['organization', '-emitted_at'], name='assertions_issuer_imported'),
        ),
        migrations.RunPython(like_indexes_create, like_indexes_drop),
    ]
