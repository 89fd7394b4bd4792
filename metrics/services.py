"""Writes to a plan's metric ambitions, with the same version check as every other plan edit."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from plans import services as plan_services
from plans.models import Plan, SectionProgress
from plans.services import require_edit
from rounds.models import Metric, Section

from .models import MetricAmbition, PlannedValue
from .selectors import ambition_problems


class StaleAmbition(Exception):
    message = (
        "Someone else changed this metric after you opened it. Your changes have not been saved: "
        "check their changes below, then make yours again."
    )


BASELINE_FIELDS = ["baseline_period", "baseline_value", "baseline_numerator", "baseline_denominator", "rationale"]
LOCAL_FIELDS = ["local_name", "local_definition", "local_unit"]


@transaction.atomic
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
    """Create or update one ambition and its planned values; refuse a save over a newer one."""
    require_edit(user=user, plan=plan)
    Plan.objects.select_for_update().get(pk=plan.pk)
    if ambition is None and metric is not None:
        ambition = MetricAmbition.objects.filter(plan=plan, metric=metric).first()
        if ambition is not None and version not in (None, 0):
            raise StaleAmbition(StaleAmbition.message)
    if ambition is None:
        ambition = MetricAmbition(plan=plan, metric=metric, order=metric.order if metric else 100)
    else:
        ambition = MetricAmbition.objects.select_for_update().get(pk=ambition.pk, plan=plan)
        if version is not None and version != 0 and ambition.version != version:
            raise StaleAmbition(StaleAmbition.message)
        ambition.version += 1
    numbers = {"baseline_value", "baseline_numerator", "baseline_denominator"}
    for name in BASELINE_FIELDS + (LOCAL_FIELDS if metric is None else []):
        setattr(ambition, name, values.get(name) if name in numbers else (values.get(name) or ""))
    ambition.save()
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
    plan_services.touch_table_section(
        user=user, plan=plan, table=Section.Table.METRICS, problems=ambition_problems, start=start
    )


@transaction.atomic
def complete_metrics_section(*, user: User, plan: Plan, section: Section) -> SectionProgress:
    """Mark the metrics section completed; refused (ValidationError) until every metric has an ambition."""
    return plan_services.complete_table_section(user=user, plan=plan, section=section, problems=ambition_problems)


@transaction.atomic
def remove_local_metric(*, user: User, plan: Plan, ambition: MetricAmbition, version: int | None) -> None:
    require_edit(user=user, plan=plan)
    ambition = MetricAmbition.objects.select_for_update().get(pk=ambition.pk, plan=plan, metric__isnull=True)
    if version is not None and ambition.version != version:
        raise StaleAmbition(StaleAmbition.message)
    ambition.delete()
    refresh_metrics_progress(user=user, plan=plan)
