"""Reads for the metrics page: each round metric with the plan's ambition, and the computed figures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from plans.models import Plan
from rounds.models import Metric

from .models import MetricAmbition, PlannedValue


def rate_per_100k(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """A rate per 100,000 population from a count and the population it is drawn from."""
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator) * 100000).quantize(Decimal("0.1"))


def percent_change(baseline: Decimal | None, planned: Decimal | None) -> Decimal | None:
    """% change from the baseline; negative when the plan is to reduce (e.g. admissions)."""
    if baseline is None or planned is None or baseline == 0:
        return None
    return ((Decimal(planned) - Decimal(baseline)) / Decimal(baseline) * 100).quantize(Decimal("0.1"))


@dataclass
class PlannedRow:
    period: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    rate: Decimal | None
    change: Decimal | None


@dataclass
class AmbitionRow:
    metric: Metric | None
    ambition: MetricAmbition | None
    name: str
    unit: str
    baseline_rate: Decimal | None
    planned: list[PlannedRow]


def ambitions_for_plan(plan: Plan) -> list[AmbitionRow]:
    """Every round metric (with or without an ambition yet) and every local metric, in 2 queries."""
    metrics = list(Metric.objects.filter(round_id=plan.round_id).order_by("order"))
    ambitions = list(
        MetricAmbition.objects.filter(plan=plan)
        .prefetch_related(Prefetch("planned_values", queryset=PlannedValue.objects.order_by("order", "id")))
        .order_by("order", "id")
    )
    by_metric = {a.metric_id: a for a in ambitions if a.metric_id}
    entries = [(m, by_metric.get(m.pk)) for m in metrics] + [(None, a) for a in ambitions if not a.metric_id]
    rows = []
    for metric, ambition in entries:
        planned = {p.period: p for p in ambition.planned_values.all()} if ambition else {}
        periods = list(metric.periods) if metric else []
        periods += [p for p in planned if p not in periods]
        baseline = ambition.baseline_value if ambition else None
        rows.append(
            AmbitionRow(
                metric=metric,
                ambition=ambition,
                name=metric.name if metric else ambition.local_name,
                unit=metric.get_unit_display() if metric else (ambition.get_local_unit_display() or ""),
                baseline_rate=rate_per_100k(ambition.baseline_numerator, ambition.baseline_denominator)
                if ambition
                else None,
                planned=[
                    PlannedRow(
                        period=period,
                        value=planned[period].value if period in planned else None,
                        numerator=planned[period].numerator if period in planned else None,
                        denominator=planned[period].denominator if period in planned else None,
                        rate=rate_per_100k(planned[period].numerator, planned[period].denominator)
                        if period in planned
                        else None,
                        change=percent_change(baseline, planned[period].value) if period in planned else None,
                    )
                    for period in periods
                ],
            )
        )
    return rows


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def ambition_problems(plan: Plan) -> list[str]:
    """What stops the metrics section being completed: every round metric needs an ambition, that is
    a baseline and a planned value for each of the metric's periods (2 queries).

    The rule reads only metrics' own rows, so it lives here, below finance, where the metrics page
    (which cannot call finance) and the workbook import (which can call this) both reach it.
    """
    problems = []
    for row in ambitions_for_plan(plan):
        if row.metric is None:
            continue  # local metrics are the area's own choice; the round asks nothing of them
        ambition = row.ambition
        baseline = ambition is not None and (
            ambition.baseline_value is not None or ambition.baseline_numerator is not None
        )
        missing = [p.period for p in row.planned if p.value is None and p.numerator is None]
        if not baseline and len(missing) == len(row.planned):
            problems.append(f"Enter an ambition for the metric ‘{row.name}’: its baseline and planned values")
            continue
        if not baseline:
            problems.append(f"Enter the baseline for the metric ‘{row.name}’")
        if missing:
            problems.append(f"Enter a planned value for {_list(missing)} for the metric ‘{row.name}’")
    return problems
