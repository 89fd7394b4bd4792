"""The national dataset: every submitted plan's income, expenditure and metrics in a round, as .xlsx.

One row per plan line on each sheet, then a total row. Written with openpyxl's write-only mode
so the whole country's lines stream out without holding a worksheet model in memory. Submitted
plans cannot change, so their live rows are exactly what was submitted. Every cell is written by
`plans.spreadsheets.set_cell_value`, so a scheme name or note typed as a formula stays text.
"""

import io
from decimal import Decimal

from django.db.models import Prefetch
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from metrics.models import MetricAmbition, PlannedValue
from plans.selectors import ASSURER_VISIBLE_STATUSES
from plans.spreadsheets import set_cell_value
from rounds.models import PlanningRound, RoundYear

MONEY = '"£"#,##0.00'
PLAN_HEADERS = ["Region", "ONS code", "HWB area", "Plan version", "Plan status"]


def _plan_cells(plan) -> list:
    return [
        plan.hwb_area.region.name,
        plan.hwb_area.ons_code,
        plan.hwb_area.name,
        plan.version,
        plan.get_status_display(),
    ]


def _plan_order(prefix: str) -> list[str]:
    return [f"{prefix}hwb_area__region__name", f"{prefix}hwb_area__name"]


class _Sheet:
    def __init__(self, wb: Workbook, title: str, headers: list[str], money_columns: set[int]):
        self.ws = wb.create_sheet(title)
        self.money_columns = money_columns
        self.bold = Font(bold=True)
        self.ws.append([self._cell(h, bold=True) for h in headers])
        self.ws.freeze_panes = "A2"

    def _cell(self, value, *, bold=False, money=False):
        cell = set_cell_value(WriteOnlyCell(self.ws), value)
        if bold:
            cell.font = self.bold
        if money:
            cell.number_format = MONEY
        return cell

    def append(self, values: list, *, bold=False) -> None:
        self.ws.append(
            [self._cell(v, bold=bold, money=i in self.money_columns and v is not None) for i, v in enumerate(values)]
        )


def _plans_filter(prefix: str, planning_round: PlanningRound) -> dict:
    return {f"{prefix}round": planning_round, f"{prefix}status__in": ASSURER_VISIBLE_STATUSES}


def national_dataset(planning_round: PlanningRound) -> bytes:
    years = list(RoundYear.objects.filter(round=planning_round).order_by("order"))
    wb = Workbook(write_only=True)

    income_headers = PLAN_HEADERS + ["Funding stream", "Contributor", "Organisation", "Year", "Amount (£)", "Note"]
    income = _Sheet(wb, "Income", income_headers, {len(PLAN_HEADERS) + 4})
    income_total = Decimal(0)
    for line in (
        IncomeLine.objects.filter(**_plans_filter("plan__", planning_round))
        .select_related("plan__hwb_area__region", "funding_stream", "organisation", "year")
        .order_by(*_plan_order("plan__"), "funding_stream__order", "organisation__name", "year__order")
    ):
        income_total += line.amount
        income.append(
            _plan_cells(line.plan)
            + [
                line.funding_stream.name,
                line.funding_stream.get_contributor_display(),
                line.organisation.name,
                line.year.label,
                line.amount,
                line.note,
            ]
        )
    income.append(["Total"] + [None] * (len(income_headers) - 3) + [income_total, None], bold=True)

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
    expenditure = _Sheet(wb, "Expenditure", PLAN_HEADERS + line_headers + year_headers + ["Total (£)"], money_columns)
    year_totals = [Decimal(0) for _ in years]
    amounts = Prefetch("amounts", queryset=ExpenditureAmount.objects.order_by())
    for line in (
        ExpenditureLine.objects.filter(**_plans_filter("plan__", planning_round))
        .select_related(
            "plan__hwb_area__region",
            "scheme",
            "scheme_type",
            "area_of_spend",
            "commissioner",
            "provider",
            "funding_stream",
        )
        .prefetch_related(amounts)
        .order_by(*_plan_order("plan__"), "order", "id")
    ):
        by_year = {a.year_id: a.amount for a in line.amounts.all()}
        row_amounts = [by_year.get(y.pk, Decimal(0)) for y in years]
        year_totals = [t + a for t, a in zip(year_totals, row_amounts, strict=True)]
        expenditure.append(
            _plan_cells(line.plan)
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
        )
    expenditure.append(["Total"] + [None] * (first_money - 1) + year_totals + [sum(year_totals, Decimal(0))], bold=True)

    metric_headers = [
        "Metric",
        "National metric key",
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
    planned = Prefetch("planned_values", queryset=PlannedValue.objects.order_by("order", "id"))
    for ambition in (
        MetricAmbition.objects.filter(**_plans_filter("plan__", planning_round))
        .select_related("plan__hwb_area__region", "metric")
        .prefetch_related(planned)
        .order_by(*_plan_order("plan__"), "order", "id")
    ):
        head = _plan_cells(ambition.plan) + [
            ambition.metric.name if ambition.metric_id else ambition.local_name,
            ambition.metric.key if ambition.metric_id else "",
            ambition.baseline_period,
            ambition.baseline_value,
            ambition.baseline_numerator,
            ambition.baseline_denominator,
        ]
        values = list(ambition.planned_values.all())
        if not values:  # an ambition with only a baseline is still a line of the plan
            metrics.append(head + [None, None, None, None])
        for value in values:
            metrics.append(head + [value.period, value.value, value.numerator, value.denominator])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
