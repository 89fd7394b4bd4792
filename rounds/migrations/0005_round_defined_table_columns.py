"""Each round defines the columns of its risk register and documents table (rounds.columns).

Rounds loaded before this keep exactly the columns their plans were written with, including the
'concerns NHS providers' question every risk then had (plans 0009 moves its answers into the rows'
values); a reload of the round file then sets the file's own columns.
"""

import rounds.columns
from django.db import migrations, models


def _column(key, heading, kind, label="", hint="", code_list="", required=False, error=""):
    return {
        "key": key,
        "heading": heading,
        "kind": kind,
        "label": label,
        "hint": hint,
        "code_list": code_list,
        "of": [],
        "required": required,
        "error": error,
    }


def columns_as_before(labels):
    risks = [
        _column(
            "description",
            labels.get("risks_column_risk", "Risk"),
            "narrative",
            "Describe the risk",
            required=True,
            error="Describe the risk",
        ),
        _column(
            "rating", labels.get("risks_column_rating", "Risk rating"), "choice", code_list="risk_rating",
            required=True,
            error="Select a risk rating",
        ),
        _column("mitigating_actions", labels.get("risks_column_actions", "Mitigating actions"), "narrative"),
        _column("owner", "Risk owner", "text"),
        _column(
            "concerns_nhs_providers",
            "Concerns NHS providers",
            "yes_no",
            "Does this risk concern NHS service providers?",
            required=True,
            error="Select yes if this risk concerns NHS service providers",
        ),
    ]
    documents = [
        _column("ref", "Ref", "text", "Reference (optional)", "For example, D1"),
        _column("title", labels.get("documents_column_title", "Document or information title"), "text", required=True, error="Enter the document title"),
        _column("synopsis", labels.get("documents_column_synopsis", "Synopsis"), "narrative"),
        _column("url", "Link", "url", "Link (optional)", "A web address starting with https://"),
        _column("file", "File", "file", "Upload a file (optional)"),
    ]
    return risks, documents


def forward(apps, schema_editor):
    PlanningRound = apps.get_model("rounds", "PlanningRound")
    for rnd in PlanningRound.objects.all():
        rnd.risk_columns, rnd.document_columns = columns_as_before(rnd.labels or {})
        rnd.save(update_fields=["risk_columns", "document_columns"])


class Migration(migrations.Migration):
    dependencies = [
        ("rounds", "0004_merge_organisation_validity_and_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="planninground",
            name="document_columns",
            field=models.JSONField(blank=True, default=rounds.columns.default_document_columns),
        ),
        migrations.AddField(
            model_name="planninground",
            name="risk_columns",
            field=models.JSONField(blank=True, default=rounds.columns.default_risk_columns),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
