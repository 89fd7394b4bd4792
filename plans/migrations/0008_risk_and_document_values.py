import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Risks and documents keep the round's own columns in `values` (rounds.columns); a risk's rating
    may be empty, for a round whose register has no rating. 0009 moves concerns_nhs_providers into values."""

    dependencies = [
        ("plans", "0007_exportjob_moved_to_governance"),
        ("rounds", "0005_round_defined_table_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalrelateddocument",
            name="values",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="historicalrisk",
            name="values",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="relateddocument",
            name="values",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="risk",
            name="values",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name="risk",
            name="rating",
            field=models.ForeignKey(
                blank=True,
                limit_choices_to={"list": "risk_rating"},
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="rounds.codelistentry",
            ),
        ),
    ]
