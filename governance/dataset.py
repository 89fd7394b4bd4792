"""The national dataset: every submitted plan's income, expenditure and metrics in a round, as .xlsx.

One row per plan line on each sheet, then a total row, rendered from each plan's Part 2 snapshot
(finance.selectors.part_two_for_plans: every plan of the round in the same seven queries as one).
Written with openpyxl's write-only mode so the whole country's lines stream out without holding a
worksheet model in memory. Submitted plans cannot change, so their live rows are exactly what was
submitted. Every cell is written by
`plans.spreadsheets.set_cell_value`, so a scheme name or note typed as a formula stays text.
Layers above governance add their own sheets (`ExtraSheet`): monitoring adds the returns.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from finance.selectors import part_two_for_plans
from plans.models import Plan
from plans.selectors import ASSURER_VISIBLE_STATUSES
from plans.spreadsheets import set_cell_value
from rounds.config import round_config
from rounds.models import PlanningRound

MONEY = '"£"#,##0.00'
WHEN = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class ExtraSheet:
    """A sheet a higher layer adds to the dataset (monitoring's returns): its rows as cell values.

    Governance cannot read the layers above it; the view that serves the dataset passes their
    sheets in, and they are written after the plan's own, in the same streaming way.
    """

    title: str
    headers: list[str]
    rows: Iterable[list]
    money_columns: frozenset[int] = frozenset()


PLAN_HEADERS = ["Region", "ONS code", "HWB area", "Plan version", "Plan status"]


def _plan_cells(plan) -> list:
    return [
        plan.hwb_area.region.name,
        plan.hwb_area.ons_code,
        plan.hwb_area.name,
        plan.version,
        plan.get_status_display(),
    ]


class _Sheet:
    def __init__(self, wb: Workbook, title: str, headers: list[str], money_columns: set[int]):
        self.ws = wb.create_sheet(title)
        self.money_columns = money_columns
        self.bold = Font(bold=True)
        self.ws.append([self._cell(h, bold=True) for h in headers])
        self.ws.freeze_panes = "A2"

    def _cell(self, value, *, bold=False, number_format=None):
        cell = set_cell_value(WriteOnlyCell(self.ws), value)
        if bold:
            cell.font = self.bold
        if number_format:
            cell.number_format = number_format
        return cell

    def append(self, values: list, *, bold=False, formats: dict[int, str] | None = None) -> None:
        """One row; `formats` gives some columns (by index) their own number format, e.g. a metric's unit."""
        formats = formats or {}
        self.ws.append(
            [
                self._cell(
                    v,
                    bold=bold,
                    number_format=formats.get(i) or (MONEY if i in self.money_columns and v is not None else None),
                )
                for i, v in enumerate(values)
            ]
        )


def _icb_allocations_sheet(wb: Workbook, config, plans: list[Plan], parts: dict) -> None:
    """The round's ICB-level allocations beside the shares the sharing areas' submitted plans record
    (each plan's share is on the Income sheet as income from the ICB); none for a round without them."""
    allocations = {a.pk: a for per_area in config.icb_allocations.values() for a in per_area}
    if not allocations:
        return
    shares: dict[tuple, Decimal] = {}
    for plan in plans:
        for line in parts[plan.pk].income_lines:
            key = (line.organisation.pk, line.funding_stream.pk, line.year.pk)
            if plan.hwb_area_id in {area.pk for area in config.icb_areas.get(line.organisation.pk, [])}:
                shares[key] = shares.get(key, Decimal(0)) + line.amount
    headers = ["ICB", "ODS code", "Funding stream", "Year", "ICB allocation (£)", "HWB areas sharing it"]
    headers += ["Shares in submitted plans (£)", "Not shared out (£)"]
    sheet = _Sheet(wb, "ICB allocations", headers, {4, 6, 7})
    for a in sorted(allocations.values(), key=lambda a: (a.organisation.name, a.funding_stream.order, a.year.order)):
        recorded = shares.get((a.organisation_id, a.funding_stream_id, a.year_id), Decimal(0))
        areas = ", ".join(area.name for area in config.icb_areas.get(a.organisation_id, []))
        sheet.append(
            [a.organisation.name, a.organisation.code, a.funding_stream.name, a.year.label, a.amount, areas]
            + [recorded, a.amount - recorded]
        )


def national_dataset(
    planning_round: PlanningRound, extra_sheets: Sequence[ExtraSheet] = (), plans: Sequence[Plan] | None = None
) -> bytes:
    """Every submitted plan of the round; or only `plans` (the open dataset passes its published ones),
    which must be of the round, with their area and region selected."""
    if plans is None:
        plans = (
            Plan.objects.filter(round=planning_round, status__in=ASSURER_VISIBLE_STATUSES)
            .select_related("round", "hwb_area__region")
            .order_by("hwb_area__region__name", "hwb_area__name")
        )
    plans = list(plans)
    parts = part_two_for_plans(plans)
    config = round_config(planning_round.pk, planning_round.config_version)
    years = config.years
    wb = Workbook(write_only=True)

    income_headers = PLAN_HEADERS + ["Funding stream", "Contributor", "Organisation", "Year", "Amount (£)", "Note"]
    income = _Sheet(wb, "Income", income_headers, {len(PLAN_HEADERS) + 4})
    income_total = Decimal(0)
    for plan in plans:
        for line in parts[plan.pk].income_lines:
            income_total += line.amount
            income.append(
                _plan_cells(plan)
                + [
                    line.funding_stream.name,
                    line.funding_stream.contributor_label(planning_round.labels),
                    line.organisation.name,
                    line.year.label,
                    line.amount,
                    line.note,
                ]
            )
    income.append(["Total"] + [None] * (len(income_headers) - 3) + [income_total, None], bold=True)
    _icb_allocations_sheet(wb, config, plans, parts)

    line_headers = [
        "Scheme reference",
        "Scheme name",
        "Scheme type",
        "Area of spend",
        "Commissioner",
        "Provider",
        "Funding stream",
        "% NHS",
        "% LA",
        "New scheme",
    ]
    year_headers = [f"{y.label} (£)" for y in years]
    first_money = len(PLAN_HEADERS) + len(line_headers)
    money_columns = set(range(first_money, first_money + len(years) + 1))
    # The sub-type and planned outputs follow the money, so the columns before them keep their places.
    output_headers = ["Scheme sub-type", "Output unit", *[f"Planned output {y.label}" for y in years]]
    expenditure = _Sheet(
        wb, "Expenditure", PLAN_HEADERS + line_headers + year_headers + ["Total (£)"] + output_headers, money_columns
    )
    year_totals = [Decimal(0) for _ in years]
    for plan in plans:
        part = parts[plan.pk]
        for line in part.expenditure_lines:
            by_year = part.amounts[line.pk]
            row_amounts = [by_year.get(y.label, Decimal(0)) for y in years]
            year_totals = [t + a for t, a in zip(year_totals, row_amounts, strict=True)]
            expenditure.append(
                _plan_cells(plan)
                + [
                    line.scheme.reference,
                    line.scheme.name,
                    line.scheme_type.label,
                    line.area_of_spend.label,
                    line.commissioner.label,
                    line.provider.label,
                    line.funding_stream.name,
                    line.percent_nhs,
                    line.percent_la,
                    "Yes" if line.is_new else "No",
                ]
                + row_amounts
                + [sum(row_amounts, Decimal(0))]
                + [line.sub_type.label if line.sub_type else None, line.output_unit or None]
                + [part.outputs[line.pk].get(y.label) for y in years]
            )
    expenditure.append(["Total"] + [None] * (first_money - 1) + year_totals + [sum(year_totals, Decimal(0))], bold=True)

    metric_headers = [
        "Metric",
        "National metric key",
        "Unit",
        "Baseline period",
        "Baseline value",
        "Baseline numerator",
        "Baseline denominator",
        "Planned period",
        "Planned value",
        "Planned numerator",
        "Planned denominator",
    ]
    metrics = _Sheet(wb, "Metrics", PLAN_HEADERS + metric_headers, set())
    for plan in plans:
        part = parts[plan.pk]
        for ambition in part.ambitions:
            shown = ambition.shown_in  # values in the metric's own unit and number format (rounds.units)
            head = _plan_cells(plan) + [
                ambition.name,
                ambition.metric.key if ambition.metric is not None else "",
                ambition.unit_label,
                ambition.baseline_period,
                shown.figure(ambition.baseline_value, ambition.baseline_numerator, ambition.baseline_denominator),
                ambition.baseline_numerator,
                ambition.baseline_denominator,
            ]
            formats = {len(head) - 3: shown.number_format, len(head) + 1: shown.number_format}
            values = part.planned[ambition.pk]
            if not values:  # an ambition with only a baseline is still a line of the plan
                metrics.append(head + [None, None, None, None], formats=formats)
            for value in values:
                figure = shown.figure(value.value, value.numerator, value.denominator)
                metrics.append(head + [value.period, figure, value.numerator, value.denominator], formats=formats)

    for extra in extra_sheets:
        sheet = _Sheet(wb, extra.title, extra.headers, set(extra.money_columns))
        for row in extra.rows:
            sheet.append(row, formats={i: WHEN for i, v in enumerate(row) if isinstance(v, datetime)})

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
