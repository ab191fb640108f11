from django.db import migrations

from core.migration_ops import DropPatternIndex

# An earner is found by its exact public id, never by a prefix of it (a search by
# email prefix uses earners_issuer_email_like): see core.migration_ops.


class Migration(migrations.Migration):
    dependencies = [("earners", "0004_earner_search_indexes")]

    operations = [DropPatternIndex("earner", "entity_id")]
