# The app split (docs/adr/0009-app-split.md): memberships and the security audit log move from plans
# to accounts, in the tables plans created (db_table); nothing changes in the database.
# plans 0005 first made the audit log's plan a plain number.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('plans', '0005_security_event_plan_id'),
        ('rounds', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('commissioner', 'Commissioner'), ('signatory', 'Signatory'), ('assurer', 'Assurer'), ('national_admin', 'National administrator'), ('viewer', 'Read-only viewer')], max_length=20)),
                        ('signoff_slot_code', models.CharField(blank=True, max_length=40)),
                        ('hwb_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='rounds.hwbarea')),
                        ('organisation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='rounds.organisation')),
                        ('region', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='rounds.region')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'plans_membership',
                    },
                ),
                migrations.CreateModel(
                    name='SecurityEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('signed_in', 'Signed in'), ('sign_in_failed', 'Sign-in failed'), ('locked_out', 'Locked out'), ('signed_out', 'Signed out'), ('permission_denied', 'Permission denied'), ('signed', 'Sign-off'), ('submitted', 'Submission'), ('decision', 'Assurance decision'), ('transition_refused', 'Workflow step refused'), ('export_downloaded', 'Export downloaded')], db_index=True, max_length=30)),
                        ('username', models.CharField(blank=True, max_length=254)),
                        ('ip_address', models.GenericIPAddressField(blank=True, null=True)),
                        ('path', models.CharField(blank=True, max_length=500)),
                        ('plan_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('detail', models.JSONField(blank=True, default=dict)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('hwb_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='rounds.hwbarea')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at', '-pk'],
                        'db_table': 'plans_securityevent',
                    },
                ),
                migrations.AddConstraint(
                    model_name='membership',
                    constraint=models.CheckConstraint(condition=models.Q(('role', 'national_admin'), models.Q(('region__isnull', False), ('role', 'assurer')), models.Q(('hwb_area__isnull', False), ('role__in', ['commissioner', 'viewer'])), models.Q(('hwb_area__isnull', False), ('role', 'signatory'), ('signoff_slot_code__gt', '')), _connector='OR'), name='membership_scope_matches_role'),
                ),
            ],
        ),
    ]
