# Status list indexes are now handed out at random: the list counts how many it handed
# out (`allocated`, what `next_index` was while they were sequential).

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0003_issuerkey_algorithm_purpose"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="statuslist",
            name="credentials_statuslist_index_within_size",
        ),
        migrations.RenameField(
            model_name="statuslist",
            old_name="next_index",
            new_name="allocated",
        ),
        migrations.AlterField(
            model_name="statuslist",
            name="allocated",
            field=models.PositiveIntegerField(default=0, help_text="Indexes handed out."),
        ),
        migrations.AddConstraint(
            model_name="statuslist",
            constraint=models.CheckConstraint(
                condition=models.Q(("allocated__lte", django.db.models.expressions.F("size"))),
                name="credentials_statuslist_allocated_within_size",
            ),
        ),
    ]
