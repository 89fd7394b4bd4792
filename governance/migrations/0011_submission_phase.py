"""A submission records the phase it submitted: the plan, or its planning update.

Blank for every submission made before, which were all of their round's first phase. SQLite
rebuilds the table to add a foreign key, which drops its immutability triggers: they are made
again, now also keeping the phase fixed while the files render.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS governance_submission_no_update;",
    "DROP TRIGGER IF EXISTS governance_submission_no_delete;",
]


def _sqlite_triggers(phase_fixed: str) -> list[str]:
    return [
        *SQLITE_DROP,
        f"""CREATE TRIGGER governance_submission_no_update BEFORE UPDATE ON governance_submission
       WHEN NOT (
           OLD.files_status <> 'done'
           AND OLD.pdf = '' AND OLD.pdf_sha256 = '' AND OLD.workbook = '' AND OLD.workbook_sha256 = ''
           AND NEW.id = OLD.id AND NEW.plan_id = OLD.plan_id AND NEW.version = OLD.version
           AND NEW.snapshot IS OLD.snapshot AND NEW.snapshot_sha256 = OLD.snapshot_sha256
           AND NEW.submitted_by_id = OLD.submitted_by_id AND NEW.submitted_at = OLD.submitted_at
           AND NEW.is_late = OLD.is_late{phase_fixed}
           AND (
               (NEW.files_status <> 'done'
                AND NEW.pdf = '' AND NEW.pdf_sha256 = '' AND NEW.workbook = '' AND NEW.workbook_sha256 = '')
            OR (NEW.files_status = 'done' AND NEW.pdf <> '' AND NEW.workbook <> ''
                AND length(NEW.pdf_sha256) = 64 AND length(NEW.workbook_sha256) = 64)
           )
       )
       BEGIN SELECT RAISE(ABORT, 'governance_submission rows are immutable (UPDATE refused)'); END;""",
        """CREATE TRIGGER governance_submission_no_delete BEFORE DELETE ON governance_submission
       BEGIN SELECT RAISE(ABORT, 'governance_submission rows are immutable (DELETE refused)'); END;""",
    ]


# PostgreSQL's trigger compares whole rows (to_jsonb), so it covers the new column as it is.
def _sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0010_default_reminder_schedule"),
        ("rounds", "0005_round_phases"),
    ]

    operations = [
        migrations.RunPython(_sqlite(SQLITE_DROP), _sqlite(_sqlite_triggers(""))),
        migrations.AddField(
            model_name="submission",
            name="phase",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="rounds.roundphase",
            ),
        ),
        migrations.RunPython(
            _sqlite(_sqlite_triggers("\n           AND NEW.phase_id IS OLD.phase_id")), _sqlite(SQLITE_DROP)
        ),
    ]
