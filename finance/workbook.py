"""The Part 2 workbook (.xlsx): the plan's income, expenditure and metrics as the national team expects them.

The layout constants here are shared with `workbook_import`, so export and import cannot drift
apart. Formulas are used only for totals and computed columns; every other value is written by
`plans.spreadsheets.set_cell_value`, so text a user typed stays text even when it starts with
= + - @, and a workbook can never run a user's formula.
"""

from __future__ import annotations

import io
from collections import OrderedDict

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from plans.models import Plan
from plans.spreadsheets import set_cell_value

from . import rules
from .selectors import WORKBOOK_FORMAT_VERSION, PartTwo, part_two_for_plan

SHEETS = ["Cover", "Summary", "Income", "Expenditure", "Metrics", "National conditions", "Risks"]
# Written after Metrics only for a round with a capacity and demand table.
CAPACITY_SHEET = "Capacity and demand"
LISTS_SHEET = "Lists"
ID_SHEET = "Identification"
MONEY = '"£"#,##0.00'
PERCENT = "0.00"
NUMBER = "#,##0.####"
NEW_OR_EXISTING = ["New", "Existing"]
TOTAL_LABEL = "Total"

INCOME_FIXED = ["Funding stream", "Organisation"]  # then one column per year, then Note
EXPENDITURE_FIXED = [
    "Line ID",
    "Scheme reference",
    "Scheme name",
    "Scheme type",
    "Area of spend",
    "Commissioner",
    "% NHS (if joint)",
    "% LA (if joint)",
    "Provider",
    "Source of funding",
]  # then one column per year, then "New or existing"
METRICS_HEADERS = [
    "Ambition ID",
    "Metric",
    "Unit",
    "Row",
    "Period",
    "Value",
    "Numerator",
    "Denominator",
    "Rate per 100,000",
    "% change from baseline",
    "Rationale",
]
BASELINE, PLANNED = "Baseline", "Plan"

HEADER_FONT = Font(bold=True, color="FFFFFF")
# Shared style objects: openpyxl hashes every style it is given, so building a new Font per
# cell made the export pay for thousands of throwaway objects.
BOLD = Font(bold=True)
PLAIN = Font()
TITLE_FONT = Font(bold=True, size=14)
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
HEADER_FILL = PatternFill("solid", fgColor="1D70B8")
INPUT_FILL = PatternFill("solid", fgColor="FFF7BF")  # yellow = input, as the national templates did


def income_headers(years: list[str]) -> list[str]:
    return [*INCOME_FIXED, *[f"{y} £" for y in years], "Note"]


def expenditure_headers(years: list[str]) -> list[str]:
    return [*EXPENDITURE_FIXED, *[f"{y} £" for y in years], "New or existing"]


def put(ws, row: int, column: int, value, number_format: str | None = None):
    """Write one cell; text that looks like a formula stays text, never a formula."""
    cell = set_cell_value(ws.cell(row=row, column=column), value)
    if number_format:
        cell.number_format = number_format
    return cell


def formula(ws, row: int, column: int, text: str, number_format: str | None = None, font: Font = BOLD):
    cell = ws.cell(row=row, column=column, value=text)
    if number_format:
        cell.number_format = number_format
    cell.font = font
    return cell


