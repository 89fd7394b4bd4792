"""A submission's PDF and workbook are rendered by a worker after it is committed.

Submissions made before this were rendered inside the submitting request, so they already hold
both files: they are marked ready. New submissions start "rendering". The immutability trigger
now lets a row whose files are not yet recorded change only its rendering columns, and record
its files (both, with their hashes) once; after that, as before, nothing may change it.
"""

from django.db import migrations, models

FILES_STATUS_CHOICES = [("rendering", "Being created"), ("failed", "Could not be created"), ("done", "Ready")]

IMMUTABLE_SUBMISSION_SQL = """
CREATE OR REPLACE FUNCTION governance_submission_is_immutable() RETURNS trigger AS $$
DECLARE
    rendering_columns text[] := ARRAY[
        'files_status', 'files_error', 'files_tries', 'files_updated_at',
        'pdf', 'pdf_sha256', 'workbook', 'workbook_sha256'
    ];
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.files_status <> 'done'
       AND OLD.pdf = '' AND OLD.pdf_sha256 = '' AND OLD.workbook = '' AND OLD.workbook_sha256 = ''
       AND (to_jsonb(NEW) - rendering_columns) = (to_jsonb(OLD) - rendering_columns)
       AND (
            (NEW.files_status <> 'done'
             AND NEW.pdf = '' AND NEW.pdf_sha256 = '' AND NEW.workbook = '' AND NEW.workbook_sha256 = '')
         OR (NEW.files_status = 'done' AND NEW.pdf <> '' AND NEW.workbook <> ''
             AND NEW.pdf_sha256 ~ '^[0-9a-f]{64}$' AND NEW.workbook_sha256 ~ '^[0-9a-f]{64}$')
       )
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'governance_submission rows are immutable (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

# Every submission row is immutable again (the function 0003 installed).
PREVIOUS_SQL = """
CREATE OR REPLACE FUNCTION governance_submission_is_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'governance_submission rows are immutable (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""

# SQLite rebuilds the table when columns are added, which drops its triggers: create them again.
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS governance_submission_no_update;",
    "DROP TRIGGER IF EXISTS governance_submission_no_delete;",
    """CREATE TRIGGER governance_submission_no_update BEFORE UPDATE ON governance_submission
       WHEN NOT (
           OLD.files_status <> 'done'
           AND OLD.pdf = '' AND OLD.pdf_sha256 = '' AND OLD.workbook = '' AND OLD.workbook_sha256 = ''
           AND NEW.id = OLD.id AND NEW.plan_id = OLD.plan_id AND NEW.version = OLD.version
           AND NEW.snapshot IS OLD.snapshot AND NEW.snapshot_sha256 = OLD.snapshot_sha256
           AND NEW.submitted_by_id = OLD.submitted_by_id AND NEW.submitted_at = OLD.submitted_at
           AND NEW.is_late = OLD.is_late
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
# The triggers 0003 created, for going back.
SQLITE_PREVIOUS = [
    """CREATE TRIGGER governance_submission_no_update BEFORE UPDATE ON governance_submission
       BEGIN SELECT RAISE(ABORT, 'governance_submission rows are immutable (UPDATE refused)'); END;""",
    """CREATE TRIGGER governance_submission_no_delete BEFORE DELETE ON governance_submission
       BEGIN SELECT RAISE(ABORT, 'governance_submission rows are immutable (DELETE refused)'); END;""",
]
# Adding columns to a table whose rows may not change: lift the guard for the schema change only.
DROP_TRIGGERS = {
    "postgresql": ["DROP TRIGGER IF EXISTS governance_submission_immutable ON governance_submission;"],
    "sqlite": [
        "DROP TRIGGER IF EXISTS governance_submission_no_update;",
        "DROP TRIGGER IF EXISTS governance_submission_no_delete;",
    ],
}
CREATE_POSTGRES_TRIGGER = """
CREATE TRIGGER governance_submission_immutable
    BEFORE UPDATE OR DELETE ON governance_submission
    FOR EACH ROW EXECUTE FUNCTION governance_submission_is_immutable();
"""


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # no params: "%" in plpgsql is literal

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0004_signoff_content"),
    ]

    operations = [
        migrations.RunPython(
            _run(DROP_TRIGGERS), _run({"postgresql": [CREATE_POSTGRES_TRIGGER], "sqlite": SQLITE_PREVIOUS})
        ),
        migrations.AddField(
            model_name="submission",
            name="files_error",
            field=models.TextField(blank=True),
        ),
        # Existing submissions were rendered in the request that made them: their files are ready.
        migrations.AddField(
            model_name="submission",
            name="files_status",
            field=models.CharField(choices=FILES_STATUS_CHOICES, default="done", max_length=10),
        ),
        migrations.AlterField(
            model_name="submission",
            name="files_status",
            field=models.CharField(choices=FILES_STATUS_CHOICES, default="rendering", max_length=10),
        ),
        migrations.AddField(
            model_name="submission",
            name="files_tries",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="submission",
            name="files_updated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("files_status", "done"),
                        models.Q(("pdf", ""), _negated=True),
                        models.Q(("pdf_sha256", ""), _negated=True),
                        models.Q(("workbook", ""), _negated=True),
                        models.Q(("workbook_sha256", ""), _negated=True),
                    ),
                    models.Q(
                        models.Q(("files_status", "done"), _negated=True),
                        ("pdf", ""),
                        ("pdf_sha256", ""),
                        ("workbook", ""),
                        ("workbook_sha256", ""),
                    ),
                    _connector="OR",
                ),
                name="submission_files_recorded_when_ready",
            ),
        ),
        migrations.RunPython(
            _run({"postgresql": [IMMUTABLE_SUBMISSION_SQL, CREATE_POSTGRES_TRIGGER], "sqlite": SQLITE_TRIGGERS}),
            _run({"postgresql": [PREVIOUS_SQL, *DROP_TRIGGERS["postgresql"]], "sqlite": DROP_TRIGGERS["sqlite"]}),
        ),
    ]
