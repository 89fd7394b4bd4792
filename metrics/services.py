"""Writes to a plan's metric ambitions, with the same version check as every other plan edit."""

from __future__ import annotations

from collections import defaultdict

from accounts.models import User
from plans import services as plan_services
from plans.editing import StaleEdit, plan_edit
from plans.models import Plan
from rounds.models import Metric, Section

from .models import MetricAmbition, PlannedValue

BASELINE_FIELDS = ["baseline_period", "baseline_value", "baseline_numerator", "baseline_denominator", "rationale"]
LOCAL_FIELDS = ["local_name", "local_definition", "local_unit"]


def save_ambition(
    *,
    user: User,
    plan: Plan,
    ambition: MetricAmbition | None,
    metric: Metric | None,
    version: int | None,
    values: dict,
    planned: list[dict],
) -> MetricAmbition:
    """Create or update one ambition and its planned values; refuse (StaleEdit) a save over a newer one."""
    with plan_edit(user=user, plan=plan) as edit:
        plan = edit.plan
        if ambition is None and metric is not None:
            ambition = MetricAmbition.objects.filter(plan=plan, metric=metric).first()
            if ambition is not None and version not in (None, 0):
                raise StaleEdit()
        if ambition is None:
            ambition = MetricAmbition(plan=plan, metric=metric, order=metric.order if metric else 100)
        else:
            ambition = edit.row(MetricAmbition, ambition.pk, version=version or None)
        numbers = {"baseline_value", "baseline_numerator", "baseline_denominator"}
        for name in BASELINE_FIELDS + (LOCAL_FIELDS if metric is None else []):
            setattr(ambition, name, values.get(name) if name in numbers else (values.get(name) or ""))
        edit.save(ambition)
        existing = {p.period: p for p in ambition.planned_values.all()}
        for order, row in enumerate(planned):
            figures = (row["value"], row["numerator"], row["denominator"])
            current = existing.get(row["period"])
            if all(n is None for n in figures) and metric is not None:
                # A round metric's periods are fixed by the round: a blank period simply has no value.
                if current is not None:
                    current.delete()
                continue
            if current is None:
                PlannedValue.objects.create(
                    ambition=ambition,
                    period=row["period"],
                    value=row["value"],
                    numerator=row["numerator"],
                    denominator=row["denominator"],
                    order=order,
                )
            elif (current.value, current.numerator, current.denominator) != figures:
                current.value, current.numerator, current.denominator = figures
                current.save()
        refresh_metrics_progress(user=user, plan=plan)
    return ambition


def refresh_metrics_progress(*, user: User, plan: Plan, start: bool = True) -> None:
    """After an ambition changed: the metrics section starts, or leaves Completed if its rule no longer holds."""
    plan_services.touch_table_section(user=user, plan=plan, table=Section.Table.METRICS, start=start)


def remove_local_metric(*, user: User, plan: Plan, ambition: MetricAmbition, version: int | None) -> None:
    with plan_edit(user=user, plan=plan) as edit:
        edit.delete(edit.row(MetricAmbition, ambition.pk, version=version, metric__isnull=True))
        refresh_metrics_progress(user=user, plan=edit.plan)


def apply_imported_metrics(
    *,
    plan: Plan,
    round_metrics: list[Metric],
    rows: list,
) -> None:
    """Apply the Metrics sheet of an imported Part 2 workbook (finance.workbook_import's MetricRow rows).

    Called by finance's import inside its plans.editing.plan_edit, which holds the plan's lock,
    checked the user's permission and records the history author; the rows are already validated.
    """
    metrics = {m.name: m for m in round_metrics}
    # The rows to change are read as models here, under the caller's lock (the snapshot is immutable).
    ambitions = list(MetricAmbition.objects.filter(plan=plan))
    planned: dict[int, list[PlannedValue]] = defaultdict(list)
    for value in PlannedValue.objects.filter(ambition__plan=plan):
        planned[value.ambition_id].append(value)
    ambitions_by_metric = {a.metric_id: a for a in ambitions if a.metric_id}
    local = {a.local_name: a for a in ambitions if not a.metric_id}
    by_id = {a.pk: a for a in ambitions}
    touched: dict[int, MetricAmbition] = {}
    planned_seen: dict[int, set[str]] = {}

    def ambition_for(row) -> MetricAmbition | None:
        """The row's ambition; a new one only for a row that says something (the export writes blank
        rows for every round metric the plan has no ambition for)."""
        if row.ambition_id is not None:
            return by_id[row.ambition_id]
        metric = metrics.get(row.metric)
        if metric is not None:
            ambition = ambitions_by_metric.get(metric.pk)
            if ambition is None and row.has_content:
                ambition = MetricAmbition.objects.create(plan=plan, metric=metric, order=metric.order)
                ambitions_by_metric[metric.pk] = ambition
            return ambition
        ambition = local.get(row.metric)
        if ambition is None and row.has_content:
            ambition = MetricAmbition.objects.create(
                plan=plan, local_name=row.metric, local_unit=row.unit, order=100 + len(local)
            )
            local[row.metric] = ambition
        return ambition

    for row in rows:
        ambition = ambition_for(row)
        if ambition is None:
            continue
        touched[ambition.pk] = ambition
        seen = planned_seen.setdefault(ambition.pk, set())
        if row.unit and not ambition.metric_id and ambition.local_unit != row.unit:
            ambition.local_unit = row.unit
            ambition.version += 1
            ambition.save()
        if row.is_baseline:
            new = (row.value, row.period, row.numerator, row.denominator, row.rationale)
            old = (
                ambition.baseline_value,
                ambition.baseline_period,
                ambition.baseline_numerator,
                ambition.baseline_denominator,
                ambition.rationale,
            )
            if new != old:
                (
                    ambition.baseline_value,
                    ambition.baseline_period,
                    ambition.baseline_numerator,
                    ambition.baseline_denominator,
                    ambition.rationale,
                ) = new
                ambition.version += 1
                ambition.save()
            continue
        seen.add(row.period)
        current = next((p for p in planned[ambition.pk] if p.period == row.period), None)
        values = (row.value, row.numerator, row.denominator)
        if all(v is None for v in values):
            if current is not None:
                current.delete()
        elif current is None:
            PlannedValue.objects.create(
                ambition=ambition,
                period=row.period,
                value=row.value,
                numerator=row.numerator,
                denominator=row.denominator,
                order=len(seen),
            )
        elif (current.value, current.numerator, current.denominator) != values:
            current.value, current.numerator, current.denominator = values
            current.save()
    # Planned values whose rows were deleted from the sheet go too.
    for pk in touched:
        for value in planned[pk]:
            if value.period not in planned_seen.get(pk, set()):
                value.delete()
