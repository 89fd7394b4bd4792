"""Reminders with a frozen clock: exactly the right emails to exactly the right people, with absolute links, once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.models import Membership
from governance import tasks
from governance.models import PlanEvent, SignOff
from plans.models import Plan
from rounds.models import PlanningRound, SignOffSlot
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory

pytestmark = pytest.mark.django_db
R = Membership.Role
UK = ZoneInfo("Europe/London")
DEADLINE = datetime(2027, 3, 31, 17, 0, tzinfo=UK)


@pytest.fixture
def world(shipped_rounds, settings):
    settings.SITE_URL = "https://bcf.example.org"
    rnd = PlanningRound.objects.get(slug="2017-19")
    PlanningRound.objects.filter(pk=rnd.pk).update(final_deadline=DEADLINE, reminder_days=[14, 7, 1], is_open=True)
    PlanningRound.objects.exclude(pk=rnd.pk).update(is_open=False)
    rnd.refresh_from_db()
    late = PlanFactory(round=rnd, hwb_area=HwbAreaFactory(ons_code="E06000901", name="Lateshire"))
    done = PlanFactory(round=rnd, hwb_area=HwbAreaFactory(ons_code="E06000902", name="Doneshire"))
    Plan.objects.filter(pk=done.pk).update(status=Plan.Status.SUBMITTED)
    people = {
        "late_commissioners": [
            MembershipFactory(role=R.COMMISSIONER, hwb_area=late.hwb_area, is_lead=True).user,
            MembershipFactory(role=R.COMMISSIONER, hwb_area=late.hwb_area).user,
        ],
        "late_viewer": MembershipFactory(role=R.VIEWER, hwb_area=late.hwb_area).user,
        "done_commissioner": MembershipFactory(role=R.COMMISSIONER, hwb_area=done.hwb_area).user,
    }
    return rnd, late, done, people


@pytest.fixture
def run_daily(django_capture_on_commit_callbacks):
    """Run a reminder task as beat would on that day (the email tasks run in-process, after the commit)."""

    def run(task, when):
        mail.outbox.clear()
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            task.apply()
        return sorted((m.to[0], m.subject, m.body) for m in mail.outbox)

    return run


def test_deadline_reminders_go_to_commissioners_of_areas_not_submitted_n_days_before(world, run_daily):
    rnd, late, _, people = world
    commissioners = sorted(u.email for u in people["late_commissioners"])
    for days in (14, 7, 1):
        sent = run_daily(tasks.send_deadline_reminders, DEADLINE - timedelta(days=days))
        assert [to for to, _, _ in sent] == commissioners, days
        for _, subject, body in sent:
            assert subject == f"{days} day(s) to the deadline: Lateshire Better Care Fund plan ({rnd.name})"
            assert f"https://bcf.example.org/plans/2017-19/{late.hwb_area.ons_code}/" in body
            assert "31 March 2027" in body
        # The same day again (beat restarted, a second worker): nothing twice.
        assert run_daily(tasks.send_deadline_reminders, DEADLINE - timedelta(days=days, hours=-2)) == []
    for days in (13, 8, 6, 2, 0):
        assert run_daily(tasks.send_deadline_reminders, DEADLINE - timedelta(days=days)) == [], days


def test_reminder_days_are_the_rounds_own(world, run_daily):
    rnd, *_ = world
    PlanningRound.objects.filter(pk=rnd.pk).update(reminder_days=[3])
    assert run_daily(tasks.send_deadline_reminders, DEADLINE - timedelta(days=7)) == []
    assert len(run_daily(tasks.send_deadline_reminders, DEADLINE - timedelta(days=3))) == 2


def test_signature_reminders_go_to_signatories_who_have_not_signed_after_m_days(world, run_daily):
    rnd, late, _, _ = world
    slots = list(SignOffSlot.objects.filter(round=rnd).order_by("order"))
    signatories = {
        s.code: MembershipFactory(role=R.SIGNATORY, hwb_area=late.hwb_area, signoff_slot_code=s.code).user
        for s in slots
    }
    sent_at = datetime(2027, 3, 1, 10, 0, tzinfo=UK)
    with time_machine.travel(sent_at, tick=False):
        Plan.objects.filter(pk=late.pk).update(status=Plan.Status.READY_FOR_SIGNOFF)
        PlanEvent.objects.create(
            plan=late, action="send_for_signoff", from_status="draft", to_status="ready_for_signoff"
        )
    signed = slots[0]
    SignOff.objects.create(plan=late, slot=signed, signed_by=signatories[signed.code], signatory_name="Signed Already")
    waiting = sorted((signatories[s.code].email, s) for s in slots[1:])

    assert run_daily(tasks.send_signature_reminders, sent_at + timedelta(days=2, hours=12)) == []
    sent = run_daily(tasks.send_signature_reminders, sent_at + timedelta(days=3))
    assert [to for to, _, _ in sent] == [address for address, _ in waiting]
    for (_, subject, body), (_, slot) in zip(sent, waiting, strict=True):
        assert subject == f"Waiting for your signature: Lateshire Better Care Fund plan ({rnd.name})"
        assert f"as {slot.title} for 3 day(s)" in body
        assert f"https://bcf.example.org/plans/2017-19/{late.hwb_area.ons_code}/governance/sign/{slot.code}/" in body
    assert run_daily(tasks.send_signature_reminders, sent_at + timedelta(days=3, hours=5)) == []
    assert run_daily(tasks.send_signature_reminders, sent_at + timedelta(days=4)) == []
    assert len(run_daily(tasks.send_signature_reminders, sent_at + timedelta(days=6))) == len(waiting)


def test_the_default_schedule_runs_both_tasks_daily_and_is_created_once():
    """The data migration's schedule (run again here: tests that flush tables remove migration data)."""
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    migration = importlib.import_module("governance.migrations.0010_default_reminder_schedule")
    migration.create(apps, None)
    migration.create(apps, None)
    # (Other daily tasks, such as opening planning updates, have their own schedules.)
    scheduled = dict(PeriodicTask.objects.filter(name__in=migration.TASKS).values_list("task", "crontab__hour"))
    assert scheduled == {
        "governance.tasks.send_deadline_reminders": "7",
        "governance.tasks.send_signature_reminders": "7",
    }
    assert {str(tz) for tz in PeriodicTask.objects.values_list("crontab__timezone", flat=True)} == {"Europe/London"}
