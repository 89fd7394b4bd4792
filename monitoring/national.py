"""The national roll-up of returns: per period, every area's return status, and the submitted figures by region.

Figures come only from submitted returns (submitted or reviewed), each read from its latest
ReturnSubmission's snapshot, which is immutable: never from live rows, and never from a draft.
Every function reads in a fixed number of queries, however many areas the round has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from governance.dashboards import days_late
from governance.dataset import ExtraSheet
from governance.models import Submission
from plans.models import Plan
from plans.selectors import ASSURER_VISIBLE_STATUSES as PLAN_VISIBLE_STATUSES
from rounds.models import HwbArea, PlanningRound, Region, ReturnPeriod

from . import permissions
from .models import Return, ReturnLine, ReturnSubmission
from .selectors import variance_percent

SUBMITTED = permissions.ASSURER_VISIBLE_STATUSES
ZERO = Decimal(0)


def submitted_content(snapshot: dict) -> dict:
    """The return content (selectors.return_content) a submission's snapshot records."""
    # The snapshot is the content itself, or wraps it under "content" as a plan submission's does.
    return snapshot if "lines" in snapshot else snapshot.get("content", {})


def _money(value) -> Decimal:
    return ZERO if value in (None, "") else Decimal(str(value))


def late_days(first_submitted_at, deadline, now) -> int:
    """Whole days late: first submitted after the deadline, or not submitted and the deadline has passed."""
    if first_submitted_at is not None:
        return days_late(first_submitted_at, deadline)
    return days_late(now, deadline)


# --- The page ------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Planned and actual income and expenditure to the period's end, and metrics judged on or off track."""

    planned_income: Decimal = ZERO
    actual_income: Decimal = ZERO
    planned_spend: Decimal = ZERO
    actual_spend: Decimal = ZERO
    on_track: int = 0
    off_track: int = 0
    submitted: int = 0

    def add(self, content: dict) -> None:
        self.submitted += 1
        for line in content.get("lines", []):
            planned, actual = _money(line.get("planned")), _money(line.get("actual"))
            if line.get("kind") == ReturnLine.Kind.INCOME:
                self.planned_income += planned
                self.actual_income += actual
            else:
                self.planned_spend += planned
                self.actual_spend += actual
        for metric in content.get("metrics", []):
            if metric.get("on_track") is True:
                self.on_track += 1
            elif metric.get("on_track") is False:
                self.off_track += 1

    def merge(self, other: Figures) -> None:
        for name in ("planned_income", "actual_income", "planned_spend", "actual_spend"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.on_track += other.on_track
        self.off_track += other.off_track
        self.submitted += other.submitted

    @property
    def income_variance(self) -> Decimal | None:
        return variance_percent(self.planned_income, self.actual_income) if self.submitted else None

    @property
    def spend_variance(self) -> Decimal | None:
        return variance_percent(self.planned_spend, self.actual_spend) if self.submitted else None


STATUS_LABELS = {
    "not_approved": "Plan not approved",
    "not_started": "Not started",
    "in_progress": "In progress",
    "not_submitted": "Not submitted",
    "submitted": "Submitted",
}


@dataclass(frozen=True)
class AreaReturn:
    area: HwbArea
    status: str  # a key of STATUS_LABELS
    submitted_at: object  # first submission's datetime, or None
    days_late: int

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_late(self) -> bool:
        return self.days_late > 0


@dataclass
class RegionReturns:
    region: Region
    rows: list[AreaReturn] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)

    @property
    def late(self) -> int:
        return sum(row.is_late for row in self.rows)


def national_period(*, round_slug: str, period_key: str) -> ReturnPeriod:
    period = ReturnPeriod.objects.select_related("round", "year").filter(round__slug=round_slug, key=period_key).first()
    if period is None:
        raise Http404("No such return period")
    return period


def _plans_in_scope(user: User, planning_round: PlanningRound) -> QuerySet[Plan]:
    """The round's plans whose returns the user sees: every one for national admins, assurers' regions' submitted."""
    plans = Plan.objects.filter(round=planning_round)
    regions = permissions.national_region_ids(user)
    if regions is None:
        return plans
    return plans.filter(hwb_area__region_id__in=regions, status__in=PLAN_VISIBLE_STATUSES)


def _latest_submission(field_name: str) -> Subquery:
    return Subquery(ReturnSubmission.objects.filter(ret=OuterRef("pk")).order_by("-version").values(field_name)[:1])


def _returns(plans: QuerySet[Plan]) -> QuerySet[Return]:
    """Returns of the plans with their first submission's time and their latest submission's snapshot."""
    return Return.objects.filter(plan__in=plans).annotate(
        first_submitted_at=Min("submissions__submitted_at"),
        latest_snapshot=_latest_submission("snapshot"),
        latest_submitted_at=_latest_submission("submitted_at"),
    )


