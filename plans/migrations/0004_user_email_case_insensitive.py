# Emails are stored trimmed and in lower case (User.normalize_username) and are unique whatever
# their case. Existing addresses are normalised first; if two accounts would then share an address
# the migration stops and names them, so no account is merged or renamed silently.

import unicodedata

import django.db.models.functions.text
from django.db import migrations, models


def normalised(email):
    return unicodedata.normalize("NFKC", email).strip().lower()


def normalise_emails(apps, schema_editor):
    User = apps.get_model("plans", "User")
    by_address = {}
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        by_address.setdefault(normalised(email), []).append((pk, email))
    clashes = {address: rows for address, rows in by_address.items() if len(rows) > 1}
    if clashes:
        lines = [
            f"  {address}: " + ", ".join(f"user {pk} ({email!r})" for pk, email in rows)
            for address, rows in sorted(clashes.items())
        ]
        raise RuntimeError(
            "These accounts have email addresses that differ only in case or spaces:\n"
            + "\n".join(lines)
            + "\nMerge them, or change one of each pair's address, then run migrate again."
        )
    for address, [(pk, email)] in by_address.items():
        if email != address:
            User.objects.filter(pk=pk).update(email=address)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("plans", "0003_round_config_version"),
    ]

    operations = [
        migrations.RunPython(normalise_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message="A user with this email address already exists.",
            ),
        ),
    ]
