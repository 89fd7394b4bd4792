from django.db import migrations


class Migration(migrations.Migration):
    """concerns_nhs_providers now lives in Risk.values (0009), as a column of the rounds that ask it."""

    dependencies = [("plans", "0009_concerns_nhs_providers_to_values")]

    operations = [
        migrations.RemoveField(model_name="historicalrisk", name="concerns_nhs_providers"),
        migrations.RemoveField(model_name="risk", name="concerns_nhs_providers"),
    ]
