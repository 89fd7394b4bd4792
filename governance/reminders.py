"""Reminder emails, run daily by django-celery-beat (governance.tasks; the schedule is data in the admin).

- Deadline reminders: N days before a round's final deadline (N in PlanningRound.reminder_days), every
  commissioner of an area whose plan is not yet submitted.
- Signature reminders: every M days (PlanningRound.signature_reminder_days) a plan waits in "ready for
  sign-off", each signatory of its area whose slot has not been signed.

Each email is recorded (ReminderSent) before it is queued, so a run repeated the same day sends nothing twice.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts import email
from accounts.models import Membership
from plans.models import Plan
from rounds.models import PlanningRound, SignOffSlot

from . import notifications
from .models import PlanEvent, ReminderSent, SignOff

NOT_SUBMITTED = (Plan.Status.DRAFT, Plan.Status.READY_FOR_SIGNOFF, Plan.Status.SIGNED_OFF)


def _first_time(plan: Plan, occasion: str, address: str) -> bool:
    """Record that `address` is reminded about `plan` for `occasion`; False if it already was."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(plan=plan, occasion=occasion, email=address)
    except IntegrityError:
        return False
    return True


def _members(plan: Plan, role: str) -> list[Membership]:
    return list(
        Membership.objects.filter(hwb_area_id=plan.hwb_area_id, role=role)
        .select_related("user")
        .order_by("user__email")
    )


@transaction.atomic
def send_deadline_reminders(today: date | None = None) -> int:
    """Remind areas that have not submitted, N days before the deadline. Returns the number of emails queued."""
    today = today or timezone.localdate()
    queued = 0
    for rnd in PlanningRound.objects.filter(is_open=True):
        deadline = timezone.localtime(rnd.final_deadline).date()
        days = (deadline - today).days
        if days not in set(rnd.reminder_days or []):
            continue
        plans = Plan.objects.filter(round=rnd, status__in=NOT_SUBMITTED).select_related("round", "hwb_area")
        for plan in plans:
            for membership in _members(plan, Membership.Role.COMMISSIONER):
                address = membership.user.email
                if not _first_time(plan, f"deadline:{days}", address):
                    continue
                email.send(
                    "deadline_reminder",
                    [address],
                    {
                        "plan": notifications.plan_name(plan),
                        "deadline": f"{timezone.localtime(rnd.final_deadline):%-d %B %Y}",
                        "days": days,
                        "link": notifications.plan_url(plan, "plans:plan_overview"),
                    },
                )
                queued += 1
    return queued


@transaction.atomic
def send_signature_reminders(today: date | None = None) -> int:
    """Remind signatories who have not signed a plan that has waited for them M, 2M, ... days."""
    today = today or timezone.localdate()
    sent_for_signoff = (
        PlanEvent.objects.filter(plan=OuterRef("pk"), to_status=Plan.Status.READY_FOR_SIGNOFF)
        .order_by("-created_at", "-pk")
        .values("pk", "created_at")
    )
    plans = (
        Plan.objects.filter(status=Plan.Status.READY_FOR_SIGNOFF, round__is_open=True)
        .select_related("round", "hwb_area")
        .annotate(
            waiting_event=Subquery(sent_for_signoff.values("pk")[:1]),
            waiting_since=Subquery(sent_for_signoff.values("created_at")[:1]),
        )
    )
    queued = 0
    for plan in plans:
        every = plan.round.signature_reminder_days
        if plan.waiting_since is None or not every:
            continue
        days = (today - timezone.localtime(plan.waiting_since).date()).days
        if days < every:
            continue
        signed = set(SignOff.objects.filter(plan=plan, voided_at__isnull=True).values_list("slot__code", flat=True))
        slots = dict(SignOffSlot.objects.filter(round=plan.round).values_list("code", "title"))
        for membership in _members(plan, Membership.Role.SIGNATORY):
            code = membership.signoff_slot_code
            if code in signed or code not in slots:
                continue
            address = membership.user.email
            if not _first_time(plan, f"signature:{plan.waiting_event}:{days // every}", address):
                continue
            email.send(
                "signature_reminder",
                [address],
                {
                    "plan": notifications.plan_name(plan),
                    "slot": slots[code],
                    "days": days,
                    "link": notifications.plan_url(plan, "governance:sign", slot_code=code),
                },
            )
            queued += 1
    return queued