def write_header(ws, headers: list[str], row: int = 1):
    for i, text in enumerate(headers, start=1):
        cell = put(ws, row, i, text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def set_widths(ws, widths: dict[int, int]):
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width


class Lists:
    """The hidden Lists sheet: one column per drop-down list, referenced by DataValidation."""

    def __init__(self, wb: Workbook):
        self.ws = wb.create_sheet(LISTS_SHEET)
        self.ws.sheet_state = "hidden"
        self.column = 0
        self.ranges: dict[str, str] = {}

    def add(self, name: str, values: list[str]) -> str:
        self.column += 1
        put(self.ws, 1, self.column, name)
        for i, value in enumerate(values, start=2):
            put(self.ws, i, self.column, value)
        letter = get_column_letter(self.column)
        last = max(len(values) + 1, 2)
        self.ranges[name] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${last}"
        return self.ranges[name]

    def validate(self, ws, name: str, cell_range: str, prompt: str):
        dv = DataValidation(
            type="list",
            formula1=self.ranges[name],
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Choose from the list",
            error=f"Choose a {prompt} from the list",
        )
        dv.add(cell_range)
        ws.add_data_validation(dv)


def income_rows(part: PartTwo) -> list[dict]:
    """Income lines grouped by stream and organisation, with one amount per year."""
    rows: OrderedDict[tuple, dict] = OrderedDict()
    for line in part.income_lines:
        row = rows.setdefault(
            (line.funding_stream_id, line.organisation_id),
            {"stream": line.funding_stream.name, "organisation": line.organisation.name, "amounts": {}, "note": ""},
        )
        row["amounts"][line.year.label] = line.amount
        row["note"] = row["note"] or line.note
    return list(rows.values())


def _write_cover(ws, part: PartTwo):
    plan = part.plan
    put(ws, 1, 1, "Better Care Fund planning template: Part 2").font = TITLE_FONT
    details = [
        ("Health and Wellbeing Board", plan.area_name),
        ("ONS code", plan.ons_code),
        ("Planning round", plan.round_name),
        ("Plan status", plan.status_label),
        ("Exported", timezone.localtime().strftime("%d %B %Y %H:%M")),
        ("How to fill in", "Yellow cells are for input. Totals are calculated. Do not rename or remove sheets."),
    ]
    for i, (label, value) in enumerate(details, start=3):
        put(ws, i, 1, label).font = BOLD
        put(ws, i, 2, value)
    set_widths(ws, {1: 30, 2: 80})


def _write_income(ws, part: PartTwo, lists: Lists) -> tuple[int, int]:
    years = part.year_labels
    headers = income_headers(years)
    write_header(ws, headers)
    rows = income_rows(part)
    for r, row in enumerate(rows, start=2):
        put(ws, r, 1, row["stream"])
        put(ws, r, 2, row["organisation"])
        for c, year in enumerate(years, start=3):
            cell = put(ws, r, c, row["amounts"].get(year), MONEY)
            cell.fill = INPUT_FILL
        if row["note"]:  # an empty cell is left unwritten, as in a workbook typed by hand
            put(ws, r, 3 + len(years), row["note"])
    last = max(len(rows), 1) + 1  # a plan with no lines gets one blank row, so the Total never sums itself
    total_row = last + 1
    put(ws, total_row, 1, TOTAL_LABEL).font = BOLD
    for c in range(3, 3 + len(years)):
        letter = get_column_letter(c)
        formula(ws, total_row, c, f"=SUM({letter}2:{letter}{last})", MONEY)
    # Validation covers spare rows too, so lines added offline get the drop-downs.
    lists.validate(ws, "streams", f"A2:A{last + 200}", "funding stream")
    lists.validate(ws, "organisations", f"B2:B{last + 200}", "organisation")
    set_widths(ws, {1: 40, 2: 40, **dict.fromkeys(range(3, 3 + len(years)), 16), 3 + len(years): 40})
    return last, total_row


def _write_expenditure(ws, part: PartTwo, lists: Lists) -> tuple[int, int]:
    years = part.year_labels
    write_header(ws, expenditure_headers(years))
    first_year_col = len(EXPENDITURE_FIXED) + 1
    for r, line in enumerate(part.expenditure_lines, start=2):
        values = [
            line.pk,
            line.scheme.reference,
            line.scheme.name,
            line.scheme_type.label,
            line.area_of_spend.label,
            line.commissioner.label,
            line.percent_nhs,
            line.percent_la,
            line.provider.label,
            line.funding_stream.name,
        ]
        for c, value in enumerate(values, start=1):
            if value is not None:  # the % NHS / % LA of a line that is not joint stay empty
                put(ws, r, c, value, PERCENT if c in (7, 8) else None)
        amounts = part.amounts[line.pk]
        for c, year in enumerate(years, start=first_year_col):
            put(ws, r, c, amounts.get(year), MONEY).fill = INPUT_FILL
        put(ws, r, first_year_col + len(years), NEW_OR_EXISTING[0] if line.is_new else NEW_OR_EXISTING[1])
    last = max(len(part.expenditure_lines), 1) + 1  # one blank row for a plan with no lines, as on Income
    total_row = last + 1
    put(ws, total_row, 2, TOTAL_LABEL).font = BOLD
    for c in range(first_year_col, first_year_col + len(years)):
        letter = get_column_letter(c)
        formula(ws, total_row, c, f"=SUM({letter}2:{letter}{last})", MONEY)
    spare = last + 200
    lists.validate(ws, "scheme_types", f"D2:D{spare}", "scheme type")
    lists.validate(ws, "areas_of_spend", f"E2:E{spare}", "area of spend")
    lists.validate(ws, "commissioners", f"F2:F{spare}", "commissioner")
    lists.validate(ws, "providers", f"I2:I{spare}", "provider")
    lists.validate(ws, "streams", f"J2:J{spare}", "source of funding")
    new_col = get_column_letter(first_year_col + len(years))
    lists.validate(ws, "new_or_existing", f"{new_col}2:{new_col}{spare}", "new or existing")
    ws.column_dimensions["A"].hidden = True  # the line's identity for import; not for editing
    set_widths(ws, {2: 12, 3: 40, 4: 30, 5: 22, 6: 22, 9: 28, 10: 32})
    return last, total_row


def metric_rows(part: PartTwo) -> list[dict]:
    """One baseline row and one row per planned period for each round metric and local metric."""
    by_metric = {a.metric_id: a for a in part.ambitions if a.metric_id}
    entries = [(m, by_metric.get(m.pk)) for m in part.metrics]
    entries += [(None, a) for a in part.ambitions if not a.metric_id]
    rows = []
    for metric, ambition in entries:
        name = metric.name if metric else ambition.name
        unit = (metric.get_unit_display() if metric else ambition.unit_label) or ""
        rows.append(
            {
                "id": ambition.pk if ambition else None,
                "metric": name,
                "unit": unit,
                "row": BASELINE,
                "period": ambition.baseline_period if ambition else "",
                "value": ambition.baseline_value if ambition else None,
                "numerator": ambition.baseline_numerator if ambition else None,
                "denominator": ambition.baseline_denominator if ambition else None,
                "rationale": ambition.rationale if ambition else "",
            }
        )
        planned = {p.period: p for p in part.planned[ambition.pk]} if ambition else {}
        periods = list(metric.periods) if metric else []
        periods += [p for p in planned if p not in periods]
        for period in periods:
            value = planned.get(period)
            rows.append(
                {
                    "id": ambition.pk if ambition else None,
                    "metric": name,
                    "unit": unit,
                    "row": PLANNED,
                    "period": period,
                    "value": value.value if value else None,
                    "numerator": value.numerator if value else None,
                    "denominator": value.denominator if value else None,
                    "rationale": "",
                }
            )
    return rows


def _write_metrics(ws, part: PartTwo):
    write_header(ws, METRICS_HEADERS)
    baseline_row = 2
    for r, row in enumerate(metric_rows(part), start=2):
        if row["row"] == BASELINE:
            baseline_row = r
        put(ws, r, 1, row["id"])
        put(ws, r, 2, row["metric"])
        put(ws, r, 3, row["unit"])
        put(ws, r, 4, row["row"])
        put(ws, r, 5, row["period"]).fill = INPUT_FILL
        for c, key in ((6, "value"), (7, "numerator"), (8, "denominator")):
            put(ws, r, c, row[key], NUMBER).fill = INPUT_FILL
        # Rate and change are computed, live, so an offline edit shows its effect at once.
        ws.cell(row=r, column=9, value=f'=IF(AND(ISNUMBER(G{r}),ISNUMBER(H{r}),H{r}>0),G{r}/H{r}*100000,"")')
        ws.cell(row=r, column=9).number_format = "#,##0.0"
        if row["row"] == PLANNED:
            ws.cell(
                row=r,
                column=10,
                value=f"=IF(AND(ISNUMBER(F{r}),ISNUMBER(F{baseline_row}),F{baseline_row}<>0),"
                f'(F{r}-F{baseline_row})/F{baseline_row}*100,"")',
            ).number_format = "0.0"
        put(ws, r, 11, row["rationale"]).fill = INPUT_FILL
    ws.column_dimensions["A"].hidden = True
    set_widths(ws, {2: 45, 3: 22, 5: 18, 11: 60})


def capacity_headers(definition) -> list[str]:
    """The capacity sheet's columns: one row per service type and period; the measures in the round's words."""
    return [
        "Row key",
        "Block",
        "Service type",
        definition.pathway_label,
        "Period",
        definition.demand_label,
        definition.capacity_label,
        definition.gap_label,
    ]


def capacity_rows(part: PartTwo) -> list[dict]:
    """Every service type and period of the round's table, with the plan's figures (blank where none)."""
    return [
        {
            "key": r.row.key,
            "block": b.block.label,
            "service_type": r.row.label,
            "pathway": r.row.pathway,
            "period": cell.label,
            "demand": cell.demand,
            "capacity": cell.capacity,
        }
        for b in part.capacity_demand.blocks
        for r in b.rows
        for cell in r.cells
    ]


def _write_capacity(ws, part: PartTwo):
    definition = part.capacity_demand.definition
    headers = capacity_headers(definition)
    write_header(ws, headers)
    rows = capacity_rows(part)
    for r, row in enumerate(rows, start=2):
        put(ws, r, 1, row["key"])
        put(ws, r, 2, row["block"])
        put(ws, r, 3, row["service_type"])
        put(ws, r, 4, row["pathway"])
        put(ws, r, 5, row["period"])
        put(ws, r, 6, row["demand"], "#,##0").fill = INPUT_FILL
        put(ws, r, 7, row["capacity"], "#,##0").fill = INPUT_FILL
        # The gap is computed, live, so an offline edit shows its effect at once.
        formula(ws, r, 8, f'=IF(AND(ISNUMBER(F{r}),ISNUMBER(G{r})),G{r}-F{r},"")', "#,##0;[Red]-#,##0", font=PLAIN)
    # Totals per block and period, beside the rows (the import reads only columns A to H).
    last = len(rows) + 1
    totals = ["Block", "Period", f"Total: {definition.demand_label}", f"Total: {definition.capacity_label}"]
    for c, text in enumerate([*totals, definition.gap_label], start=10):
        cell = put(ws, 1, c, text)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    r = 2
    for block in definition.blocks:
        for period in [*definition.periods, TOTAL_LABEL]:
            put(ws, r, 10, block.label)
            put(ws, r, 11, period)
            match_period = "" if period == TOTAL_LABEL else f",$E$2:$E${last},K{r}"
            for c, column in ((12, "F"), (13, "G")):
                formula(ws, r, c, f"=SUMIFS(${column}$2:${column}${last},$B$2:$B${last},J{r}{match_period})", "#,##0")
            formula(ws, r, 14, f"=M{r}-L{r}", "#,##0;[Red]-#,##0")
            r += 1
    ws.column_dimensions["A"].hidden = True
    set_widths(ws, {2: 24, 3: 40, 4: 12, 5: 14, 6: 16, 7: 16, 8: 16, 10: 24, 11: 14, 12: 16, 13: 16, 14: 16})


def _write_conditions(ws, part: PartTwo):
    write_header(ws, ["Condition", "Question", "Status", "Target date", "Narrative"])
    r = 2
    for condition in part.conditions:
        for question in condition.questions.all():
            response = part.condition_responses.get(question.pk)
            put(ws, r, 1, f"{condition.number}. {condition.title}")
            put(ws, r, 2, question.prompt)
            put(ws, r, 3, response.status_label if response else "")
            put(ws, r, 4, response.target_date if response else None, "dd/mm/yyyy")
            put(ws, r, 5, response.narrative if response else "")
            r += 1
    set_widths(ws, {1: 40, 2: 60, 3: 14, 4: 14, 5: 80})


def _write_risks(ws, part: PartTwo):
    write_header(ws, ["Risk", "Rating", "Mitigating actions", "Owner", "Concerns NHS providers"])
    for r, risk in enumerate(part.risks, start=2):
        put(ws, r, 1, risk.description)
        put(ws, r, 2, risk.rating.label)
        put(ws, r, 3, risk.mitigating_actions)
        put(ws, r, 4, risk.owner)
        put(ws, r, 5, "Yes" if risk.concerns_nhs_providers else "No")
    set_widths(ws, {1: 60, 2: 12, 3: 60, 4: 25})


def _write_summary(ws, part: PartTwo, income_last: int, expenditure_last: int):
    """Totals as live SUMIFS over the Income and Expenditure sheets, plus the rules as checked at export."""
    years = part.year_labels
    n = len(years)
    put(ws, 1, 1, f"Summary: {part.plan.area_name}").font = TITLE_FONT
    income_stream = f"Income!$A$2:$A${income_last}"
    exp_stream = f"Expenditure!$J$2:$J${expenditure_last}"
    first_exp = len(EXPENDITURE_FIXED) + 1

    def income_col(i):
        letter = get_column_letter(3 + i)
        return f"Income!${letter}$2:${letter}${income_last}"

    def exp_col(i):
        letter = get_column_letter(first_exp + i)
        return f"Expenditure!${letter}$2:${letter}${expenditure_last}"

    r = 3
    headers = ["Source of funding", *[f"Income {y} £" for y in years], *[f"Spend {y} £" for y in years]]
    for c, text in enumerate(headers, start=1):
        put(ws, r, c, text).font = BOLD
    first = r + 1
    for stream in part.streams:
        r += 1
        put(ws, r, 1, stream.name)
        for i in range(n):
            formula(ws, r, 2 + i, f"=SUMIFS({income_col(i)},{income_stream},$A{r})", MONEY, PLAIN)
            formula(ws, r, 2 + n + i, f"=SUMIFS({exp_col(i)},{exp_stream},$A{r})", MONEY, PLAIN)
    r = max(r, first) + 1  # below a blank row if there is nothing to total, so the total never sums itself
    put(ws, r, 1, "Pooled total").font = BOLD
    for c in range(2, 2 + 2 * n):
        letter = get_column_letter(c)
        formula(ws, r, c, f"=SUM({letter}{first}:{letter}{r - 1})", MONEY)
    r += 1
    put(ws, r, 1, "Minimum pool").font = BOLD
    minimums = {a.year.label: a.amount for a in part.allocations if a.key == "minimum_pool"}
    for i, y in enumerate(years):
        put(ws, r, 2 + i, minimums.get(y), MONEY)

    for title, code_list, column in (("Scheme type", "scheme_type", "D"), ("Area of spend", "area_of_spend", "E")):
        r += 2
        for c, text in enumerate([title, *[f"Spend {y} £" for y in years]], start=1):
            put(ws, r, c, text).font = BOLD
        first = r + 1
        for label in [e.label for e in part.codes.get(code_list, [])]:
            r += 1
            put(ws, r, 1, label)
            for i in range(n):
                crit = f"Expenditure!${column}$2:${column}${expenditure_last}"
                formula(ws, r, 2 + i, f"=SUMIFS({exp_col(i)},{crit},$A{r})", MONEY, PLAIN)
        r = max(r, first) + 1
        put(ws, r, 1, TOTAL_LABEL).font = BOLD
        for i in range(n):
            letter = get_column_letter(2 + i)
            formula(ws, r, 2 + i, f"=SUM({letter}{first}:{letter}{r - 1})", MONEY)

    r += 2
    put(ws, r, 1, "Checks at export").font = BOLD
    put(ws, r, 2, "Result").font = BOLD
    put(ws, r, 3, "Detail").font = BOLD
    # The rules alone: the summary's totals are the SUMIFS above, so they are not computed again.
    for result in rules.check_all(part.figures):
        r += 1
        put(ws, r, 1, result.name)
        put(ws, r, 2, "Passed" if result.passed else "Failed")
        put(ws, r, 3, result.message)
    set_widths(ws, {1: 45, **dict.fromkeys(range(2, 2 + 2 * n), 18)})


def _write_identification(ws, part: PartTwo):
    """A very hidden sheet naming the area, round and format, so import can refuse another plan's workbook."""
    ws.sheet_state = "veryHidden"
    for r, (key, value) in enumerate(
        [
            ("ons_code", part.plan.ons_code),
            ("round", part.plan.round_slug),
            ("format_version", WORKBOOK_FORMAT_VERSION),
            ("years", "|".join(part.year_labels)),
        ],
        start=1,
    ):
        put(ws, r, 1, key)
        put(ws, r, 2, value)


def build_workbook(part: PartTwo) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    lists = Lists(wb)
    lists.add("streams", [s.name for s in part.streams])
    lists.add("organisations", [o.name for o in part.organisations])
    lists.add("scheme_types", [e.label for e in part.codes.get("scheme_type", [])])
    lists.add("areas_of_spend", [e.label for e in part.codes.get("area_of_spend", [])])
    lists.add("commissioners", [e.label for e in part.codes.get("commissioner", [])])
    lists.add("providers", [e.label for e in part.codes.get("provider", [])])
    lists.add("new_or_existing", NEW_OR_EXISTING)
    _write_identification(wb.create_sheet(ID_SHEET), part)

    _write_cover(sheets["Cover"], part)
    income_last, _ = _write_income(sheets["Income"], part, lists)
    expenditure_last, _ = _write_expenditure(sheets["Expenditure"], part, lists)
    _write_summary(sheets["Summary"], part, income_last, expenditure_last)
    _write_metrics(sheets["Metrics"], part)
    if part.capacity_demand is not None:
        _write_capacity(wb.create_sheet(CAPACITY_SHEET, index=SHEETS.index("Metrics") + 1), part)
    _write_conditions(sheets["National conditions"], part)
    _write_risks(sheets["Risks"], part)
    wb.active = 0
    return wb


def workbook_bytes(part: PartTwo) -> bytes:
    """The Part 2 snapshot as .xlsx bytes (the "xlsx" export kind's renderer, governance.exports)."""
    buffer = io.BytesIO()
    build_workbook(part).save(buffer)
    return buffer.getvalue()


def render_plan_workbook(plan: Plan) -> bytes:
    """The plan's Part 2 workbook, read and rendered (the export_plan command and the benchmark)."""
    return workbook_bytes(part_two_for_plan(plan))
