# The app split (docs/adr/0009-app-split.md), step 1: the security audit log moves to accounts, which
# sits below plans, so an event can no longer hold a foreign key to a plan. The column keeps its
# name and every value (plan_id); only the database's foreign-key constraint is dropped, and the
# field becomes a plain indexed integer. The event's area (hwb_area), which the audit page shows,
# stays a foreign key: areas move to rounds, below accounts.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_user_email_case_insensitive"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The database: the same bigint column and its index, without the constraint.
            database_operations=[
                migrations.AlterField(
                    model_name="securityevent",
                    name="plan",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="plans.plan",
                    ),
                ),
            ],
            # The models: a plain integer field named after the column.
            state_operations=[
                migrations.RemoveField(model_name="securityevent", name="plan"),
                migrations.AddField(
                    model_name="securityevent",
                    name="plan_id",
                    field=models.BigIntegerField(blank=True, db_index=True, null=True),
                ),
            ],
        ),
    ]
