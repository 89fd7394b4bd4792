"""Reads of a plan's Part 2 (income, expenditure, metrics) for the pages, the rules and the workbook.

`part_two_for_plan` reads the plan's rows once into an immutable snapshot (frozen dataclasses),
in a fixed number of queries whatever the number of lines, so the pages and the workbook export
cost the same for a plan of five lines or five hundred. It uses only the ORM's public API
(`values_list`); the round's configuration rows it points at come from `rounds.config`, read once
per process. `governance.snapshots` composes this snapshot into the whole plan's.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property, lru_cache

from django.db import connection
from django.db.models import FilteredRelation, Q, Sum

from capacity.selectors import CapacityTables, capacity_tables, figures_for_plans
from metrics.models import MetricAmbition, PlannedValue
from plans.models import ConditionResponse, Plan, Risk
from plans.permissions import ASSURER_VISIBLE_STATUSES
from rounds.columns import TableColumn
from rounds.config import RoundConfig, round_config
from rounds.models import (
    Allocation,
    CodeListEntry,
    ConditionQuestion,
    FundingStream,
    HwbArea,
    IcbAllocation,
    Metric,
    NationalCondition,
    Organisation,
    RingFence,
    RoundYear,
    Section,
)
from rounds.units import UNITLESS, Measure, measure_for

from . import rules
from .models import ExpenditureLine, IncomeLine

# Bump when the workbook layout changes; import refuses workbooks of another format version.
WORKBOOK_FORMAT_VERSION = "2"  # 2: round-defined Risks columns (imported), metric units, line sub-types
ZERO = Decimal("0")


class _Row:
    """`pk` as a model has it, so templates and callers read a row as they read a model instance."""

    __slots__ = ()

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class PlanHeader:
    """Who and what the plan is, as read with its rows."""

    id: int
    version: int
    status: str
    round_id: int
    round_slug: str
    round_name: str
    hwb_area_id: int
    area_name: str
    ons_code: str
    created_at: datetime
    updated_at: datetime

    @property
    def pk(self) -> int:
        return self.id

    @property
    def status_label(self) -> str:
        return Plan.Status(self.status).label

    @classmethod
    def of(cls, plan: Plan) -> PlanHeader:
        area = plan.hwb_area
        return cls(
            id=plan.pk,
            version=plan.version,
            status=plan.status,
            round_id=plan.round_id,
            round_slug=plan.round.slug,
            round_name=plan.round.name,
            hwb_area_id=plan.hwb_area_id,
            area_name=area.name,
            ons_code=area.ons_code,
            created_at=plan.created_at,
            updated_at=plan.updated_at,
        )


@dataclass(frozen=True, slots=True)
class SchemeName(_Row):
    """What Part 2 shows of a scheme: its reference and name."""

    id: int
    reference: str
    name: str


@dataclass(frozen=True, slots=True)
class IncomeLineRow(_Row):
    id: int
    version: int
    funding_stream: FundingStream
    organisation: Organisation
    year: RoundYear
    amount: Decimal
    note: str

    @property
    def funding_stream_id(self) -> int:
        return self.funding_stream.pk

    @property
    def organisation_id(self) -> int:
        return self.organisation.pk

    @property
    def year_id(self) -> int:
        return self.year.pk


@dataclass(frozen=True, slots=True)
class ExpenditureLineRow(_Row):
    id: int
    version: int
    order: int
    scheme: SchemeName
    scheme_type: CodeListEntry
    area_of_spend: CodeListEntry
    commissioner: CodeListEntry
    provider: CodeListEntry
    funding_stream: FundingStream
    percent_nhs: Decimal | None
    percent_la: Decimal | None
    is_new: bool
    sub_type: CodeListEntry | None

    @property
    def scheme_id(self) -> int:
        return self.scheme.id

    @property
    def output_unit(self) -> str:
        """The scheme type's output unit label ("" when it has none): planned outputs are counted in it."""
        unit = self.scheme_type.output_unit
        return unit.label if unit is not None else ""


