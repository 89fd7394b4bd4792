"""Writes to a plan's pooled budget: income and expenditure lines, and applying an imported workbook.

Every function checks the user may edit the plan. Edits carry the `version` the user started
from; a save over someone else's newer save is refused with StaleEdit, so nothing is lost
silently. Rows are saved one by one (not with queryset.update) so simple_history records who
changed what.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction
from simple_history.models import HistoricalRecords

from accounts.models import User
from metrics.models import MetricAmbition, PlannedValue
from metrics.services import refresh_metrics_progress
from plans import services as plan_services
from plans.models import Plan, SectionProgress
from plans.services import require_edit
from rounds.models import CodeListEntry, FundingStream, Organisation, RoundYear, Section
from schemes.models import Scheme

from .models import ExpenditureAmount, ExpenditureLine, IncomeLine
from .selectors import SECTION_RULES, part_two_for_plan, section_problems
from .workbook_import import BASELINE, Change, ParsedWorkbook, diff_workbook, read_workbook


class StaleEdit(Exception):
    """Someone saved this line after the user opened it."""

    message = (
        "Someone else changed this line after you opened it. Your changes have not been saved: "
        "check their changes below, then make yours again."
    )


@contextmanager
def history_user(user: User):
    """Record `user` as the author of every history row written inside, also outside a web request.

    In a request simple_history's middleware already knows the user; a management command does not.
    """
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    if previous is not None and getattr(previous, "user", None) is not None and previous.user.is_authenticated:
        yield
        return
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def _lock_plan(plan: Plan) -> Plan:
    return Plan.objects.select_for_update().get(pk=plan.pk)


def _check_version(instance, version: int | None):
    if version is not None and instance.version != version:
        raise StaleEdit(StaleEdit.message)


# --- Completing the finance sections ----------------------------------------------------


def _problems_of(table: str):
    return lambda plan: section_problems(plan, table)


@transaction.atomic
def complete_section(*, user: User, plan: Plan, section: Section) -> SectionProgress:
    """Mark the income or expenditure section completed once the round's rules for it hold.

    Raises ValidationError listing what is missing, in the rules' words (finance.rules).
    """
    if section.table not in SECTION_RULES:
        raise ValueError(f"finance does not complete {section.table!r} sections")
    return plan_services.complete_table_section(
        user=user, plan=plan, section=section, problems=_problems_of(section.table)
    )


def refresh_progress(*, user: User, plan: Plan, changed: set[str]) -> None:
    """After finance rows changed: the changed sections start, and a Completed income or expenditure
    section whose rules no longer hold goes back to In progress (income changes can break
    expenditure's rules too, so both are checked)."""
    for table in SECTION_RULES:
        plan_services.touch_table_section(
            user=user, plan=plan, table=table, problems=_problems_of(table), start=table in changed
        )


# --- Income -------------------------------------------------------------------------


@transaction.atomic
def save_income_line(
    *,
    user: User,
    plan: Plan,
    line: IncomeLine | None = None,
    version: int | None = None,
    funding_stream: FundingStream,
    organisation: Organisation,
    year: RoundYear,
    amount: Decimal,
    note: str = "",
) -> IncomeLine:
    require_edit(user=user, plan=plan)
    _lock_plan(plan)
    if line is None:
        line = IncomeLine(plan=plan)
    else:
        line = IncomeLine.objects.select_for_update().get(pk=line.pk, plan=plan)
        _check_version(line, version)
        line.version += 1
    line.funding_stream, line.organisation, line.year = funding_stream, organisation, year
    line.amount, line.note = amount, note
    line.full_clean(exclude=["plan"])
    line.save()
    refresh_progress(user=user, plan=plan, changed={Section.Table.INCOME})
    return line


@transaction.atomic
def remove_income_line(*, user: User, plan: Plan, line: IncomeLine, version: int | None = None) -> None:
    require_edit(user=user, plan=plan)
    _lock_plan(plan)
    line = IncomeLine.objects.select_for_update().get(pk=line.pk, plan=plan)
    _check_version(line, version)
    line.delete()
    refresh_progress(user=user, plan=plan, changed={Section.Table.INCOME})


# --- Expenditure --------------------------------------------------------------------


def scheme_for_line(
    *,
    plan: Plan,
    reference: str,
    name: str,
    scheme_type: CodeListEntry,
    commissioner: CodeListEntry,
    area_of_spend: CodeListEntry,
    is_new: bool,
) -> Scheme:
    """The plan's scheme with this reference; a line naming a new reference creates the scheme from it.

    Called inside the caller's transaction, after its permission check.
    """
    scheme = Scheme.objects.filter(plan=plan, reference=reference).first()
    if scheme is None:
        scheme = Scheme.objects.create(
            plan=plan,
            reference=reference,
            name=name,
            scheme_type=scheme_type,
            lead_commissioner=commissioner,
            area_of_spend=area_of_spend,
            is_new=is_new,
            order=Scheme.objects.filter(plan=plan).count(),
        )
    return scheme


@transaction.atomic
def save_expenditure_line(
    *,
    user: User,
    plan: Plan,
    line: ExpenditureLine | None = None,
    version: int | None = None,
    scheme: Scheme,
    scheme_type: CodeListEntry,
    area_of_spend: CodeListEntry,
    commissioner: CodeListEntry,
    percent_nhs: Decimal | None,
    percent_la: Decimal | None,
    provider: CodeListEntry,
    funding_stream: FundingStream,
    is_new: bool,
    amounts: dict[RoundYear, Decimal | None],
) -> ExpenditureLine:
    require_edit(user=user, plan=plan)
    _lock_plan(plan)
    if line is None:
        line = ExpenditureLine(plan=plan, order=plan.expenditure_lines.count())
    else:
        line = ExpenditureLine.objects.select_for_update().get(pk=line.pk, plan=plan)
        _check_version(line, version)
        line.version += 1
    line.scheme, line.scheme_type, line.area_of_spend = scheme, scheme_type, area_of_spend
    line.commissioner, line.percent_nhs, line.percent_la = commissioner, percent_nhs, percent_la
    line.provider, line.funding_stream, line.is_new = provider, funding_stream, is_new
    line.save()
    _set_amounts(line, amounts)
    refresh_progress(user=user, plan=plan, changed={Section.Table.EXPENDITURE})
    return line


def _set_amounts(
    line: ExpenditureLine,
    amounts: dict[RoundYear, Decimal | None],
    existing: dict[int, ExpenditureAmount] | None = None,
) -> None:
    """Store the line's amount for each year; `existing` (year id -> amount row) saves a query per line."""
    if existing is None:
        existing = {a.year_id: a for a in line.amounts.all()}
    for year, amount in amounts.items():
        current = existing.get(year.pk)
        if amount is None:
            if current is not None:
                current.delete()
        elif current is None:
            ExpenditureAmount.objects.create(line=line, year=year, amount=amount)
        elif current.amount != amount:
            current.amount = amount
            current.save()


@transaction.atomic
def remove_expenditure_line(*, user: User, plan: Plan, line: ExpenditureLine, version: int | None = None) -> None:
    require_edit(user=user, plan=plan)
    _lock_plan(plan)
    line = ExpenditureLine.objects.select_for_update().get(pk=line.pk, plan=plan)
    _check_version(line, version)
    line.delete()
    refresh_progress(user=user, plan=plan, changed={Section.Table.EXPENDITURE})


# --- Importing a workbook -----------------------------------------------------------


@transaction.atomic
def apply_workbook_import(*, user: User, plan: Plan, data: bytes) -> list[Change]:
    """Validate the workbook again under a lock on the plan and apply every change, or none.

    Raises WorkbookRejected (nothing written) if the workbook has errors.
    """
    require_edit(user=user, plan=plan)
    plan = _lock_plan(plan)
    plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
    part = part_two_for_plan(plan)
    parsed = read_workbook(data, plan, part)
    changes = diff_workbook(part, parsed)
    if changes:
        with history_user(user):
            _apply_income(plan, part, parsed)
            _apply_expenditure(plan, part, parsed)
            _apply_metrics(plan, part, parsed)
        # The import marks nothing completed; it starts the sections it changed and takes back
        # "Completed" from any whose rules the new figures break.
        sheets = {change.sheet for change in changes}
        tables = {"Income": Section.Table.INCOME, "Expenditure": Section.Table.EXPENDITURE}
        refresh_progress(user=user, plan=plan, changed={tables[s] for s in sheets if s in tables})
        refresh_metrics_progress(user=user, plan=plan, start="Metrics" in sheets)
    return changes


def _apply_income(plan, part, parsed: ParsedWorkbook):
    years = {y.label: y for y in part.years}
    # The snapshot is immutable: the lines to change are read as models, under the plan's lock.
    lines = IncomeLine.objects.filter(plan=plan)
    existing = {(line.funding_stream_id, line.organisation_id, line.year_id): line for line in lines}
    wanted = set()
    for row in parsed.income:
        for label, amount in row.amounts.items():
            if amount is None:
                continue
            key = (row.stream.pk, row.organisation.pk, years[label].pk)
            wanted.add(key)
            line = existing.get(key)
            if line is None:
                IncomeLine.objects.create(
                    plan=plan,
                    funding_stream=row.stream,
                    organisation=row.organisation,
                    year=years[label],
                    amount=amount,
                    note=row.note,
                )
            elif line.amount != amount or line.note != row.note:
                line.amount, line.note, line.version = amount, row.note, line.version + 1
                line.save()
    for key, line in existing.items():
        if key not in wanted:
            line.delete()


def _apply_expenditure(plan, part, parsed: ParsedWorkbook):
    years = {y.label: y for y in part.years}
    schemes = {s.reference: s for s in Scheme.objects.filter(plan=plan)}
    related = ("scheme", "scheme_type", "area_of_spend", "commissioner", "provider", "funding_stream")
    existing = {line.pk: line for line in ExpenditureLine.objects.filter(plan=plan).select_related(*related)}
    stored: dict[int, dict[int, ExpenditureAmount]] = defaultdict(dict)
    for amount in ExpenditureAmount.objects.filter(line__plan=plan):
        stored[amount.line_id][amount.year_id] = amount
    kept = set()
    for order, row in enumerate(parsed.expenditure):
        scheme = schemes.get(row.scheme_reference)
        if scheme is None:
            scheme = scheme_for_line(
                plan=plan,
                reference=row.scheme_reference,
                name=row.scheme_name,
                scheme_type=row.scheme_type,
                commissioner=row.commissioner,
                area_of_spend=row.area_of_spend,
                is_new=row.is_new,
            )
            schemes[scheme.reference] = scheme
        fields = {
            "scheme": scheme,
            "scheme_type": row.scheme_type,
            "area_of_spend": row.area_of_spend,
            "commissioner": row.commissioner,
            "percent_nhs": row.percent_nhs,
            "percent_la": row.percent_la,
            "provider": row.provider,
            "funding_stream": row.stream,
            "is_new": row.is_new,
        }
        if row.line_id is None:
            line = ExpenditureLine.objects.create(plan=plan, order=order, **fields)
        else:
            kept.add(row.line_id)
            line = existing[row.line_id]
            if any(getattr(line, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(line, k, v)
                line.version += 1
                line.save()
        _set_amounts(line, {years[label]: amount for label, amount in row.amounts.items()}, stored[line.pk])
    for pk, line in existing.items():
        if pk not in kept:
            line.delete()


def _apply_metrics(plan, part, parsed: ParsedWorkbook):
    metrics = {m.name: m for m in part.metrics}
    ambitions = list(MetricAmbition.objects.filter(plan=plan))
    ambitions_by_metric = {a.metric_id: a for a in ambitions if a.metric_id}
    local = {a.local_name: a for a in ambitions if not a.metric_id}
    by_id = {a.pk: a for a in ambitions}
    planned: dict[int, list[PlannedValue]] = defaultdict(list)
    for value in PlannedValue.objects.filter(ambition__plan=plan):
        planned[value.ambition_id].append(value)
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
            ambition = MetricAmbition.objects.create(plan=plan, local_name=row.metric, order=100 + len(local))
            local[row.metric] = ambition
        return ambition

    for row in parsed.metrics:
        ambition = ambition_for(row)
        if ambition is None:
            continue
        touched[ambition.pk] = ambition
        seen = planned_seen.setdefault(ambition.pk, set())
        if row.kind == BASELINE:
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
