# The app split (docs/adr/0009-app-split.md): plans stops claiming ExportJob, now governance's
# (governance 0007). The database is unchanged; governance 0008 renames the table.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0006_models_moved_to_rounds_and_accounts"),
        ("governance", "0007_exportjob"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ExportJob")]),
    ]
