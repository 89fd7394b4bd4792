# The app split (docs/adr/0009-app-split.md): foreign keys to models that moved from plans to rounds
# and accounts now name their new app. The database is unchanged: the tables they point at are the
# same (renamed later by rounds 0002 and accounts 0003, which PostgreSQL and SQLite follow).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('rounds', '0001_initial'),
        ('schemes', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='historicalscheme',
                    name='area_of_spend',
                    field=models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'list': 'area_of_spend'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalscheme',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalscheme',
                    name='lead_commissioner',
                    field=models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'list': 'commissioner'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalscheme',
                    name='scheme_type',
                    field=models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'list': 'scheme_type'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalscheme',
                    name='sub_type',
                    field=models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'list': 'scheme_subtype'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='scheme',
                    name='area_of_spend',
                    field=models.ForeignKey(limit_choices_to={'list': 'area_of_spend'}, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='scheme',
                    name='lead_commissioner',
                    field=models.ForeignKey(limit_choices_to={'list': 'commissioner'}, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='scheme',
                    name='scheme_type',
                    field=models.ForeignKey(limit_choices_to={'list': 'scheme_type'}, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='scheme',
                    name='sub_type',
                    field=models.ForeignKey(blank=True, limit_choices_to={'list': 'scheme_subtype'}, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
            ],
        ),
    ]
