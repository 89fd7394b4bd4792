"""Reads for the metrics page: each round metric with the plan's ambition, and the computed figures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch

from plans.models import Plan
from rounds.models import Metric
from rounds.units import UNITLESS, Measure, measure_for

from .models import MetricAmbition, PlannedValue


def percent_change(baseline: Decimal | None, planned: Decimal | None) -> Decimal | None:
    """% change from the baseline; negative when the plan is to reduce (e.g. admissions)."""
    if baseline is None or planned is None or baseline == 0:
        return None
    return ((Decimal(planned) - Decimal(baseline)) / Decimal(baseline) * 100).quantize(Decimal("0.1"))


@dataclass
class PlannedRow:
    period: str
    value: Decimal | None  # as entered, or worked out from the numerator and denominator
    numerator: Decimal | None
    denominator: Decimal | None
    shown: str  # the value in the metric's unit: "80.5%"
    change: Decimal | None


@dataclass
class AmbitionRow:
    metric: Metric | None
    ambition: MetricAmbition | None
    name: str
    measure: Measure
    baseline_value: Decimal | None
    baseline_shown: str
    planned: list[PlannedRow]

    @property
    def unit(self) -> str:
        return self.measure.label


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
        measure = measure_for(metric, ambition.local_unit if ambition else "") or UNITLESS
        planned = {p.period: p for p in ambition.planned_values.all()} if ambition else {}
        periods = list(metric.periods) if metric else []
        periods += [p for p in planned if p not in periods]
        baseline = (
            measure.figure(ambition.baseline_value, ambition.baseline_numerator, ambition.baseline_denominator)
            if ambition
            else None
        )
        planned_rows = []
        for period in periods:
            p = planned.get(period)
            value = measure.figure(p.value, p.numerator, p.denominator) if p else None
            planned_rows.append(
                PlannedRow(
                    period=period,
                    value=value,
                    numerator=p.numerator if p else None,
                    denominator=p.denominator if p else None,
                    shown=measure.format(value),
                    change=percent_change(baseline, value),
                )
            )
        rows.append(
            AmbitionRow(
                metric=metric,
                ambition=ambition,
                name=metric.name if metric else ambition.local_name,
                measure=measure,
                baseline_value=baseline,
                baseline_shown=measure.format(baseline),
                planned=planned_rows,
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
