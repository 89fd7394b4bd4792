# The app split (docs/adr/0009-app-split.md): foreign keys to models that moved from plans to rounds
# and accounts now name their new app. The database is unchanged: the tables they point at are the
# same (renamed later by rounds 0002 and accounts 0003, which PostgreSQL and SQLite follow).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('finance', '0003_amount_by_line_covering_index'),
        ('rounds', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='expenditureamount',
                    name='year',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.roundyear'),
                ),
                migrations.AlterField(
                    model_name='expenditureline',
                    name='area_of_spend',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='expenditureline',
                    name='commissioner',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='expenditureline',
                    name='funding_stream',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='expenditure_lines', to='rounds.fundingstream'),
                ),
                migrations.AlterField(
                    model_name='expenditureline',
                    name='provider',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='expenditureline',
                    name='scheme_type',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureamount',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureamount',
                    name='year',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.roundyear'),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureline',
                    name='area_of_spend',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureline',
                    name='commissioner',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureline',
                    name='funding_stream',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.fundingstream'),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureline',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureline',
                    name='provider',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalexpenditureline',
                    name='scheme_type',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalincomeline',
                    name='funding_stream',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.fundingstream'),
                ),
                migrations.AlterField(
                    model_name='historicalincomeline',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalincomeline',
                    name='organisation',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.organisation'),
                ),
                migrations.AlterField(
                    model_name='historicalincomeline',
                    name='year',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.roundyear'),
                ),
                migrations.AlterField(
                    model_name='incomeline',
                    name='funding_stream',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='income_lines', to='rounds.fundingstream'),
                ),
                migrations.AlterField(
                    model_name='incomeline',
                    name='organisation',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='income_lines', to='rounds.organisation'),
                ),
                migrations.AlterField(
                    model_name='incomeline',
                    name='year',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='income_lines', to='rounds.roundyear'),
                ),
            ],
        ),
    ]
