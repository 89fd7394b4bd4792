# The app split (docs/adr/0009-app-split.md): plans' foreign keys to the moved models name rounds and
# accounts, and plans stops claiming the moved models. The database is unchanged: their tables,
# rows and constraints stay as they are (rounds 0002 and accounts 0003 rename the tables).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_membership_securityevent'),
        ('finance', '0004_models_moved_to_rounds_and_accounts'),
        ('governance', '0006_models_moved_to_rounds_and_accounts'),
        ('metrics', '0003_models_moved_to_rounds_and_accounts'),
        ('plans', '0005_security_event_plan_id'),
        ('rounds', '0001_initial'),
        ('schemes', '0002_models_moved_to_rounds_and_accounts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='codelistentry',
                    name='parent',
                ),
                migrations.RemoveField(
                    model_name='codelistentry',
                    name='round',
                ),
                migrations.AlterField(
                    model_name='risk',
                    name='rating',
                    field=models.ForeignKey(limit_choices_to={'list': 'risk_rating'}, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.AlterField(
                    model_name='historicalrisk',
                    name='rating',
                    field=models.ForeignKey(blank=True, db_constraint=False, limit_choices_to={'list': 'risk_rating'}, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.codelistentry'),
                ),
                migrations.RemoveField(
                    model_name='ringfence',
                    name='area_of_spend',
                ),
                migrations.RemoveField(
                    model_name='ringfence',
                    name='commissioner',
                ),
                migrations.RemoveField(
                    model_name='conditionquestion',
                    name='condition',
                ),
                migrations.AlterField(
                    model_name='historicalconditionresponse',
                    name='question',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.conditionquestion'),
                ),
                migrations.AlterField(
                    model_name='conditionresponse',
                    name='question',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='rounds.conditionquestion'),
                ),
                migrations.RemoveField(
                    model_name='fundingstream',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='ringfence',
                    name='funding_stream',
                ),
                migrations.RemoveField(
                    model_name='hwbarea',
                    name='region',
                ),
                migrations.RemoveField(
                    model_name='securityevent',
                    name='hwb_area',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='hwb_area',
                ),
                migrations.RemoveField(
                    model_name='organisation',
                    name='hwb_areas',
                ),
                migrations.AlterField(
                    model_name='plan',
                    name='hwb_area',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='plans', to='rounds.hwbarea'),
                ),
                migrations.RemoveField(
                    model_name='keylineofenquiry',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='organisation',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='region',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='metric',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='nationalcondition',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='section',
                    name='national_condition',
                ),
                migrations.RemoveField(
                    model_name='outcomecategory',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='signoffslot',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='ringfence',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='section',
                    name='round',
                ),
                migrations.AlterField(
                    model_name='plan',
                    name='round',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='plans', to='rounds.planninground'),
                ),
                migrations.AlterField(
                    model_name='plangroup',
                    name='round',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='plan_groups', to='rounds.planninground'),
                ),
                migrations.RemoveField(
                    model_name='roundyear',
                    name='round',
                ),
                migrations.RemoveField(
                    model_name='question',
                    name='section',
                ),
                migrations.AlterField(
                    model_name='answer',
                    name='question',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='answers', to='rounds.question'),
                ),
                migrations.AlterField(
                    model_name='historicalanswer',
                    name='question',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='rounds.question'),
                ),
                migrations.AlterField(
                    model_name='sectionprogress',
                    name='section',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='rounds.section'),
                ),
                migrations.RemoveField(
                    model_name='securityevent',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='user',
                    name='groups',
                ),
                migrations.RemoveField(
                    model_name='user',
                    name='user_permissions',
                ),
                migrations.AlterField(
                    model_name='historicalanswer',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalconditionresponse',
                    name='updated_by',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='answer',
                    name='updated_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalconditionresponse',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='conditionresponse',
                    name='updated_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalrelateddocument',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='exportjob',
                    name='requested_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='sectionprogress',
                    name='updated_by',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalanswer',
                    name='updated_by',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='historicalrisk',
                    name='history_user',
                    field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='unsaveddraft',
                    name='user',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unsaved_drafts', to=settings.AUTH_USER_MODEL),
                ),
                migrations.DeleteModel(
                    name='Allocation',
                ),
                migrations.DeleteModel(
                    name='CodeListEntry',
                ),
                migrations.DeleteModel(
                    name='ConditionQuestion',
                ),
                migrations.DeleteModel(
                    name='FundingStream',
                ),
                migrations.DeleteModel(
                    name='HwbArea',
                ),
                migrations.DeleteModel(
                    name='KeyLineOfEnquiry',
                ),
                migrations.DeleteModel(
                    name='Organisation',
                ),
                migrations.DeleteModel(
                    name='Region',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
                migrations.DeleteModel(
                    name='Metric',
                ),
                migrations.DeleteModel(
                    name='NationalCondition',
                ),
                migrations.DeleteModel(
                    name='OutcomeCategory',
                ),
                migrations.DeleteModel(
                    name='SignOffSlot',
                ),
                migrations.DeleteModel(
                    name='RingFence',
                ),
                migrations.DeleteModel(
                    name='PlanningRound',
                ),
                migrations.DeleteModel(
                    name='RoundYear',
                ),
                migrations.DeleteModel(
                    name='Question',
                ),
                migrations.DeleteModel(
                    name='Section',
                ),
                migrations.DeleteModel(
                    name='SecurityEvent',
                ),
                migrations.DeleteModel(
                    name='User',
                ),
            ],
        ),
    ]
