"""Move each risk's concerns_nhs_providers (a 2014/15 column) into its round-defined values, in the
rows and in their history, so nothing is lost; rounds 0005 gave every existing round that column."""

from django.db import migrations

KEY = "concerns_nhs_providers"


def forward(apps, schema_editor):
    for name in ("Risk", "HistoricalRisk"):
        model = apps.get_model("plans", name)
        rows = list(model.objects.only("pk", "values", KEY))
        for row in rows:
            row.values = {**(row.values or {}), KEY: row.concerns_nhs_providers}
        model.objects.bulk_update(rows, ["values"], batch_size=500)


def backward(apps, schema_editor):
    for name in ("Risk", "HistoricalRisk"):
        model = apps.get_model("plans", name)
        rows = list(model.objects.only("pk", "values", KEY))
        for row in rows:
            values = dict(row.values or {})
            row.concerns_nhs_providers = bool(values.pop(KEY, False))
            row.values = values
        model.objects.bulk_update(rows, ["values", KEY], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("plans", "0008_risk_and_document_values")]

    operations = [migrations.RunPython(forward, backward)]
