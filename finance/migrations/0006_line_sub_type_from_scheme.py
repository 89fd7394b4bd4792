"""Give each existing expenditure line of a draft plan its scheme's sub-type, where the scheme has
one of the line's type.

Until now a sub-type was kept on the scheme only. Copying it (and nothing else) loses nothing: a
line whose scheme has no sub-type, or a sub-type of another type, keeps none, and the finance pages
ask for one the next time the line is changed. Plans past draft (in sign-off, submitted, assured)
are left exactly as they are: a line's sub-type is part of the signed content, so adding one there
would void signatures no one chose to void. Reversing clears the lines' sub-types, which the
schemes still hold.
"""

from django.db import migrations
from django.db.models import F


def copy_scheme_sub_types(apps, schema_editor):
    ExpenditureLine = apps.get_model("finance", "ExpenditureLine")
    lines = ExpenditureLine.objects.filter(
        sub_type__isnull=True,
        plan__status="draft",
        scheme__sub_type__isnull=False,
        scheme__sub_type__parent_id=F("scheme_type_id"),
    )
    for line in lines.only("pk", "scheme__sub_type_id").select_related("scheme"):
        ExpenditureLine.objects.filter(pk=line.pk).update(sub_type_id=line.scheme.sub_type_id)


def clear_sub_types(apps, schema_editor):
    apps.get_model("finance", "ExpenditureLine").objects.update(sub_type=None)


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0005_line_sub_type_and_planned_output"),
        ("schemes", "0002_models_moved_to_rounds_and_accounts"),
    ]

    operations = [migrations.RunPython(copy_scheme_sub_types, clear_sub_types)]