def national_returns(user: User, period: ReturnPeriod, now=None) -> dict:
    """Every area with a plan in the round: its return's status for the period, late or not; figures by region."""
    now = now or timezone.now()
    national_admin = permissions.national_region_ids(user) is None
    scope = _plans_in_scope(user, period.round)
    approved = Submission.objects.filter(
        plan=OuterRef("pk"), reviews__outcome__is_approval=True, reviews__decided_at__isnull=False
    )
    plans = list(
        scope.select_related("hwb_area__region")
        .annotate(has_approval=Exists(approved))
        .order_by("hwb_area__region__name", "hwb_area__name")
    )
    returns = {r.plan_id: r for r in _returns(scope).filter(period=period)}
    regions: dict[int, RegionReturns] = {}
    for plan in plans:
        area = plan.hwb_area
        region = regions.setdefault(area.region_id, RegionReturns(region=area.region))
        ret = returns.get(plan.pk)
        first = ret.first_submitted_at if ret else None
        if ret is not None and ret.status in SUBMITTED:
            status = "submitted"
            region.figures.add(submitted_content(ret.latest_snapshot))
        elif ret is None and not plan.has_approval:
            status = "not_approved"
        elif not national_admin:
            status = "not_submitted"  # a draft is not the assurer's to see, nor how far it has got
        else:
            status = "in_progress" if ret is not None else "not_started"
        late = 0 if status == "not_approved" else late_days(first, period.deadline, now)
        region.rows.append(AreaReturn(area=area, status=status, submitted_at=first, days_late=late))
    england = Figures()
    for region in regions.values():
        england.merge(region.figures)
    rows = [row for region in regions.values() for row in region.rows]
    return {
        "period": period,
        "round": period.round,
        "periods": list(ReturnPeriod.objects.filter(round=period.round).order_by("order")),
        "regions": list(regions.values()),
        "england": england,
        "late": [row for row in rows if row.is_late],
        "area_total": len(rows),
        "submitted_total": sum(row.status == "submitted" for row in rows),
        "national_admin": national_admin,
        "spend_chart": _paired_bars(regions.values(), "planned_spend", "actual_spend"),
        "income_chart": _paired_bars(regions.values(), "planned_income", "actual_income"),
        "metrics_chart": _paired_bars(regions.values(), "on_track", "off_track"),
        "now": now,
    }


def _paired_bars(regions, first: str, second: str) -> list[dict]:
    """Per region, two figures and each one's share of the largest of them all (0-100), for an SVG bar."""
    rows = [
        {"label": r.region.name, "first": getattr(r.figures, first), "second": getattr(r.figures, second)}
        for r in regions
        if r.figures.submitted
    ]
    top = max((max(row["first"], row["second"]) for row in rows), default=0) or 1
    for row in rows:
        row["first_percent"] = int(round(row["first"] / top * 100))
        row["second_percent"] = int(round(row["second"] / top * 100))
    return rows


# --- The national dataset's returns sheet ----------------------------------------------------------

RETURNS_HEADERS = [
    "Round",
    "Period",
    "Region",
    "ONS code",
    "HWB area",
    "Kind",
    "Line",
    "Detail",
    "Planned to period end (£)",
    "Actual (£)",
    "Forecast for the year (£)",
    "Variance (%)",
    "Explanation",
    "Submitted at",
    "Late",
]
RETURNS_MONEY_COLUMNS = frozenset({8, 9, 10})
KIND_LABELS = dict(ReturnLine.Kind.choices)


def _returns_rows(planning_round: PlanningRound) -> Iterator[list]:
    returns = (
        _returns(Plan.objects.filter(round=planning_round))
        .filter(status__in=SUBMITTED)
        .select_related("period", "plan__hwb_area__region")
        .order_by("period__order", "plan__hwb_area__region__name", "plan__hwb_area__name")
    )
    for ret in returns:
        if ret.latest_snapshot is None:
            continue  # marked submitted without a submission row: nothing was sent
        area, period = ret.plan.hwb_area, ret.period
        late = "Yes" if late_days(ret.first_submitted_at, period.deadline, timezone.now()) else "No"
        submitted_at = timezone.localtime(ret.latest_submitted_at).replace(tzinfo=None)
        for line in submitted_content(ret.latest_snapshot).get("lines", []):
            planned = _money(line.get("planned"))
            actual = None if line.get("actual") in (None, "") else _money(line["actual"])
            variance = variance_percent(planned, actual)
            yield [
                planning_round.name,
                period.name,
                area.region.name,
                area.ons_code,
                area.name,
                KIND_LABELS.get(line.get("kind"), line.get("kind")),
                line.get("label", ""),
                line.get("detail", ""),
                planned,
                actual,
                None if line.get("forecast") in (None, "") else _money(line["forecast"]),
                variance,
                line.get("explanation", ""),
                submitted_at,
                late,
            ]


def returns_sheet(planning_round: PlanningRound) -> ExtraSheet:
    """One row per line of every submitted return, per period, from its latest submission (one query)."""
    return ExtraSheet(
        title="Returns",
        headers=RETURNS_HEADERS,
        rows=_returns_rows(planning_round),
        money_columns=RETURNS_MONEY_COLUMNS,
    )
