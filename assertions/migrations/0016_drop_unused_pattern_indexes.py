from django.db import migrations

from core.migration_ops import DropPatternIndex

# A badge is found by its exact public id, never by a prefix of it: see
# core.migration_ops.


class Migration(migrations.Migration):
    dependencies = [("assertions", "0015_planner_statistics")]

    operations = [DropPatternIndex("assertion", "entity_id")]
