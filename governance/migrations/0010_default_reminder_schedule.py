"""The default reminder schedule: both reminder tasks daily at 07:00 UK time.

The schedule is data (django-celery-beat), so the national team can change or pause it in the admin;
this only creates it where it does not exist.
"""

from django.db import migrations

TASKS = {
    "Deadline reminders": "governance.tasks.send_deadline_reminders",
    "Signature reminders": "governance.tasks.send_signature_reminders",
}


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/London"
    )
    for name, task in TASKS.items():
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": daily})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=TASKS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0009_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
