# The app split (docs/adr/0009-app-split.md): reference data and the planning round move from plans
# to rounds. This migration only tells Django that rounds now has these models, in the tables plans
# created (db_table); it changes nothing in the database. 0002 renames the tables.

import django.core.validators
import django.db.models.deletion
import rounds.models
import uuid
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('plans', '0004_user_email_case_insensitive'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HwbArea',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('ons_code', models.CharField(max_length=9, unique=True, verbose_name='ONS code')),
                        ('name', models.CharField(max_length=150)),
                    ],
                    options={
                        'verbose_name': 'HWB area',
                        'ordering': ['name'],
                        'db_table': 'plans_hwbarea',
                    },
                ),
                migrations.CreateModel(
                    name='NationalCondition',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField()),
                        ('title', models.CharField(max_length=250)),
                        ('description', models.TextField(blank=True)),
                    ],
                    options={
                        'ordering': ['round', 'number'],
                        'db_table': 'plans_nationalcondition',
                    },
                ),
                migrations.CreateModel(
                    name='PlanningRound',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('slug', models.SlugField(help_text='Used in URLs and commands, e.g. 2014-15.', max_length=20, unique=True)),
                        ('name', models.CharField(max_length=150)),
                        ('draft_deadline', models.DateTimeField(blank=True, null=True)),
                        ('final_deadline', models.DateTimeField()),
                        ('is_open', models.BooleanField(default=True)),
                        ('labels', models.JSONField(blank=True, default=dict, help_text='Wording that changed between template versions, by key.')),
                        ('config_version', models.UUIDField(default=uuid.uuid4, editable=False)),
                    ],
                    options={
                        'ordering': ['-final_deadline'],
                        'db_table': 'plans_planninground',
                    },
                ),
                migrations.CreateModel(
                    name='Region',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, unique=True)),
                        ('name', models.CharField(max_length=100, unique=True)),
                    ],
                    options={
                        'ordering': ['name'],
                        'db_table': 'plans_region',
                    },
                ),
                migrations.CreateModel(
                    name='ConditionQuestion',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(blank=True, max_length=10)),
                        ('prompt', models.TextField()),
                        ('order', models.PositiveSmallIntegerField()),
                        ('condition', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='rounds.nationalcondition')),
                    ],
                    options={
                        'ordering': ['condition', 'order'],
                        'db_table': 'plans_conditionquestion',
                    },
                ),
                migrations.CreateModel(
                    name='Organisation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, unique=True)),
                        ('kind', models.CharField(choices=[('local_authority', 'Local authority'), ('ccg', 'Clinical commissioning group'), ('icb', 'Integrated care board'), ('provider', 'Provider'), ('other', 'Other')], max_length=20)),
                        ('code', models.CharField(blank=True, max_length=20, verbose_name='ODS or ONS code')),
                        ('hwb_areas', models.ManyToManyField(blank=True, related_name='organisations', to='rounds.hwbarea')),
                    ],
                    options={
                        'ordering': ['name'],
                        'db_table': 'plans_organisation',
                    },
                ),
                migrations.AddField(
                    model_name='nationalcondition',
                    name='round',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='national_conditions', to='rounds.planninground'),
                ),
                migrations.CreateModel(
                    name='Metric',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(max_length=40)),
                        ('name', models.CharField(max_length=250)),
                        ('definition', models.TextField()),
                        ('unit', models.CharField(choices=[('rate_per_100k', 'Rate per 100,000 population'), ('percentage', 'Percentage'), ('count', 'Count'), ('days', 'Days')], max_length=20)),
                        ('denominator', models.CharField(blank=True, help_text='e.g. Population aged 65+', max_length=150)),
                        ('periods', models.JSONField(default=list, help_text='Period labels for planned values, in order.')),
                        ('order', models.PositiveSmallIntegerField()),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='metrics', to='rounds.planninground')),
                    ],
                    options={
                        'ordering': ['round', 'order'],
                        'db_table': 'plans_metric',
                    },
                ),
                migrations.CreateModel(
                    name='KeyLineOfEnquiry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20)),
                        ('title', models.CharField(max_length=250)),
                        ('description', models.TextField(blank=True)),
                        ('order', models.PositiveSmallIntegerField()),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='kloes', to='rounds.planninground')),
                    ],
                    options={
                        'verbose_name': 'key line of enquiry',
                        'verbose_name_plural': 'key lines of enquiry',
                        'ordering': ['round', 'order'],
                        'db_table': 'plans_keylineofenquiry',
                    },
                ),
                migrations.CreateModel(
                    name='FundingStream',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(max_length=40)),
                        ('name', models.CharField(max_length=200)),
                        ('contributor', models.CharField(choices=[('nhs', 'NHS (CCG or ICB)'), ('la', 'Local authority')], max_length=10)),
                        ('is_mandatory', models.BooleanField(default=True, help_text='Part of the minimum pool.')),
                        ('order', models.PositiveSmallIntegerField()),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='funding_streams', to='rounds.planninground')),
                    ],
                    options={
                        'ordering': ['round', 'order'],
                        'db_table': 'plans_fundingstream',
                    },
                ),
                migrations.CreateModel(
                    name='CodeListEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('list', models.CharField(choices=[('scheme_type', 'Scheme type'), ('scheme_subtype', 'Scheme sub-type'), ('area_of_spend', 'Area of spend'), ('commissioner', 'Commissioner'), ('provider', 'Provider type'), ('risk_rating', 'Risk rating')], max_length=20)),
                        ('code', models.SlugField(max_length=60)),
                        ('label', models.CharField(max_length=200)),
                        ('order', models.PositiveSmallIntegerField(default=0)),
                        ('parent', models.ForeignKey(blank=True, help_text='For sub-types.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='children', to='rounds.codelistentry')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='code_entries', to='rounds.planninground')),
                    ],
                    options={
                        'verbose_name_plural': 'code list entries',
                        'ordering': ['round', 'list', 'order', 'label'],
                        'db_table': 'plans_codelistentry',
                    },
                ),
                migrations.AddField(
                    model_name='hwbarea',
                    name='region',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='hwb_areas', to='rounds.region'),
                ),
                migrations.CreateModel(
                    name='RingFence',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(max_length=40)),
                        ('name', models.CharField(max_length=200)),
                        ('description', models.TextField(blank=True)),
                        ('area_of_spend', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='rounds.codelistentry')),
                        ('commissioner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='rounds.codelistentry')),
                        ('funding_stream', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='rounds.fundingstream')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ring_fences', to='rounds.planninground')),
                    ],
                    options={
                        'db_table': 'plans_ringfence',
                    },
                ),
                migrations.CreateModel(
                    name='RoundYear',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('label', models.CharField(max_length=10)),
                        ('order', models.PositiveSmallIntegerField()),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='years', to='rounds.planninground')),
                    ],
                    options={
                        'ordering': ['round', 'order'],
                        'db_table': 'plans_roundyear',
                    },
                ),
                migrations.CreateModel(
                    name='Allocation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(max_length=40)),
                        ('amount', rounds.models.MoneyField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(Decimal('100000000.00'))])),
                        ('hwb_area', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='allocations', to='rounds.hwbarea')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='allocations', to='rounds.planninground')),
                        ('year', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='allocations', to='rounds.roundyear')),
                    ],
                    options={
                        'db_table': 'plans_allocation',
                    },
                ),
                migrations.CreateModel(
                    name='Section',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(help_text='Stable identifier within the round, e.g. 1a, vision-c.', max_length=20)),
                        ('part', models.PositiveSmallIntegerField(choices=[(1, 'Part 1'), (2, 'Part 2')], default=1)),
                        ('group_heading', models.CharField(blank=True, help_text='e.g. 1) PLAN DETAILS', max_length=150)),
                        ('number', models.CharField(blank=True, help_text='e.g. a)', max_length=10)),
                        ('heading', models.CharField(max_length=200)),
                        ('prompt', models.TextField(blank=True)),
                        ('guidance', models.TextField(blank=True)),
                        ('order', models.PositiveSmallIntegerField()),
                        ('table', models.CharField(blank=True, choices=[('', 'No table'), ('signoff', 'Sign-off'), ('documents', 'Related documents'), ('schemes', 'Schemes'), ('risks', 'Risks'), ('income', 'Income'), ('expenditure', 'Expenditure'), ('metrics', 'Metrics')], default='', max_length=20)),
                        ('national_condition', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sections', to='rounds.nationalcondition')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sections', to='rounds.planninground')),
                    ],
                    options={
                        'ordering': ['round', 'order'],
                        'db_table': 'plans_section',
                    },
                ),
                migrations.CreateModel(
                    name='Question',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(max_length=40)),
                        ('label', models.CharField(max_length=250)),
                        ('prompt', models.TextField(blank=True)),
                        ('guidance', models.TextField(blank=True)),
                        ('kind', models.CharField(choices=[('narrative', 'Narrative'), ('text', 'Short text'), ('date', 'Date'), ('money', 'Money'), ('confirmation', 'Yes/no confirmation')], max_length=20)),
                        ('required', models.BooleanField(default=True)),
                        ('order', models.PositiveSmallIntegerField()),
                        ('section', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='rounds.section')),
                    ],
                    options={
                        'ordering': ['section', 'order'],
                        'db_table': 'plans_question',
                    },
                ),
                migrations.CreateModel(
                    name='SignOffSlot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(help_text='Matches Membership.signoff_slot_code, e.g. ccg, council.', max_length=40)),
                        ('title', models.CharField(help_text='e.g. Signed on behalf of the Council', max_length=200)),
                        ('organisation_kind', models.CharField(blank=True, choices=[('local_authority', 'Local authority'), ('ccg', 'Clinical commissioning group'), ('icb', 'Integrated care board'), ('provider', 'Provider'), ('other', 'Other')], max_length=20)),
                        ('by_label', models.CharField(default='By', max_length=100)),
                        ('has_position', models.BooleanField(default=True)),
                        ('order', models.PositiveSmallIntegerField()),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='signoff_slots', to='rounds.planninground')),
                    ],
                    options={
                        'ordering': ['round', 'order'],
                        'db_table': 'plans_signoffslot',
                    },
                ),
                migrations.CreateModel(
                    name='OutcomeCategory',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40)),
                        ('label', models.CharField(max_length=100)),
                        ('is_approval', models.BooleanField(default=False)),
                        ('requires_conditions', models.BooleanField(default=False)),
                        ('order', models.PositiveSmallIntegerField()),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outcomes', to='rounds.planninground')),
                    ],
                    options={
                        'verbose_name_plural': 'outcome categories',
                        'ordering': ['round', 'order'],
                        'constraints': [models.UniqueConstraint(fields=('round', 'code'), name='unique_outcome_code')],
                        'db_table': 'plans_outcomecategory',
                    },
                ),
                migrations.AddConstraint(
                    model_name='nationalcondition',
                    constraint=models.UniqueConstraint(fields=('round', 'number'), name='unique_condition_number'),
                ),
                migrations.AddConstraint(
                    model_name='metric',
                    constraint=models.UniqueConstraint(fields=('round', 'key'), name='unique_metric_key'),
                ),
                migrations.AddConstraint(
                    model_name='keylineofenquiry',
                    constraint=models.UniqueConstraint(fields=('round', 'code'), name='unique_kloe_code'),
                ),
                migrations.AddConstraint(
                    model_name='fundingstream',
                    constraint=models.UniqueConstraint(fields=('round', 'key'), name='unique_stream_key'),
                ),
                migrations.AddConstraint(
                    model_name='codelistentry',
                    constraint=models.UniqueConstraint(fields=('round', 'list', 'code'), name='unique_code_entry'),
                ),
                migrations.AddConstraint(
                    model_name='ringfence',
                    constraint=models.UniqueConstraint(fields=('round', 'key'), name='unique_ring_fence_key'),
                ),
                migrations.AddConstraint(
                    model_name='roundyear',
                    constraint=models.UniqueConstraint(fields=('round', 'label'), name='unique_round_year'),
                ),
                migrations.AddConstraint(
                    model_name='allocation',
                    constraint=models.UniqueConstraint(fields=('round', 'hwb_area', 'year', 'key'), name='unique_allocation'),
                ),
                migrations.AddConstraint(
                    model_name='allocation',
                    constraint=models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='allocation_not_negative'),
                ),
                migrations.AddConstraint(
                    model_name='section',
                    constraint=models.UniqueConstraint(fields=('round', 'key'), name='unique_section_key'),
                ),
                migrations.AddConstraint(
                    model_name='section',
                    constraint=models.UniqueConstraint(fields=('round', 'order'), name='unique_section_order'),
                ),
                migrations.AddConstraint(
                    model_name='question',
                    constraint=models.UniqueConstraint(fields=('section', 'key'), name='unique_question_key'),
                ),
                migrations.AddConstraint(
                    model_name='signoffslot',
                    constraint=models.UniqueConstraint(fields=('round', 'code'), name='unique_signoff_slot'),
                ),
            ],
        ),
    ]
