"""What the public may see: published rounds and, in each, the approved plans with the Part 1 PDF they were approved on.

Read live on every request, so a plan approved after publication appears at once and a plan that is
reopened or not approved disappears; a withdrawn publication hides the whole round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, QuerySet

from governance.models import Submission
from plans.models import Plan
from rounds.models import PlanningRound

APPROVED_STATUSES = (Plan.Status.APPROVED, Plan.Status.APPROVED_WITH_CONDITIONS)


@dataclass(frozen=True)
class PublishedPlan:
    """An approved plan of a published round and the submission whose Part 1 PDF is the public file."""

    plan: Plan
    submission: Submission
    approved_at: datetime | None  # when its assurer recorded the decision

    @property
    def pdf_filename(self) -> str:
        return f"{self.plan.hwb_area.ons_code}-{self.plan.round.slug}-part1.pdf"


def published_rounds() -> QuerySet[PlanningRound]:
    """Rounds published and not withdrawn, newest first."""
    return (
        PlanningRound.objects.filter(publication__isnull=False, publication__withdrawn_at__isnull=True)
        .select_related("publication")
        .order_by("-final_deadline", "name")
    )


def is_published(planning_round: PlanningRound) -> bool:
    return published_rounds().filter(pk=planning_round.pk).exists()


def approved_plans(planning_round: PlanningRound) -> list[PublishedPlan]:
    """The round's approved plans, each with the submission of its approved version (published or not:
    the national admin's page counts them before publishing). Two queries."""
    plans = list(
        Plan.objects.filter(round=planning_round, status__in=APPROVED_STATUSES)
        .select_related("round", "hwb_area__region")
        .order_by("hwb_area__region__name", "hwb_area__name")
    )
    # The version a plan is approved at is the version of its last submission; its files are
    # recorded before assurance can start, but a row without them is never offered.
    submissions = {
        (s.plan_id, s.version): s
        for s in Submission.objects.filter(plan__in=plans, files_status=Submission.FilesStatus.DONE).annotate(
            approved_at=Max("reviews__decided_at")
        )
    }
    published = []
    for plan in plans:
        submission = submissions.get((plan.pk, plan.version))
        if submission is not None:
            published.append(PublishedPlan(plan=plan, submission=submission, approved_at=submission.approved_at))
    return published


def published_plans(planning_round: PlanningRound) -> list[PublishedPlan]:
    """What the public sees of a round: its approved plans if it is published and not withdrawn, else none."""
    if not is_published(planning_round):
        return []
    return approved_plans(planning_round)


def published_plan(planning_round: PlanningRound, ons_code: str) -> PublishedPlan | None:
    return next((p for p in published_plans(planning_round) if p.plan.hwb_area.ons_code == ons_code), None)


def published_plan_by_id(plan_id: int) -> Plan | None:
    """The plan if it is published now (its round published, not withdrawn, and it approved), else None."""
    plan = Plan.objects.filter(pk=plan_id).select_related("round", "hwb_area").first()
    if plan is None:
        return None
    found = next((p for p in published_plans(plan.round) if p.plan.pk == plan_id), None)
    return found.plan if found else None
