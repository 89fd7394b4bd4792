# The app split (docs/adr/0009-app-split.md): the tables of the models that moved from plans to
# accounts take accounts' names (plans_user -> accounts_user, with its groups and permissions tables).
# Renaming keeps every row, id and constraint: PostgreSQL's foreign keys (the admin's log, every
# "updated by") follow the table, and SQLite rewrites the references to it. Index and constraint names
# keep their old prefix; Django finds them by introspection, never by name. The models' content types
# (and so their permissions and admin history) move to accounts too.

from django.db import migrations

MOVED = ["user", "membership", "securityevent"]


def move_content_types(apps, schema_editor, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        moving = content_types.filter(app_label=old, model=model).first()
        if moving is None:
            continue  # a new database: content types are made after migrating
        # One made meanwhile by a post_migrate signal has no history; the old row, which permissions
        # and the admin's log point at, is kept.
        content_types.filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, "plans", "accounts")


def backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, "accounts", "plans")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_membership_securityevent"),
        ("plans", "0006_models_moved_to_rounds_and_accounts"),
    ]

    operations = [
        *[migrations.AlterModelTable(name=model, table=None) for model in MOVED],
        migrations.RunPython(forwards, backwards),
    ]