@dataclass(frozen=True, slots=True)
class AmbitionRow(_Row):
    id: int
    version: int
    order: int
    metric: Metric | None
    local_name: str
    local_definition: str
    local_unit: str
    baseline_value: Decimal | None
    baseline_period: str
    baseline_numerator: Decimal | None
    baseline_denominator: Decimal | None
    rationale: str

    @property
    def metric_id(self) -> int | None:
        return self.metric.pk if self.metric is not None else None

    @property
    def name(self) -> str:
        return self.metric.name if self.metric is not None else self.local_name

    @property
    def measure(self) -> Measure | None:
        """The unit its figures are worked out and shown in (None: a local metric saved with no unit)."""
        return measure_for(self.metric, self.local_unit)

    @property
    def shown_in(self) -> Measure:
        return self.measure or UNITLESS

    @property
    def unit_label(self) -> str:
        return self.shown_in.label


@dataclass(frozen=True, slots=True)
class PlannedValueRow(_Row):
    id: int
    ambition_id: int
    order: int
    period: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None


@dataclass(frozen=True, slots=True)
class ConditionResponseRow(_Row):
    id: int
    version: int
    question: ConditionQuestion
    status: str
    target_date: date | None
    narrative: str
    updated_at: datetime

    @property
    def question_id(self) -> int:
        return self.question.pk

    @property
    def status_label(self) -> str:
        return ConditionResponse.Status(self.status).label if self.status else ""


@dataclass(frozen=True, slots=True)
class RiskRow(_Row):
    id: int
    version: int
    order: int
    description: str
    rating: CodeListEntry | None  # None in a round whose register has no rating column
    mitigating_actions: str
    owner: str
    values: dict  # the round's own columns (rounds.columns), by key


@dataclass(frozen=True)
class PartTwo:
    """A plan's Part 2 as read once: the snapshot every Part 2 page, rule and workbook renders from."""

    plan: PlanHeader
    years: list[RoundYear]
    streams: list[FundingStream]
    codes: dict[str, list[CodeListEntry]]  # list name -> entries in order
    organisations: list[Organisation]
    allocations: list[Allocation]
    ring_fences: list[RingFence]
    icb_allocations: list[IcbAllocation]  # of the ICBs that serve the area, shared with their other areas
    icb_areas: Mapping[int, list[HwbArea]]  # ICB organisation id -> the areas that share its allocations
    income_lines: tuple[IncomeLineRow, ...]
    expenditure_lines: tuple[ExpenditureLineRow, ...]
    amounts: Mapping[int, dict[str, Decimal]]  # expenditure line id -> {year label: amount}, in year order
    outputs: Mapping[int, dict[str, Decimal]]  # expenditure line id -> {year label: planned output}, in year order
    split_rules: list[rules.SplitRuleSpec]
    metrics: list[Metric]
    ambitions: tuple[AmbitionRow, ...]
    planned: Mapping[int, tuple[PlannedValueRow, ...]]  # ambition id -> its planned values in order
    conditions: list[NationalCondition]
    condition_responses: Mapping[int, ConditionResponseRow]  # question id -> response
    risks: tuple[RiskRow, ...]
    risk_columns: tuple[TableColumn, ...] = ()

    @cached_property
    def code_labels(self) -> dict[tuple[str, str], str]:
        """Each code's label by (code list, code), for the round-defined choice columns (rounds.columns)."""
        return {(name, e.code): e.label for name, entries in self.codes.items() for e in entries}

    # The round's capacity and demand table with the plan's figures; None when the round has no table.
    capacity_demand: CapacityTables | None = None

    @cached_property
    def figures(self) -> rules.PartTwoFigures:
        return figures_from(self)

    @property
    def year_labels(self) -> list[str]:
        return [y.label for y in self.years]


def _in_order(rows) -> tuple:
    """Rows sorted by their `order` then id, as the models' Meta.ordering would in SQL.

    Sorted here rather than by an ORDER BY: the default orderings join tables, and sorting a few
    dozen rows in Python costs less than asking the database to.
    """
    return tuple(sorted(rows, key=lambda row: (row.order, row.id)))


