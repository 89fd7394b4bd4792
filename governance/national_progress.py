"""Reads for the national administration pages: the rounds list, and every area's progress against a round's deadline.

Each makes a fixed number of queries however many areas and plans there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Count, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from plans.models import Plan
from plans.selectors import ASSURER_VISIBLE_STATUSES
from rounds.models import Allocation, HwbArea, PlanningRound, Region

from .dashboards import days_late
from .national_rounds import areas_of_round


def rounds_list() -> list[dict]:
    """Every round with how many areas it names and how many plans it has."""
    # Two subqueries rather than joins: plans × allocations would multiply the rows counted.
    plans = Plan.objects.filter(round=OuterRef("pk")).order_by().values("round").annotate(n=Count("pk"))
    areas = (
        Allocation.objects.filter(round=OuterRef("pk"))
        .order_by()
        .values("round")
        .annotate(n=Count("hwb_area", distinct=True))
    )
    rounds = PlanningRound.objects.annotate(
        plan_count=Coalesce(Subquery(plans.values("n")), 0), area_count=Coalesce(Subquery(areas.values("n")), 0)
    ).order_by("-final_deadline")
    return list(rounds)


@dataclass(frozen=True)
class AreaProgress:
    area: HwbArea
    plan: Plan | None
    status_label: str
    submitted_at: object  # datetime of the first submission, or None
    days_left: int | None  # whole days to the final deadline while not submitted; negative once past it
    days_late: int  # days after the deadline: submitted late, or not yet submitted and past it

    @property
    def is_late(self) -> bool:
        return self.days_late > 0


def _days_left(deadline, now) -> int:
    seconds = (deadline - now).total_seconds()
    return math.ceil(seconds / 86400) if seconds >= 0 else -math.ceil(-seconds / 86400)


def round_progress(planning_round: PlanningRound, now=None) -> dict:
    """Per region, every area of the round with its plan's status and its distance from the final deadline."""
    now = now or timezone.now()
    deadline = planning_round.final_deadline
    plans = {
        p.hwb_area_id: p
        for p in Plan.objects.filter(round=planning_round)
        .select_related("group")
        .annotate(first_submitted_at=Min("submissions__submitted_at"))
    }
    areas = list(areas_of_round(planning_round).select_related("region"))
    known = {a.pk for a in areas}
    # Plans for areas the allocations do not name still count.
    areas += list(HwbArea.objects.filter(pk__in=set(plans) - known).select_related("region"))
    rows_by_region: dict[int, list[AreaProgress]] = {}
    for area in sorted(areas, key=lambda a: a.name):
        plan = plans.get(area.pk)
        submitted_at = plan.first_submitted_at if plan else None
        submitted = plan is not None and (plan.status in ASSURER_VISIBLE_STATUSES or submitted_at is not None)
        if submitted:
            late = days_late(submitted_at, deadline) if submitted_at else 0
            left = None
        else:
            left = _days_left(deadline, now)
            late = max(0, -left)
        rows_by_region.setdefault(area.region_id, []).append(
            AreaProgress(
                area=area,
                plan=plan,
                status_label=plan.get_status_display() if plan else "No plan",
                submitted_at=submitted_at,
                days_left=left,
                days_late=late,
            )
        )
    regions = [
        {"region": region, "rows": rows_by_region[region.pk], "late": sum(r.is_late for r in rows_by_region[region.pk])}
        for region in Region.objects.filter(pk__in=rows_by_region).order_by("name")
    ]
    all_rows = [row for region in regions for row in region["rows"]]
    return {
        "round": planning_round,
        "regions": regions,
        "late": [row for row in all_rows if row.is_late],
        "area_total": len(all_rows),
        "submitted_total": sum(row.days_left is None for row in all_rows),
        "now": now,
    }
