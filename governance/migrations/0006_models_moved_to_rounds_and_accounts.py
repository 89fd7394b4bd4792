# The app split (docs/adr/0009-app-split.md): foreign keys to models that moved from plans to rounds
# and accounts now name their new app. The database is unchanged: the tables they point at are the
# same (renamed later by rounds 0002 and accounts 0003, which PostgreSQL and SQLite follow).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('governance', '0005_submission_files_rendered_after_commit'),
        ('rounds', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='kloerating',
                    name='kloe',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.keylineofenquiry'),
                ),
                migrations.AlterField(
                    model_name='planevent',
                    name='actor',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='review',
                    name='assurer',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='review',
                    name='outcome',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='rounds.outcomecategory'),
                ),
                migrations.AlterField(
                    model_name='sectioncomment',
                    name='author',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='sectioncomment',
                    name='section',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.section'),
                ),
                migrations.AlterField(
                    model_name='signoff',
                    name='organisation',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='rounds.organisation'),
                ),
                migrations.AlterField(
                    model_name='signoff',
                    name='signed_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='signoffs', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='signoff',
                    name='slot',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='signoffs', to='rounds.signoffslot'),
                ),
                migrations.AlterField(
                    model_name='submission',
                    name='submitted_by',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
            ],
        ),
    ]
