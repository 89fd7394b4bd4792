# The app split (docs/adr/0009-app-split.md): plans_exportjob becomes governance_exportjob. Renaming
# keeps every row, id and constraint (its index and constraint names keep their old prefix; Django
# finds them by introspection). The content type (permissions, admin history) moves to governance.

from django.db import migrations


def move_content_type(apps, schema_editor, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    moving = content_types.filter(app_label=old, model="exportjob").first()
    if moving is None:
        return  # a new database: content types are made after migrating
    # One made meanwhile by a post_migrate signal has no history; the old row is kept.
    content_types.filter(app_label=new, model="exportjob").delete()
    moving.app_label = new
    moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    move_content_type(apps, schema_editor, "plans", "governance")


def backwards(apps, schema_editor):
    move_content_type(apps, schema_editor, "governance", "plans")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("governance", "0007_exportjob"),
        ("plans", "0007_exportjob_moved_to_governance"),
    ]

    operations = [
        migrations.AlterModelTable(name="exportjob", table=None),
        migrations.RunPython(forwards, backwards),
    ]
