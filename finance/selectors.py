"""Reads of a plan's Part 2 (income, expenditure, metrics) for the pages, the rules and the workbook.

`part_two_for_plan` makes a fixed number of queries whatever the number of lines, so the
pages and the workbook export cost the same for a plan of five lines or five hundred.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, Model

from metrics.models import MetricAmbition, PlannedValue
from plans.models import ConditionResponse, Plan, Risk
from rounds.config import round_config
from rounds.models import (
    Allocation,
    CodeListEntry,
    FundingStream,
    Metric,
    NationalCondition,
    Organisation,
    RingFence,
    RoundYear,
    Section,
)
from schemes.models import Scheme

from . import rules
from .models import ExpenditureAmount, ExpenditureLine, IncomeLine

# Bump when the workbook layout changes; import refuses workbooks of another format version.
WORKBOOK_FORMAT_VERSION = "1"
ZERO = Decimal("0")


@dataclass
class PartTwo:
    plan: Plan
    years: list[RoundYear]
    streams: list[FundingStream]
    codes: dict[str, list[CodeListEntry]]  # list name -> entries in order
    organisations: list[Organisation]
    allocations: list[Allocation]
    ring_fences: list[RingFence]
    income_lines: list[IncomeLine]
    expenditure_lines: list[ExpenditureLine]
    amounts: dict[int, dict[str, Decimal]]  # expenditure line id -> {year label: amount}, in year order
    metrics: list[Metric]
    ambitions: list[MetricAmbition]
    planned: dict[int, list[PlannedValue]]  # ambition id -> its planned values in order (empty list if none)
    conditions: list[NationalCondition]
    condition_responses: dict[int, ConditionResponse]  # question id -> response
    risks: list[Risk]
    figures: rules.PartTwoFigures = field(init=False)

    def __post_init__(self):
        self.figures = figures_from(self)

    @property
    def year_labels(self) -> list[str]:
        return [y.label for y in self.years]

    def code_by_id(self) -> dict[int, CodeListEntry]:
        return {entry.pk: entry for entries in self.codes.values() for entry in entries}


def _attach(rows: list, field_name: str, known: dict) -> None:
    """Point each row's foreign key at an already-fetched object instead of JOINing a copy per row.

    The round's code lists, years and streams are read once; building one model instance per
    line for each of them (as select_related does) was most of the cost of reading a large
    plan. An id not in `known` (not expected: lines use their round's lists) is fetched in one query.
    """
    if not rows:
        return
    field = rows[0]._meta.get_field(field_name)
    ids = {getattr(row, field.attname) for row in rows} - {None}
    if missing := ids - known.keys():
        known = {**known, **field.related_model._base_manager.in_bulk(missing)}
    for row in rows:
        value = getattr(row, field.attname)
        field.set_cached_value(row, None if value is None else known[value])


def _in_order(rows) -> list:
    """Rows sorted by their `order` then id, as the models' Meta.ordering would in SQL.

    The plan's rows are sorted here rather than by an ORDER BY: compiling the ordering costs
    Django more than sorting a few dozen rows, and the default orderings also join tables.
    """
    return sorted(rows, key=lambda row: (row.order, row.pk))


# The plan's own rows, each read by one statement whose only parameter is the plan's id.
# Django compiles a queryset anew every time it runs, which cost the Part 2 read more than
# fetching these few hundred rows, so each statement is compiled once per process and run
# through Model.raw (which still builds the instances and applies the database's converters).
PLAN_ROWS = {
    "income": lambda plan_id: IncomeLine._base_manager.filter(plan_id=plan_id),
    # With each line's scheme reference and name: a scheme's narrative is long and Part 2 shows
    # only these two, so they come with the line rather than as a query of their own.
    "expenditure": lambda plan_id: ExpenditureLine._base_manager.filter(plan_id=plan_id).annotate(
        scheme_reference=F("scheme__reference"), scheme_name=F("scheme__name")
    ),
    "ambitions": lambda plan_id: MetricAmbition._base_manager.filter(plan_id=plan_id),
    "planned_values": lambda plan_id: PlannedValue._base_manager.filter(ambition__plan_id=plan_id),
    "condition_responses": lambda plan_id: ConditionResponse._base_manager.filter(plan_id=plan_id),
    "risks": lambda plan_id: Risk._base_manager.filter(plan_id=plan_id),
}


@cache
def _compiled(name: str, alias: str) -> tuple[type[Model], str]:
    queryset = PLAN_ROWS[name](0).order_by().using(alias)
    sql, params = queryset.query.sql_with_params()
    if params != (0,):
        raise ValueError(f"PLAN_ROWS[{name!r}] must take the plan's id as its only parameter, not {params}")
    return queryset.model, sql


def _plan_rows(name: str, plan: Plan) -> list:
    """The plan's rows of one PLAN_ROWS kind, unordered, as model instances."""
    model, sql = _compiled(name, DEFAULT_DB_ALIAS)
    return list(model._base_manager.raw(sql, [plan.pk]))


def part_two_for_plan(plan: Plan, *, finance_only: bool = False) -> PartTwo:
    """Everything Part 2 shows or exports for one plan, in 7 queries however many lines it has.

    The round's configuration (years, streams, code lists, metrics, conditions, ring-fences,
    allocations, the area's organisations) comes from rounds.config, read once per process
    while it is unchanged. `finance_only` reads just what the finance rules and the finance
    summary use (income and expenditure: 3 queries); the metric ambitions, condition responses
    and risks are left empty, because the summary is the busiest Part 2 page and shows none of them.
    """
    # The plan's round, when it was read with the plan, carries the version of its configuration.
    config = round_config(plan.round_id, plan.round.config_version if Plan.round.is_cached(plan) else None)
    allocations = config.allocations.get(plan.hwb_area_id, [])
    # Shared with every request in this process, as the rest of the configuration is: read only.
    organisations = config.organisations.get(plan.hwb_area_id, [])
    income_lines = _plan_rows("income", plan)
    _attach(income_lines, "organisation", {o.pk: o for o in organisations})
    _attach(income_lines, "funding_stream", config.stream_by_id)
    _attach(income_lines, "year", config.year_by_id)
    income_lines.sort(key=lambda i: (i.funding_stream.order, i.organisation.name, i.year.order, i.pk))

    expenditure_lines = _in_order(_plan_rows("expenditure", plan))
    schemes: dict[int, Scheme] = {}
    for line in expenditure_lines:
        if line.scheme_id not in schemes:  # one instance per scheme, shared by its lines
            schemes[line.scheme_id] = Scheme.from_db(
                DEFAULT_DB_ALIAS, ["id", "reference", "name"], (line.scheme_id, line.scheme_reference, line.scheme_name)
            )
    _attach(expenditure_lines, "scheme", schemes)
    for name in ("scheme_type", "area_of_spend", "commissioner", "provider"):
        _attach(expenditure_lines, name, config.code_by_id)
    _attach(expenditure_lines, "funding_stream", config.stream_by_id)
    # Plain tuples rather than a prefetch: a prefetch builds a queryset for every line, which
    # cost more than reading the amounts themselves.
    by_line: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for line_id, year_id, amount in (
        ExpenditureAmount.objects.filter(line__plan_id=plan.pk).order_by().values_list("line_id", "year_id", "amount")
    ):
        by_line[line_id][year_id] = amount
    amounts = {}
    for line in expenditure_lines:
        per_year = by_line[line.pk]
        amounts[line.pk] = {y.label: per_year[y.pk] for y in config.years if y.pk in per_year}

    ambitions: list[MetricAmbition] = []
    responses: dict[int, ConditionResponse] = {}
    risks: list[Risk] = []
    planned: dict[int, list[PlannedValue]] = defaultdict(list)
    if not finance_only:
        ambitions = _in_order(_plan_rows("ambitions", plan))
        _attach(ambitions, "metric", config.metric_by_id)
        for value in _in_order(_plan_rows("planned_values", plan)):
            planned[value.ambition_id].append(value)
        responses = {r.question_id: r for r in _plan_rows("condition_responses", plan)}
        _attach(list(responses.values()), "question", config.question_by_id)
        risks = _in_order(_plan_rows("risks", plan))
        _attach(risks, "rating", config.code_by_id)
    return PartTwo(
        plan=plan,
        years=config.years,
        streams=config.streams,
        codes=config.codes,
        organisations=organisations,
        allocations=allocations,
        ring_fences=config.ring_fences,
        income_lines=income_lines,
        expenditure_lines=expenditure_lines,
        amounts=amounts,
        metrics=config.metrics,
        ambitions=ambitions,
        planned=planned,
        conditions=config.conditions,
        condition_responses=responses,
        risks=risks,
    )


def expenditure_label(line: ExpenditureLine) -> str:
    return f"Scheme {line.scheme.reference} {line.scheme.name}"


def figures_from(part: PartTwo) -> rules.PartTwoFigures:
    """The plain figures the rules check, built from already-fetched rows (no queries)."""
    return rules.PartTwoFigures(
        years=[y.label for y in part.years],
        stream_names={s.key: s.name for s in part.streams},
        income=[
            rules.IncomeFigure(line.funding_stream.key, line.organisation.name, line.year.label, line.amount)
            for line in part.income_lines
        ],
        expenditure=[
            rules.ExpenditureFigure(
                label=expenditure_label(line),
                stream_key=line.funding_stream.key,
                area_of_spend=line.area_of_spend.code,
                commissioner=line.commissioner.code,
                amounts=part.amounts[line.pk],
            )
            for line in part.expenditure_lines
        ],
        allocations={(a.key, a.year.label): a.amount for a in part.allocations},
        ring_fences=[
            rules.RingFenceSpec(
                key=f.key,
                name=f.name,
                stream_key=f.funding_stream.key if f.funding_stream_id else None,
                area_of_spend=f.area_of_spend.code if f.area_of_spend_id else None,
                commissioner=f.commissioner.code if f.commissioner_id else None,
            )
            for f in part.ring_fences
        ],
    )


@dataclass
class FinanceSummary:
    years: list[str]
    by_source: list[dict]  # {"name", "income": [per year], "spend": [per year]}
    by_scheme_type: list[dict]  # {"name", "amounts": [per year], "total"}
    by_area_of_spend: list[dict]
    pooled_totals: list[Decimal]
    spend_totals: list[Decimal]
    minimums: list[Decimal | None]
    results: list[rules.RuleResult]
    chart_max: Decimal


def finance_summary(part: PartTwo) -> FinanceSummary:
    """Totals by source, scheme type and area of spend, and every rule's result (no queries)."""
    figures = part.figures
    years = figures.years
    by_source = []
    for stream in part.streams:
        income = [rules.income_by_stream(figures, y).get(stream.key, ZERO) for y in years]
        spend = [rules.expenditure_by_stream(figures, y).get(stream.key, ZERO) for y in years]
        by_source.append({"name": stream.name, "income": income, "spend": spend})

    def grouped(attr: str) -> list[dict]:
        totals: dict[str, list[Decimal]] = {}
        for line in part.expenditure_lines:
            label = getattr(line, attr).label
            row = totals.setdefault(label, [ZERO] * len(years))
            per_year = part.amounts[line.pk]
            for i, y in enumerate(years):
                row[i] += per_year.get(y, ZERO)
        return [{"name": name, "amounts": amounts, "total": sum(amounts, ZERO)} for name, amounts in totals.items()]

    by_type = sorted(grouped("scheme_type"), key=lambda r: -r["total"])
    return FinanceSummary(
        years=years,
        by_source=by_source,
        by_scheme_type=by_type,
        by_area_of_spend=sorted(grouped("area_of_spend"), key=lambda r: -r["total"]),
        pooled_totals=[rules.pooled_total(figures, y) for y in years],
        spend_totals=[sum(rules.expenditure_by_stream(figures, y).values(), ZERO) for y in years],
        minimums=[figures.allocations.get(("minimum_pool", y)) for y in years],
        results=rules.check_all(figures),
        chart_max=max((r["total"] for r in by_type), default=ZERO),
    )


# The round's rules for each finance section of the task list (finance.rules, written once).
SECTION_RULES = {Section.Table.INCOME: rules.check_income, Section.Table.EXPENDITURE: rules.check_expenditure}


def section_problems(plan: Plan, table: str) -> list[str]:
    """What stops the income or expenditure section being completed, in the rules' own words (3 queries)."""
    figures = part_two_for_plan(plan, finance_only=True).figures
    return [result.message for result in SECTION_RULES[table](figures) if not result.passed]


def _snapshot(part: PartTwo) -> dict:
    """A JSON-able copy of everything the workbook shows, used for the export's content hash."""
    plan = part.plan
    return {
        "format": WORKBOOK_FORMAT_VERSION,
        "plan": [plan.pk, plan.round.slug, plan.hwb_area.ons_code, plan.hwb_area.name, plan.round.name],
        "status": plan.status,
        "years": part.year_labels,
        "streams": [[s.key, s.name] for s in part.streams],
        "codes": {k: [[e.code, e.label] for e in v] for k, v in sorted(part.codes.items())},
        "organisations": [o.name for o in part.organisations],
        "allocations": sorted([a.key, a.year.label, str(a.amount)] for a in part.allocations),
        "ring_fences": [[f.key, f.name] for f in part.ring_fences],
        "income": [[i.pk, i.version, str(i.amount), i.note] for i in part.income_lines],
        "expenditure": [
            [
                e.pk,
                e.version,
                e.scheme.reference,
                e.scheme.name,
                [[year, str(amount)] for year, amount in part.amounts[e.pk].items()],
            ]
            for e in part.expenditure_lines
        ],
        "ambitions": [
            [
                a.pk,
                a.version,
                a.local_name,
                str(a.baseline_value),
                str(a.baseline_numerator),
                str(a.baseline_denominator),
                a.baseline_period,
                a.rationale,
                [[p.period, str(p.value), str(p.numerator), str(p.denominator)] for p in part.planned[a.pk]],
            ]
            for a in part.ambitions
        ],
        "conditions": [
            [r.question_id, r.status, str(r.target_date), r.narrative] for r in part.condition_responses.values()
        ],
        "risks": [[r.pk, r.version, r.description, r.rating.label, r.mitigating_actions, r.owner] for r in part.risks],
    }


def workbook_content_hash(plan: Plan) -> str:
    """SHA-256 of the plan's Part 2 content: an unchanged plan has the same hash and reuses its export."""
    payload = json.dumps(_snapshot(part_two_for_plan(plan)), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def income_page(part: PartTwo) -> dict:
    """Income lines grouped by funding stream, with totals and the area's published minimums (no queries)."""
    years = part.years
    allocations = {(a.key, a.year_id): a.amount for a in part.allocations}
    streams = []
    for stream in part.streams:
        lines = [line for line in part.income_lines if line.funding_stream_id == stream.pk]
        totals = [sum((line.amount for line in lines if line.year_id == y.pk), ZERO) for y in years]
        minimums = [allocations.get((stream.key, y.pk)) for y in years]
        streams.append({"stream": stream, "lines": lines, "totals": totals, "minimums": minimums})
    return {
        "years": years,
        "streams": streams,
        "pool_rows": [{"year": y.label, "total": rules.pooled_total(part.figures, y.label)} for y in years],
        "minimum_pool": [allocations.get(("minimum_pool", y.pk)) for y in years],
        "ring_fences": [
            {"fence": fence, "amounts": [allocations.get((fence.key, y.pk)) for y in years]}
            for fence in part.ring_fences
        ],
    }


def expenditure_rows(part: PartTwo) -> list[dict]:
    """Each expenditure line with its amounts in the round's year order (no queries)."""
    rows = []
    for line in part.expenditure_lines:
        amounts = part.amounts[line.pk]
        rows.append({"line": line, "amounts": [amounts.get(y.label) for y in part.years]})
    return rows


def spend_chart(summary: FinanceSummary, *, width: int = 480, bar: int = 24, gap: int = 12) -> dict:
    """Geometry for the inline SVG bar chart of total spend by scheme type (the table beside it has the figures)."""
    rows = []
    for i, row in enumerate(summary.by_scheme_type):
        share = (row["total"] / summary.chart_max) if summary.chart_max else 0
        rows.append(
            {
                "name": row["name"],
                "total": row["total"],
                "y": i * (bar + gap),
                "text_y": i * (bar + gap) + bar - 6,
                "width": max(int(share * width), 1 if row["total"] else 0),
            }
        )
    return {"rows": rows, "width": width, "bar": bar, "height": max(len(rows) * (bar + gap), bar)}
