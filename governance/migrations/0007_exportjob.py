# The app split (docs/adr/0009-app-split.md): exports move from plans to governance, which can import
# both renderers. This migration only tells Django that governance now has ExportJob, in the table
# plans created (db_table); it changes nothing in the database. 0008 renames the table.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0006_models_moved_to_rounds_and_accounts"),
        ("plans", "0006_models_moved_to_rounds_and_accounts"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExportJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("pdf", "Part 1 PDF"), ("xlsx", "Part 2 workbook")], max_length=10)),
                        ("content_hash", models.CharField(max_length=64)),
                        (
                            "status",
                            models.CharField(
                                choices=[("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
                                default="queued",
                                max_length=10,
                            ),
                        ),
                        ("file", models.FileField(blank=True, upload_to="exports/")),
                        ("sha256", models.CharField(blank=True, max_length=64)),
                        ("error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "plan",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="export_jobs", to="plans.plan"
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "done")),
                                fields=("plan", "kind", "content_hash"),
                                name="one_done_export_per_content",
                            )
                        ],
                        "db_table": "plans_exportjob",
                    },
                ),
            ],
        ),
    ]
