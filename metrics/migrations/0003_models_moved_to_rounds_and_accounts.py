# The app split (docs/adr/0009-app-split.md): foreign keys to models that moved from plans to rounds
# and accounts now name their new app. The database is unchanged: the tables they point at are the
# same (renamed later by rounds 0002 and accounts 0003, which PostgreSQL and SQLite follow).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('metrics', '0002_initial'),
        ('rounds', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='historicalmetricambition',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalmetricambition',
                    name='metric',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.metric'),
                ),
                migrations.AlterField(
                    model_name='historicalplannedvalue',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='metricambition',
                    name='metric',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ambitions', to='rounds.metric'),
                ),
            ],
        ),
    ]
