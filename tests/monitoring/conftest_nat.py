"""Helpers for the national roll-up tests: approved plans in several regions, and returns filled and submitted.

Plans are approved by an approved Submission whose snapshot carries a small Part 2 (income,
expenditure, metrics); returns start through monitoring.services, are filled through its editing
services, and are submitted by writing the ReturnSubmission row with the return's content, as the
submission workflow does.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Membership
from governance.models import Review, Submission
from monitoring import selectors, services
from monitoring.models import Return, ReturnLine, ReturnMetric, ReturnSubmission
from plans.models import Plan
from rounds.models import OutcomeCategory, PlanningRound, ReturnPeriod
from tests.factories import HwbAreaFactory, MembershipFactory, PlanFactory, UserFactory

# Codes no shipped area has (the factory's sequence can reach a real area's code and fetch it instead).
_ons_codes = (f"E98{n:06d}" for n in itertools.count(1))


def plan_content(year: str, *, income: list[str], spend: list[str]) -> dict:
    """A Part 2 snapshot with the given yearly amounts: what a return is pre-filled from."""
    return {
        "income": [
            {"year": year, "funding_stream": f"Stream {i}", "organisation": "Council", "amount": amount}
            for i, amount in enumerate(income, start=1)
        ],
        "expenditure": [
            {
                "scheme": f"Scheme {i}",
                "scheme_type": "Reablement",
                "provider": "NHS community provider",
                "funding_stream": "Stream 1",
                "amounts": {year: amount},
            }
            for i, amount in enumerate(spend, start=1)
        ],
        "metrics": [
            {"metric_key": "admissions", "metric": "Emergency admissions", "local_unit": "", "planned_values": []},
            {"metric_key": "delays", "metric": "Delayed transfers", "local_unit": "", "planned_values": []},
        ],
    }


def approved_plan(planning_round: PlanningRound, region, *, name: str, content: dict) -> tuple[Plan, object]:
    """An approved plan for a new area in `region`, with its commissioner."""
    area = HwbAreaFactory(region=region, name=name, ons_code=next(_ons_codes))
    plan = PlanFactory(round=planning_round, hwb_area=area, status=Plan.Status.APPROVED)
    commissioner = MembershipFactory(hwb_area=area, role=Membership.Role.COMMISSIONER).user
    submission = Submission.objects.create(
        plan=plan,
        version=plan.version,
        snapshot={"content": content},
        snapshot_sha256="0" * 64,
        submitted_by=commissioner,
        submitted_at=timezone.now(),
    )
    outcome = OutcomeCategory.objects.filter(round=planning_round, is_approval=True).order_by("order").first()
    Review.objects.create(submission=submission, assurer=UserFactory(), outcome=outcome, decided_at=timezone.now())
    return plan, commissioner


def filled_return(
    plan: Plan, commissioner, period: ReturnPeriod, *, actuals: dict[str, Decimal], on_track=(True, False)
) -> Return:
    """Start the plan's return and enter actuals by line label (forecast = the year's plan) and metrics."""
    ret = services.start_return(user=commissioner, plan=plan, period=period)
    changes = [
        services.LineChange(
            pk=line.pk,
            version=line.version,
            actual=actuals[line.label],
            forecast=line.planned_year,
            explanation="Started later than planned.",
        )
        for line in ReturnLine.objects.filter(ret=ret)
    ]
    services.save_lines(user=commissioner, ret=ret, changes=changes)
    metric_changes = [
        services.MetricChange(pk=m.pk, version=m.version, actual=None, on_track=flag, reason="" if flag else "Winter")
        for m, flag in zip(ReturnMetric.objects.filter(ret=ret).order_by("order"), on_track, strict=True)
    ]
    services.save_metrics(user=commissioner, ret=ret, changes=metric_changes)
    return ret


def submit_return(ret: Return, commissioner, *, late: bool = False) -> ReturnSubmission:
    """Record the return as submitted, on time (a day before the deadline) or two days after it."""
    ret.refresh_from_db()
    content = selectors.return_content(ret)
    deadline = ret.period.deadline
    submitted_at = deadline + timedelta(days=2) if late else deadline - timedelta(days=1)
    submission = ReturnSubmission.objects.create(
        ret=ret,
        version=ret.version,
        snapshot=content,
        snapshot_sha256=selectors.return_content_hash(ret),
        submitted_by=commissioner,
        submitted_at=submitted_at,
        is_late=late,
    )
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.SUBMITTED)
    return submission