def _known(ids, known: Mapping[int, object], model) -> Mapping[int, object]:
    """`known`, plus any of `ids` it lacks fetched in one query (not expected: lines use their round's lists)."""
    if missing := set(ids) - known.keys() - {None}:
        return {**known, **model._base_manager.in_bulk(missing)}
    return known


def _plan_rows(model, plan_ids: list[int], *fields: str, by: str = "plan_id") -> dict[int, list[tuple]]:
    """The plans' rows of one table as tuples of `fields`, grouped by `by` (the plan), unordered."""
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for row in model._base_manager.filter(**{f"{by}__in": plan_ids}).order_by().values_list(by, *fields):
        grouped[row[0]].append(row[1:])
    return grouped


def _finance_rows(plan_ids: list[int], line_fields: tuple[str, ...]) -> tuple[dict, dict, dict]:
    """The plans' income rows and expenditure lines by plan, and each line's amounts by line (2 queries)."""
    income = _plan_rows(IncomeLine, plan_ids, *INCOME_FIELDS)
    lines, amounts = _lines_with_amounts(plan_ids, line_fields)
    return income, lines, amounts


# How long this process keeps a plan's finance rows at most (see _kept_finance_rows).
KEPT_ROWS_SECONDS = 60


def _kept_finance_rows(plan: Plan) -> tuple[dict, dict, dict]:
    """One plan's finance rows as `_finance_rows` reads them, kept in this process by when the plan's
    content last changed: the finance summary and the task list's finance checks read them on every view.

    Every content change moves the plan's `updated_at` in its own transaction
    (plans.events.content_changed), and the plan is read before its rows, so rows kept under a
    plan's `updated_at` are never older than that change. Inside a transaction the rows are read
    and not kept: a write in progress may still be rolled back. Rows are kept for a minute at most,
    so a fix made outside the services (a bulk update in a shell) still shows within a minute.
    """
    if connection.in_atomic_block:
        return _finance_rows([plan.pk], LINE_WITH_SCHEME_FIELDS)
    return _kept_rows(plan.pk, plan.updated_at, int(time.time() // KEPT_ROWS_SECONDS))


@lru_cache(maxsize=256)
def _kept_rows(plan_id: int, updated_at: datetime, period: int) -> tuple[dict, dict, dict]:
    income, lines, amounts = _finance_rows([plan_id], LINE_WITH_SCHEME_FIELDS)
    # Plain dicts, read and never changed by their users (a defaultdict would grow on a lookup).
    return {plan_id: income.get(plan_id, [])}, {plan_id: lines.get(plan_id, [])}, dict(amounts)


def _lines_with_amounts(plan_ids: list[int], fields: tuple[str, ...]) -> tuple[dict, dict]:
    """The plans' expenditure lines as tuples of `fields` grouped by plan, and each line's amounts as
    (year id, amount, planned output) by line id, in one statement: the lines joined to their amounts.

    One statement rather than the lines and then their amounts by a list of line ids: the second
    round trip, and the ORM's work on a hundred ids, cost more than the lines' repeated columns.
    """
    lines: dict[int, list[tuple]] = defaultdict(list)
    amounts: dict[int, list[tuple]] = defaultdict(list)
    rows = (
        ExpenditureLine._base_manager.filter(plan_id__in=plan_ids)
        .order_by()
        .values_list("plan_id", *fields, "amounts__year_id", "amounts__amount", "amounts__planned_output")
    )
    end = len(fields) + 1
    for row in rows:
        line = row[1:end]
        if line[0] not in amounts:  # a line's first row (a line with no amounts has one row, of NULLs)
            lines[row[0]].append(line)
            amounts[line[0]] = []
        if row[end] is not None:
            amounts[line[0]].append(row[end:])
    return lines, amounts


INCOME_FIELDS = ("id", "version", "funding_stream_id", "organisation_id", "year_id", "amount", "note")
LINE_FIELDS = (
    "id",
    "version",
    "order",
    "scheme_id",
    "scheme_type_id",
    "area_of_spend_id",
    "commissioner_id",
    "provider_id",
    "funding_stream_id",
    "percent_nhs",
    "percent_la",
    "is_new",
    "sub_type_id",
)
LINE_WITH_SCHEME_FIELDS = (*LINE_FIELDS, "scheme__reference", "scheme__name")
AMBITION_FIELDS = (
    "id",
    "version",
    "order",
    "metric_id",
    "local_name",
    "local_definition",
    "local_unit",
    "baseline_value",
    "baseline_period",
    "baseline_numerator",
    "baseline_denominator",
    "rationale",
)
PLANNED_FIELDS = ("id", "ambition_id", "order", "period", "value", "numerator", "denominator")
RESPONSE_FIELDS = ("id", "version", "question_id", "status", "target_date", "narrative", "updated_at")
RISK_FIELDS = ("id", "version", "order", "description", "rating_id", "mitigating_actions", "owner", "values")


def part_two_for_plan(
    plan: Plan, *, finance_only: bool = False, schemes: Mapping[int, SchemeName] | None = None
) -> PartTwo:
    """Everything Part 2 shows or exports for one plan, in 6 queries however many lines it has
    (7 in a round with a capacity and demand table).

    The round's configuration (years, streams, code lists, metrics, conditions, ring-fences,
    allocations, the area's organisations) comes from rounds.config, read once per process
    while it is unchanged. `finance_only` reads just what the finance rules and the finance
    summary use (income and expenditure: 2 queries); the metric ambitions, condition responses
    and risks are left empty, because the summary is the busiest Part 2 page and shows none of them.
    `schemes` is the plan's schemes when the caller has read them already (the whole-plan
    snapshot does); otherwise each line's scheme reference and name come with the line.
    """
    return part_two_for_plans([plan], finance_only=finance_only, schemes=schemes)[plan.pk]


def part_two_for_plans(
    plans: list[Plan], *, finance_only: bool = False, schemes: Mapping[int, SchemeName] | None = None
) -> dict[int, PartTwo]:
    """Each plan's Part 2 snapshot, by plan id: the same 6 queries for one plan or a whole round's.

    The plans must be of one round (the national dataset reads every submitted plan of a round).
    """
    if not plans:
        return {}
    first = plans[0]
    # The plan's round, when it was read with the plan, carries the version of its configuration.
    config = round_config(first.round_id, first.round.config_version if Plan.round.is_cached(first) else None)
    ids = [plan.pk for plan in plans]
    if finance_only and schemes is None and len(plans) == 1:
        income, lines, amounts = _kept_finance_rows(first)
    else:
        # A scheme's narrative is long and Part 2 shows only its reference and name: they come with the line.
        income, lines, amounts = _finance_rows(ids, LINE_FIELDS if schemes is not None else LINE_WITH_SCHEME_FIELDS)
    ambitions, planned, responses, risks = {}, {}, {}, {}
    if not finance_only:
        ambitions = _plan_rows(MetricAmbition, ids, *AMBITION_FIELDS)
        ambition_ids = [row[0] for rows in ambitions.values() for row in rows]
        planned = _plan_rows(PlannedValue, ambition_ids, *PLANNED_FIELDS, by="ambition_id") if ambition_ids else {}
        responses = _plan_rows(ConditionResponse, ids, *RESPONSE_FIELDS)
        risks = _plan_rows(Risk, ids, *RISK_FIELDS)
    # Only a round with a capacity and demand table costs the query for its figures.
    capacity = figures_for_plans(ids) if config.capacity_demand is not None and not finance_only else {}
    read = _Read(config, schemes, amounts, planned, capacity)
    return {
        plan.pk: read.part_two(
            plan,
            income[plan.pk],
            lines[plan.pk],
            ambitions.get(plan.pk, []),
            responses.get(plan.pk, []),
            risks.get(plan.pk, []),
        )
        for plan in plans
    }


@dataclass(frozen=True)
class _Read:
    """Rows read for one or more plans, turned into each plan's snapshot (no queries, unless a row
    points at configuration the round's cached copy lacks)."""

    config: RoundConfig
    schemes: Mapping[int, SchemeName] | None
    amounts: Mapping[int, list[tuple]]  # line id -> (year id, amount, planned output)
    planned: Mapping[int, list[tuple]]  # ambition id -> rows of PLANNED_FIELDS
    capacity: Mapping[int, dict]  # plan id -> its capacity and demand figures by (row key, period)

    def part_two(self, plan: Plan, income, lines, ambitions, responses, risks) -> PartTwo:
        config = self.config
        organisations = config.organisations.get(plan.hwb_area_id, [])
        streams = _known([r[2] for r in income] + [r[8] for r in lines], config.stream_by_id, FundingStream)
        orgs = _known((r[3] for r in income), {o.pk: o for o in organisations}, Organisation)
        years = _known((r[4] for r in income), config.year_by_id, RoundYear)
        income_lines = sorted(
            (
                IncomeLineRow(pk, version, streams[stream], orgs[org], years[year], amount, note)
                for pk, version, stream, org, year, amount, note in income
            ),
            key=lambda i: (i.funding_stream.order, i.organisation.name, i.year.order, i.id),
        )
        schemes = self.schemes
        if schemes is None:  # each line came with its scheme's reference and name
            end = len(LINE_FIELDS)
            schemes = {row[3]: SchemeName(row[3], row[end], row[end + 1]) for row in lines}
        codes = _known((i for row in lines for i in (*row[4:8], row[12])), config.code_by_id, CodeListEntry)
        expenditure_lines = _in_order(
            ExpenditureLineRow(
                *row[:3],
                schemes[row[3]],
                *(codes[i] for i in row[4:8]),
                streams[row[8]],
                *row[9:12],
                codes.get(row[12]),
            )
            for row in lines
        )
        amounts, outputs = {}, {}
        years = [(y.pk, y.label) for y in config.years]  # in order; read once, not per line
        for line in expenditure_lines:
            per_year = {year_id: (amount, output) for year_id, amount, output in self.amounts.get(line.id, ())}
            shown = [(label, per_year[pk]) for pk, label in years if pk in per_year]
            amounts[line.id] = {label: amount for label, (amount, _) in shown}
            outputs[line.id] = {label: output for label, (_, output) in shown if output is not None}

        metrics = _known((r[3] for r in ambitions), config.metric_by_id, Metric)
        ambition_rows = _in_order(AmbitionRow(*r[:3], metrics.get(r[3]), *r[4:]) for r in ambitions)
        planned = {a.id: _in_order(PlannedValueRow(*row) for row in self.planned.get(a.id, ())) for a in ambition_rows}
        questions = _known((r[2] for r in responses), config.question_by_id, ConditionQuestion)
        ratings = _known((r[4] for r in risks), config.code_by_id, CodeListEntry)
        return PartTwo(
            plan=PlanHeader.of(plan),
            years=config.years,
            streams=config.streams,
            codes=config.codes,
            organisations=organisations,
            allocations=config.allocations.get(plan.hwb_area_id, []),
            ring_fences=config.ring_fences,
            icb_allocations=config.icb_allocations.get(plan.hwb_area_id, []),
            icb_areas=config.icb_areas,
            income_lines=tuple(income_lines),
            expenditure_lines=expenditure_lines,
            amounts=amounts,
            outputs=outputs,
            split_rules=split_rule_specs(config),
            metrics=config.metrics,
            ambitions=ambition_rows,
            planned=defaultdict(tuple, planned),
            conditions=config.conditions,
            condition_responses={r[2]: ConditionResponseRow(r[0], r[1], questions[r[2]], *r[3:]) for r in responses},
            risks=_in_order(RiskRow(*r[:4], ratings.get(r[4]), *r[5:]) for r in risks),
            risk_columns=config.risk_columns,
            capacity_demand=capacity_tables(config.capacity_demand, self.capacity.get(plan.pk, {}))
            if config.capacity_demand is not None and plan.pk in self.capacity
            else None,
        )


def split_rule_specs(config: RoundConfig) -> list[rules.SplitRuleSpec]:
    return [
        rules.SplitRuleSpec(frozenset(rule.commissioners), frozenset(rule.funding_streams))
        for rule in config.split_rules
    ]


def sub_types_of(codes: Mapping[str, list[CodeListEntry]], scheme_type: CodeListEntry | None) -> list[CodeListEntry]:
    """The scheme type's own sub-types, in order."""
    if scheme_type is None:
        return []
    return [e for e in codes.get(CodeListEntry.List.SCHEME_SUBTYPE, []) if e.parent_id == scheme_type.pk]


def line_problems(
    *,
    codes: Mapping[str, list[CodeListEntry]],
    split_rules: list[rules.SplitRuleSpec],
    scheme_type: CodeListEntry,
    sub_type: CodeListEntry | None,
    commissioner: CodeListEntry,
    funding_stream: FundingStream,
    percent_nhs: Decimal | None,
    percent_la: Decimal | None,
    amounts: Mapping[str, Decimal | None],
    outputs: Mapping[str, Decimal | None],
) -> list[tuple[str, str]]:
    """(field, message) for each of finance.rules' per-line rules a line breaks: the split rules, the
    sub-type and the planned outputs. Fields are "percent_nhs", "percent_la", "sub_type", or
    "output:<year label>"; the form, the workbook import and the service each map them to their own."""
    problems = []
    joint = rules.is_joint(split_rules, commissioner.code, funding_stream.key)
    if split := rules.joint_percentage_problem(percent_nhs, percent_la, joint=joint, commissioner=commissioner.label):
        problems.append(split)
    allowed = [e.label for e in sub_types_of(codes, scheme_type)]
    chosen = None
    if sub_type is not None:  # a sub-type of another type never passes, even one with the same label ("Other")
        chosen = sub_type.label if sub_type.parent_id == scheme_type.pk else f"{sub_type.label} (of another type)"
    if message := rules.sub_type_problem(scheme_type.label, allowed, chosen):
        problems.append(("sub_type", message))
    unit = scheme_type.output_unit.label if scheme_type.output_unit is not None else ""
    if output := rules.planned_output_problem(scheme_type.label, unit, dict(outputs), dict(amounts)):
        problems.append((f"output:{output[0]}", output[1]))
    return problems


def expenditure_label(line: ExpenditureLineRow) -> str:
    return f"Scheme {line.scheme.reference} {line.scheme.name}"


def icb_share_specs(part: PartTwo, recorded: IcbSharesRecorded | None = None) -> list[rules.IcbShareSpec]:
    """The ICB allocations the area shares, with what other areas recorded when `recorded` was read."""
    specs = []
    for a in part.icb_allocations:
        areas = part.icb_areas.get(a.organisation_id, [])
        others = outstanding = None
        if recorded is not None:
            others = recorded.totals.get((a.organisation_id, a.funding_stream_id, a.year_id), ZERO)
            submitted = recorded.submitted_areas
            outstanding = sum(1 for area in areas if area.pk != part.plan.hwb_area_id and area.pk not in submitted)
        specs.append(
            rules.IcbShareSpec(
                icb=a.organisation.name,
                stream_key=a.funding_stream.key,
                year=a.year.label,
                amount=a.amount,
                areas=len(areas),
                others=others,
                others_outstanding=outstanding,
            )
        )
    return specs


@dataclass(frozen=True)
class IcbSharesRecorded:
    """What the other areas sharing the plan's ICB allocations have recorded, as totals only."""

    totals: Mapping[tuple[int, int, int], Decimal]  # (ICB id, stream id, year id) -> sum of their shares
    submitted_areas: frozenset[int]  # the other sharing areas whose plan has been submitted


# Shares count once a plan is submitted. A draft is another area's unfinished work, which its own
# commissioners may not yet have agreed and which this area may not see; a submitted plan's share
# is what the area has put its name to and NHS England will publish. Even so only the total is
# shown, never which area entered what.
SHARES_COUNT_FROM = ASSURER_VISIBLE_STATUSES


def icb_shares_recorded(part: PartTwo) -> IcbSharesRecorded | None:
    """The other sharing areas' submitted shares of the plan's ICB allocations (1 query; none without any)."""
    if not part.icb_allocations:
        return None
    own = part.plan.hwb_area_id
    areas = {
        (a.organisation_id, area.pk)
        for a in part.icb_allocations
        for area in part.icb_areas.get(a.organisation_id, [])
        if area.pk != own
    }
    icbs = {a.organisation_id for a in part.icb_allocations}
    # One row per submitted plan of a sharing area and (ICB, stream, year) it has income for; a plan
    # with no income from the ICBs still gives a row, so it counts as submitted.
    rows = (
        Plan.objects.filter(
            round_id=part.plan.round_id,
            hwb_area_id__in={area for _, area in areas},
            status__in=SHARES_COUNT_FROM,
        )
        .annotate(icb_income=FilteredRelation("income_lines", condition=Q(income_lines__organisation_id__in=icbs)))
        .order_by()
        .values_list(
            "hwb_area_id", "icb_income__organisation_id", "icb_income__funding_stream_id", "icb_income__year_id"
        )
        .annotate(total=Sum("icb_income__amount"))
    )
    totals: dict[tuple[int, int, int], Decimal] = defaultdict(lambda: ZERO)
    submitted = set()
    for area, organisation, stream, year, total in rows:
        submitted.add(area)
        if (organisation, area) in areas:  # only areas the ICB serves share its allocation
            totals[(organisation, stream, year)] += total
    return IcbSharesRecorded(totals=dict(totals), submitted_areas=frozenset(submitted))


def live_figures(part: PartTwo) -> rules.PartTwoFigures:
    """The figures with the other areas' submitted shares of the ICB allocations, for checks made now
    (pages, completing a section, submission). Exports and the content hash use `part.figures`,
    which leaves them out, so another area submitting never changes this plan's files or voids its signatures."""
    recorded = icb_shares_recorded(part)
    if recorded is None:
        return part.figures
    return figures_from(part, recorded)


def figures_from(part: PartTwo, recorded: IcbSharesRecorded | None = None) -> rules.PartTwoFigures:
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
                percent_nhs=line.percent_nhs,
                percent_la=line.percent_la,
                output_unit=line.output_unit,
                outputs=part.outputs[line.pk],
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
                share=f.share,
            )
            for f in part.ring_fences
        ],
        icb_shares=icb_share_specs(part, recorded),
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
    icb_shares: list[dict]  # icb_share_rows


