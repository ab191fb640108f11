from django.db import migrations

from core.migration_ops import DropPatternIndex

# Accounts are found by their exact (normalised) email and public id, never by a prefix
# of either: the LIKE indexes only slowed every account made (core.migration_ops).


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_language")]

    operations = [DropPatternIndex("user", "entity_id"), DropPatternIndex("user", "email")]
