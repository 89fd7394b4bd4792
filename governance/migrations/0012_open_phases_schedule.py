"""Approved plans move into their round's next phase (a planning update) once it opens: a daily task at 06:00.

The schedule is data (django-celery-beat), changeable in the admin; this only creates it where it does not exist.
"""

from django.db import migrations

NAME = "Open planning updates"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London"
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": "governance.tasks.open_due_phases", "crontab": daily})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0011_submission_phase"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
