from django.db import migrations

# What PostgreSQL's planner cannot know from per-column statistics, so that its row
# estimates for the /api/v1 badge lists are right and it picks plans that fit
# (`make bench BENCH_ARGS=--scale`, 1,000,000 badges):
# - the share of titles a search matches (icontains is `UPPER(activity_title) LIKE
#   '%WORD%'`): with no statistics on that expression the planner guessed 0.5 %, so one
#   issuer's search found "one row", sorted the whole issuer's matches and joined each
#   to every template version by a scan (80-170 ms); with them it reads the issuer's
#   badges newest first and stops at the page's end (under 1 ms);
# - that a template (or template version) belongs to one issuer: without it a template's
#   badges within the caller's issuers looked a hundred times fewer than they are, and
#   were all sorted for each page instead of read in index order.
# PostgreSQL only (SQLite, for `make run`, has no planner statistics to speak of).
STATISTICS = {
    "assertions_title_upper": "ON (UPPER(activity_title::text)) FROM assertions_assertion",
    "assertions_issuer_dependencies": (
        "(dependencies) ON organization_id, badge_template_id, badge_template_version_id "
        "FROM assertions_assertion"
    ),
}


def statistics_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in STATISTICS.items():
        schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {name} {definition}")
    # gathered now (a sample of the table, seconds), not at the next autovacuum
    schema_editor.execute("ANALYZE assertions_assertion")


def statistics_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("assertions", "0014_assignment_chunks"),
    ]

    operations = [
        migrations.RunPython(statistics_create, statistics_drop),
    ]