def icb_share_rows(part: PartTwo, figures: rules.PartTwoFigures) -> list[dict]:
    """Each ICB allocation the area shares: the ICB's amount, the areas sharing it and this area's share,
    with the other areas' submitted shares as one total when `figures` were read live (no queries)."""
    rows = []
    for allocation, spec in zip(part.icb_allocations, figures.icb_shares, strict=True):
        own = rules.icb_share(figures, spec)
        recorded = own + (spec.others or ZERO)
        rows.append(
            {
                "icb": spec.icb,
                "stream": allocation.funding_stream.name,
                "year": spec.year,
                "areas": [area.name for area in part.icb_areas.get(allocation.organisation_id, [])],
                "amount": spec.amount,
                "share": own,
                "others": spec.others,
                "unshared": spec.amount - recorded if spec.others is not None else None,
            }
        )
    return rows


def finance_summary(part: PartTwo, *, live: bool = False) -> FinanceSummary:
    """Totals by source, scheme type and area of spend, and every rule's result (no queries; `live` adds
    the other areas' submitted shares of the ICB allocations the area shares: 1 query, if it shares any)."""
    figures = live_figures(part) if live else part.figures
    years = figures.years
    # Each year's totals once, rather than once per funding stream (a pass over every line each time).
    income_by_year = [rules.income_by_stream(figures, y) for y in years]
    spend_by_year = [rules.expenditure_by_stream(figures, y) for y in years]
    by_source = []
    for stream in part.streams:
        income = [totals.get(stream.key, ZERO) for totals in income_by_year]
        spend = [totals.get(stream.key, ZERO) for totals in spend_by_year]
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
        spend_totals=[sum(totals.values(), ZERO) for totals in spend_by_year],
        minimums=[figures.allocations.get(("minimum_pool", y)) for y in years],
        results=rules.check_all(figures),
        chart_max=max((r["total"] for r in by_type), default=ZERO),
        icb_shares=icb_share_rows(part, figures),
    )


