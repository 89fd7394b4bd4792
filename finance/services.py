"""Writes to a plan's pooled budget: income and expenditure lines, and applying an imported workbook.

Every write goes through plans.editing.plan_edit: the plan is locked, the user's permission checked
on the locked row, the version the user started from compared (a save over someone else's newer
save raises StaleEdit, so nothing is lost silently), and rows saved one by one so simple_history
records who changed what. Schemes and metrics are written only by their own apps' services.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError

from accounts.models import User
from capacity import services as capacity_services
from metrics import services as metric_services
from plans import services as plan_services
from plans.editing import plan_edit
from plans.models import Plan
from rounds.config import round_config
from rounds.models import CodeListEntry, FundingStream, Organisation, RoundYear, Section
from schemes import services as scheme_services
from schemes.models import Scheme

from .models import ExpenditureAmount, ExpenditureLine, IncomeLine
from .selectors import SECTION_RULES, line_problems, part_two_for_plan, split_rule_specs
from .workbook import CAPACITY_SHEET
from .workbook_import import Change, ParsedWorkbook, diff_workbook, read_workbook


def refresh_progress(*, user: User, plan: Plan, changed: set[str]) -> None:
    """After finance rows changed: the changed sections start, and a Completed income or expenditure
    section whose rules no longer hold goes back to In progress (income changes can break
    expenditure's rules too, so both are checked)."""
    for table in SECTION_RULES:
        plan_services.touch_table_section(user=user, plan=plan, table=table, start=table in changed)


# --- Income -------------------------------------------------------------------------


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
    with plan_edit(user=user, plan=plan) as edit:
        line = IncomeLine(plan=edit.plan) if line is None else edit.row(IncomeLine, line.pk, version=version)
        line.funding_stream, line.organisation, line.year = funding_stream, organisation, year
        line.amount, line.note = amount, note
        line.full_clean(exclude=["plan"])
        edit.save(line)
        refresh_progress(user=user, plan=edit.plan, changed={Section.Table.INCOME})
    return line


def remove_income_line(*, user: User, plan: Plan, line: IncomeLine, version: int | None = None) -> None:
    with plan_edit(user=user, plan=plan) as edit:
        edit.delete(edit.row(IncomeLine, line.pk, version=version))
        refresh_progress(user=user, plan=edit.plan, changed={Section.Table.INCOME})


# --- Expenditure --------------------------------------------------------------------


def save_expenditure_line(
    *,
    user: User,
    plan: Plan,
    line: ExpenditureLine | None = None,
    version: int | None = None,
    scheme_reference: str,
    scheme_name: str = "",
    scheme_type: CodeListEntry,
    area_of_spend: CodeListEntry,
    commissioner: CodeListEntry,
    percent_nhs: Decimal | None,
    percent_la: Decimal | None,
    provider: CodeListEntry,
    funding_stream: FundingStream,
    is_new: bool,
    amounts: dict[RoundYear, Decimal | None],
    sub_type: CodeListEntry | None = None,
    outputs: dict[RoundYear, Decimal | None] | None = None,
) -> ExpenditureLine:
    """Add or change a line. A reference no scheme of the plan has (ignoring case) adds that scheme,
    through the schemes service and in this transaction: a line that fails leaves no scheme behind.

    The round's per-line rules (split, sub-type, planned outputs: finance.rules) are checked here
    whoever calls; a line that breaks one raises ValidationError naming the field."""
    with plan_edit(user=user, plan=plan) as edit:
        plan = edit.plan
        outputs = outputs or {}
        config = round_config(plan.round_id)
        problems = line_problems(
            codes=config.codes,
            split_rules=split_rule_specs(config),
            scheme_type=scheme_type,
            sub_type=sub_type,
            commissioner=commissioner,
            funding_stream=funding_stream,
            percent_nhs=percent_nhs,
            percent_la=percent_la,
            amounts={year.label: amount for year, amount in amounts.items()},
            outputs={year.label: output for year, output in outputs.items()},
        )
        if problems:
            # Field names as the model has them (a planned output is kept on its year's amount row).
            raise ValidationError(
                {"planned_output" if name.startswith("output:") else name: message for name, message in problems}
            )
        scheme = scheme_services.scheme_with_reference(
            user=user,
            plan=plan,
            reference=scheme_reference,
            new_scheme=_new_scheme(scheme_name, scheme_type, commissioner, area_of_spend, is_new),
        )
        if line is None:
            line = ExpenditureLine(plan=plan, order=plan.expenditure_lines.count())
        else:
            line = edit.row(ExpenditureLine, line.pk, version=version)
        line.scheme, line.scheme_type, line.sub_type = scheme, scheme_type, sub_type
        line.area_of_spend = area_of_spend
        line.commissioner, line.percent_nhs, line.percent_la = commissioner, percent_nhs, percent_la
        line.provider, line.funding_stream, line.is_new = provider, funding_stream, is_new
        edit.save(line)
        _set_amounts(line, amounts, outputs)
        refresh_progress(user=user, plan=plan, changed={Section.Table.EXPENDITURE})
    return line


def _new_scheme(name, scheme_type, commissioner, area_of_spend, is_new) -> dict:
    """The scheme a line with a new reference adds, described by the line."""
    return {
        "name": name,
        "scheme_type_id": scheme_type.pk,
        "lead_commissioner_id": commissioner.pk,
        "area_of_spend_id": area_of_spend.pk,
        "is_new": is_new,
    }


def _set_amounts(
    line: ExpenditureLine,
    amounts: dict[RoundYear, Decimal | None],
    outputs: dict[RoundYear, Decimal | None],
    existing: dict[int, ExpenditureAmount] | None = None,
) -> None:
    """Store the line's amount and planned output for each year (an output is kept with its year's
    amount); `existing` (year id -> amount row) saves a query per line."""
    if existing is None:
        existing = {a.year_id: a for a in line.amounts.all()}
    for year, amount in amounts.items():
        current = existing.get(year.pk)
        output = outputs.get(year)
        if amount is None:
            if current is not None:
                current.delete()
        elif current is None:
            ExpenditureAmount.objects.create(line=line, year=year, amount=amount, planned_output=output)
        elif current.amount != amount or current.planned_output != output:
            current.amount, current.planned_output = amount, output
            current.save()


def remove_expenditure_line(*, user: User, plan: Plan, line: ExpenditureLine, version: int | None = None) -> None:
    with plan_edit(user=user, plan=plan) as edit:
        edit.delete(edit.row(ExpenditureLine, line.pk, version=version))
        refresh_progress(user=user, plan=edit.plan, changed={Section.Table.EXPENDITURE})


# --- Importing a workbook -----------------------------------------------------------


def apply_workbook_import(*, user: User, plan: Plan, data: bytes) -> list[Change]:
    """Validate the workbook again under a lock on the plan and apply every change, or none.

    Raises WorkbookRejected (nothing written) if the workbook has errors. Schemes and metrics are
    written through their own apps' services.
    """
    with plan_edit(user=user, plan=plan) as edit:
        plan = edit.plan
        part = part_two_for_plan(plan)
        parsed = read_workbook(data, plan, part)
        changes = diff_workbook(part, parsed)
        if changes:
            _apply_income(plan, part, parsed)
            _apply_expenditure(user, plan, part, parsed)
            metric_services.apply_imported_metrics(
                plan=plan,
                round_metrics=part.metrics,
                rows=parsed.metrics,
            )
            if parsed.risks is not None and any(change.sheet == "Risks" for change in changes):
                plan_services.apply_imported_risks(user=user, plan=plan, rows=parsed.risks)
            if parsed.capacity is not None:
                capacity_services.apply_imported_capacity(plan=plan, figures=parsed.capacity)
            edit.changed("Part 2 workbook imported")
            # The import marks nothing completed; it starts the sections it changed and takes back
            # "Completed" from any whose rules the new figures break.
            sheets = {change.sheet for change in changes}
            tables = {"Income": Section.Table.INCOME, "Expenditure": Section.Table.EXPENDITURE}
            refresh_progress(user=user, plan=plan, changed={tables[s] for s in sheets if s in tables})
            metric_services.refresh_metrics_progress(user=user, plan=plan, start="Metrics" in sheets)
            if parsed.capacity is not None:
                capacity_services.refresh_capacity_progress(user=user, plan=plan, start=CAPACITY_SHEET in sheets)
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


def _apply_expenditure(user: User, plan: Plan, part, parsed: ParsedWorkbook):
    years = {y.label: y for y in part.years}
    schemes = {s.reference.lower(): s for s in Scheme.objects.filter(plan=plan)}
    related = ("scheme", "scheme_type", "sub_type", "area_of_spend", "commissioner", "provider", "funding_stream")
    existing = {line.pk: line for line in ExpenditureLine.objects.filter(plan=plan).select_related(*related)}
    stored: dict[int, dict[int, ExpenditureAmount]] = defaultdict(dict)
    for amount in ExpenditureAmount.objects.filter(line__plan=plan):
        stored[amount.line_id][amount.year_id] = amount
    kept = set()
    for order, row in enumerate(parsed.expenditure):
        scheme = schemes.get(row.scheme_reference.strip().lower())
        if scheme is None:
            scheme = scheme_services.scheme_with_reference(
                user=user,
                plan=plan,
                reference=row.scheme_reference,
                new_scheme=_new_scheme(
                    row.scheme_name, row.scheme_type, row.commissioner, row.area_of_spend, row.is_new
                ),
            )
            schemes[scheme.reference.lower()] = scheme
        fields = {
            "scheme": scheme,
            "scheme_type": row.scheme_type,
            "sub_type": row.sub_type,
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
        _set_amounts(
            line,
            {years[label]: amount for label, amount in row.amounts.items()},
            {years[label]: output for label, output in row.outputs.items()},
            stored[line.pk],
        )
    for pk, line in existing.items():
        if pk not in kept:
            line.delete()