# The round's rules for each finance section of the task list (finance.rules, written once).
SECTION_RULES = {Section.Table.INCOME: rules.check_income, Section.Table.EXPENDITURE: rules.check_expenditure}


def section_problems(plan: Plan, table: str) -> list[str]:
    """What stops the income or expenditure section being completed, in the rules' own words (2 queries)."""
    figures = live_figures(part_two_for_plan(plan, finance_only=True))
    return [result.message for result in SECTION_RULES[table](figures) if not result.passed]


def _workbook_content(part: PartTwo) -> dict:
    """A JSON-able copy of everything the workbook shows, used for the export's content hash."""
    plan = part.plan
    return {
        "format": WORKBOOK_FORMAT_VERSION,
        "plan": [plan.id, plan.round_slug, plan.ons_code, plan.area_name, plan.round_name],
        "status": plan.status,
        "years": part.year_labels,
        "streams": [[s.key, s.name] for s in part.streams],
        "codes": {
            k: [[e.code, e.label, e.output_unit.label if e.output_unit else ""] for e in v]
            for k, v in sorted(part.codes.items())
        },
        "organisations": [o.name for o in part.organisations],
        "allocations": sorted([a.key, a.year.label, str(a.amount)] for a in part.allocations),
        "ring_fences": [[f.key, f.name] for f in part.ring_fences],
        "metrics": [[m.key, m.name, m.unit, m.decimal_places, list(m.periods)] for m in part.metrics],
        "income": [[i.pk, i.version, str(i.amount), i.note] for i in part.income_lines],
        "expenditure": [
            [
                e.pk,
                e.version,
                e.scheme.reference,
                e.scheme.name,
                [[year, str(amount)] for year, amount in part.amounts[e.pk].items()],
                e.sub_type.code if e.sub_type else "",
                [[year, str(output)] for year, output in part.outputs[e.pk].items()],
            ]
            for e in part.expenditure_lines
        ],
        "ambitions": [
            [
                a.pk,
                a.version,
                a.local_name,
                a.local_unit,
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
        "risks": [
            [
                r.pk,
                r.version,
                r.description,
                r.rating.label if r.rating else "",
                r.mitigating_actions,
                r.owner,
                r.values,
            ]
            for r in part.risks
        ],
    }


def workbook_content_hash(part: PartTwo) -> str:
    """SHA-256 of the plan's Part 2 content: an unchanged plan has the same hash and reuses its export."""
    content = _workbook_content(part)
    if part.icb_allocations:  # only then, so the stored exports of every other plan stay current
        content["icb_allocations"] = [
            [a.organisation.name, a.funding_stream.key, a.year.label, str(a.amount)] for a in part.icb_allocations
        ]
    payload = json.dumps(content, sort_keys=True, default=str)
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
        "icb_allocations": _icb_allocations_by_year(part),
    }


def _icb_allocations_by_year(part: PartTwo) -> list[dict]:
    """The ICB allocations the area shares, one row per ICB and stream with an amount per year (no queries)."""
    rows: dict[tuple[int, int], dict] = {}
    for a in part.icb_allocations:
        row = rows.setdefault(
            (a.organisation_id, a.funding_stream_id),
            {"label": f"{a.funding_stream.name} from {a.organisation.name}", "by_year": {}},
        )
        row["by_year"][a.year_id] = a.amount
    return [{"label": row["label"], "amounts": [row["by_year"].get(y.pk) for y in part.years]} for row in rows.values()]


def expenditure_rows(part: PartTwo) -> list[dict]:
    """Each expenditure line with its amounts in the round's year order (no queries)."""
    rows = []
    for line in part.expenditure_lines:
        amounts = part.amounts[line.pk]
        outputs = part.outputs[line.pk]
        rows.append(
            {
                "line": line,
                "amounts": [amounts.get(y.label) for y in part.years],
                # (year label, planned output or None) for a line whose scheme type has an output unit
                "outputs": [(y.label, outputs.get(y.label)) for y in part.years] if line.output_unit else [],
            }
        )
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
