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
from rounds.columns import CHOICE, NARRATIVE, RISKS, SCORE, cells
from rounds.columns import YES_NO as YES_NO_KIND
from rounds.units import UNIT_CHOICES, UNITLESS

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
YES_NO = ["Yes", "No"]
RISK_ID_HEADER = "Risk ID"
SPARE_RISK_ROWS = 20
TOTAL_LABEL = "Total"

INCOME_FIXED = ["Funding stream", "Organisation"]  # then one column per year, then Note
EXPENDITURE_FIXED = [
    "Line ID",
    "Scheme reference",
    "Scheme name",
    "Scheme type",
    "Scheme sub-type",
    "Area of spend",
    "Commissioner",
    "% NHS (if joint)",
    "% LA (if joint)",
    "Provider",
    "Source of funding",
]  # then one column per year, "New or existing", the output unit and one planned-output column per year
OUTPUT_UNIT = "Output unit"
# Columns by heading, so the Summary's formulas and the drop-downs follow the layout.
EXPENDITURE_COLUMN = {name: get_column_letter(i) for i, name in enumerate(EXPENDITURE_FIXED, start=1)}
METRICS_HEADERS = [
    "Ambition ID",
    "Metric",
    "Unit",
    "Row",
    "Period",
    "Value",
    "Numerator",
    "Denominator",
    "Value from numerator and denominator",
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
    return [
        *EXPENDITURE_FIXED,
        *[f"{y} £" for y in years],
        "New or existing",
        OUTPUT_UNIT,
        *[f"Planned output {y}" for y in years],
    ]


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
            line.sub_type.label if line.sub_type else None,
            line.area_of_spend.label,
            line.commissioner.label,
            line.percent_nhs,
            line.percent_la,
            line.provider.label,
            line.funding_stream.name,
        ]
        percent_columns = (
            EXPENDITURE_FIXED.index("% NHS (if joint)") + 1,
            EXPENDITURE_FIXED.index("% LA (if joint)") + 1,
        )
        for c, value in enumerate(values, start=1):
            if value is not None:  # the % NHS / % LA of a line that is not joint stay empty, as does a sub-type
                put(ws, r, c, value, PERCENT if c in percent_columns else None)
        amounts = part.amounts[line.pk]
        for c, year in enumerate(years, start=first_year_col):
            put(ws, r, c, amounts.get(year), MONEY).fill = INPUT_FILL
        put(ws, r, first_year_col + len(years), NEW_OR_EXISTING[0] if line.is_new else NEW_OR_EXISTING[1])
        # The unit is fixed by the scheme type (shown, not read back); outputs are input where it has one.
        unit_col = first_year_col + len(years) + 1
        if line.output_unit:
            put(ws, r, unit_col, line.output_unit)
            outputs = part.outputs[line.pk]
            for c, year in enumerate(years, start=unit_col + 1):
                put(ws, r, c, outputs.get(year), NUMBER).fill = INPUT_FILL
    last = max(len(part.expenditure_lines), 1) + 1  # one blank row for a plan with no lines, as on Income
    total_row = last + 1
    put(ws, total_row, 2, TOTAL_LABEL).font = BOLD
    for c in range(first_year_col, first_year_col + len(years)):
        letter = get_column_letter(c)
        formula(ws, total_row, c, f"=SUM({letter}2:{letter}{last})", MONEY)
    spare = last + 200
    for list_name, heading, what in (
        ("scheme_types", "Scheme type", "scheme type"),
        ("sub_types", "Scheme sub-type", "sub-type"),
        ("areas_of_spend", "Area of spend", "area of spend"),
        ("commissioners", "Commissioner", "commissioner"),
        ("providers", "Provider", "provider"),
        ("streams", "Source of funding", "source of funding"),
    ):
        column = EXPENDITURE_COLUMN[heading]
        lists.validate(ws, list_name, f"{column}2:{column}{spare}", what)
    new_col = get_column_letter(first_year_col + len(years))
    lists.validate(ws, "new_or_existing", f"{new_col}2:{new_col}{spare}", "new or existing")
    ws.column_dimensions["A"].hidden = True  # the line's identity for import; not for editing
    set_widths(ws, {2: 12, 3: 40, 4: 30, 5: 30, 6: 22, 7: 22, 10: 28, 11: 32, first_year_col + len(years) + 1: 22})
    return last, total_row


def metric_rows(part: PartTwo) -> list[dict]:
    """One baseline row and one row per planned period for each round metric and local metric."""
    by_metric = {a.metric_id: a for a in part.ambitions if a.metric_id}
    entries = [(m, by_metric.get(m.pk)) for m in part.metrics]
    entries += [(None, a) for a in part.ambitions if not a.metric_id]
    rows = []
    for metric, ambition in entries:
        name = metric.name if metric else ambition.name
        measure = (metric.measure if metric else ambition.measure) or UNITLESS
        unit = measure.label
        rows.append(
            {
                "id": ambition.pk if ambition else None,
                "metric": name,
                "unit": unit,
                "measure": measure,
                "local": metric is None,
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
                    "measure": measure,
                    "local": metric is None,
                    "row": PLANNED,
                    "period": period,
                    "value": value.value if value else None,
                    "numerator": value.numerator if value else None,
                    "denominator": value.denominator if value else None,
                    "rationale": "",
                }
            )
    return rows


def _write_metrics(ws, part: PartTwo, lists: Lists):
    write_header(ws, METRICS_HEADERS)
    baseline_row = 2
    for r, row in enumerate(metric_rows(part), start=2):
        if row["row"] == BASELINE:
            baseline_row = r
        put(ws, r, 1, row["id"])
        put(ws, r, 2, row["metric"])
        unit = put(ws, r, 3, row["unit"])
        if row["local"]:  # a local metric's unit is the area's to choose; a round metric's is the round's
            unit.fill = INPUT_FILL
            lists.validate(ws, "units", f"C{r}", "unit")
        put(ws, r, 4, row["row"])
        put(ws, r, 5, row["period"]).fill = INPUT_FILL
        measure = row["measure"]
        # The value is shown in the metric's own unit (rounds.units): "80.5%", "672.3 per 100,000".
        for c, key, number_format in (
            (6, "value", measure.number_format),
            (7, "numerator", NUMBER),
            (8, "denominator", NUMBER),
        ):
            put(ws, r, c, row[key], number_format).fill = INPUT_FILL
        # The worked-out value and the change are live formulas, so an offline edit shows its effect at once.
        if measure.unit.code:
            ws.cell(
                row=r, column=9, value=measure.excel_formula(f"G{r}", f"H{r}")
            ).number_format = measure.number_format
        if row["row"] == PLANNED:
            # A value left blank is the one its numerator and denominator give (column I).
            now, then = (
                f"IF(ISNUMBER(F{r}),F{r},I{r})",
                f"IF(ISNUMBER(F{baseline_row}),F{baseline_row},I{baseline_row})",
            )
            ws.cell(
                row=r,
                column=10,
                value=f'=IF(AND(ISNUMBER({now}),ISNUMBER({then}),{then}<>0),({now}-{then})/{then}*100,"")',
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


def risk_headers(part: PartTwo) -> list[str]:
    """The Risks sheet's headings: the risk's ID (hidden), then the round's columns (rounds.columns)."""
    return [RISK_ID_HEADER, *(c.heading for c in part.risk_columns)]


def _write_risks(ws, part: PartTwo, lists: Lists):
    columns = part.risk_columns
    write_header(ws, risk_headers(part))
    letters = {c.key: get_column_letter(i) for i, c in enumerate(columns, start=2)}
    # Room to add risks offline: a product (likelihood x impact) is a formula on these rows too.
    spare = len(part.risks) + 1 + SPARE_RISK_ROWS
    for r, risk in enumerate(part.risks, start=2):
        put(ws, r, 1, risk.pk)
        for i, cell in enumerate(cells(columns, RISKS, risk, part.code_labels), start=2):
            if not columns[i - 2].is_computed:
                put(ws, r, i, cell["value"] if cell["kind"] == SCORE else cell["text"])
    for i, column in enumerate(columns, start=2):
        letter = get_column_letter(i)
        cell_range = f"{letter}2:{letter}{spare}"
        if column.is_computed:
            for r in range(2, spare + 1):
                refs = [f"{letters[key]}{r}" for key in column.of]
                test = ",".join(f"ISNUMBER({ref})" for ref in refs)
                formula(ws, r, i, f'=IF(AND({test}),{"*".join(refs)},"")', font=PLAIN)
        elif column.kind == CHOICE:
            name = f"risk_{column.key}"
            lists.add(name, [e.label for e in part.codes.get(column.code_list, [])])
            lists.validate(ws, name, cell_range, column.heading.lower())
        elif column.kind == YES_NO_KIND:
            lists.validate(ws, "yes_no", cell_range, "yes or no")
        elif column.kind == SCORE:
            dv = DataValidation(
                type="whole",
                operator="between",
                formula1="1",
                formula2="5",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Enter a score",
                error="Enter a whole number from 1 to 5",
            )
            dv.add(cell_range)
            ws.add_data_validation(dv)
        if not column.is_computed:
            for r in range(2, spare + 1):
                ws.cell(row=r, column=i).fill = INPUT_FILL
    ws.column_dimensions["A"].hidden = True
    set_widths(ws, {i: 60 if c.kind == NARRATIVE else 16 for i, c in enumerate(columns, start=2)})


def _write_summary(ws, part: PartTwo, income_last: int, expenditure_last: int):
    """Totals as live SUMIFS over the Income and Expenditure sheets, plus the rules as checked at export."""
    years = part.year_labels
    n = len(years)
    put(ws, 1, 1, f"Summary: {part.plan.area_name}").font = TITLE_FONT
    income_stream = f"Income!$A$2:$A${income_last}"
    stream_column = EXPENDITURE_COLUMN["Source of funding"]
    exp_stream = f"Expenditure!${stream_column}$2:${stream_column}${expenditure_last}"
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
    if part.icb_allocations:
        r = _write_icb_shares(ws, part, r + 2, income_col, income_stream, income_last)

    for title, code_list in (("Scheme type", "scheme_type"), ("Area of spend", "area_of_spend")):
        column = EXPENDITURE_COLUMN[title]
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


def _write_icb_shares(ws, part: PartTwo, r: int, income_col, income_stream: str, income_last: int) -> int:
    """The ICB allocations the area shares with other areas, beside its share: its income from the ICB
    for the stream, summed live from the Income sheet. Returns the last row written."""
    put(ws, r, 1, "ICB allocations shared with other areas").font = BOLD
    r += 1
    for c, text in enumerate(["Funding stream", "ICB", "Year", "ICB allocation £", "This area's share £"], start=1):
        put(ws, r, c, text).font = BOLD
    years = part.year_labels
    organisation = f"Income!$B$2:$B${income_last}"
    for allocation in part.icb_allocations:
        r += 1
        put(ws, r, 1, allocation.funding_stream.name)
        put(ws, r, 2, allocation.organisation.name)
        put(ws, r, 3, allocation.year.label)
        put(ws, r, 4, allocation.amount, MONEY)
        column = income_col(years.index(allocation.year.label))
        formula(ws, r, 5, f"=SUMIFS({column},{income_stream},$A{r},{organisation},$B{r})", MONEY, PLAIN)
    return r


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
    # Sub-type labels repeat across types ("Other"): the list offers each once; import checks the type.
    lists.add("sub_types", list(dict.fromkeys(e.label for e in part.codes.get("scheme_subtype", []))))
    lists.add("areas_of_spend", [e.label for e in part.codes.get("area_of_spend", [])])
    lists.add("commissioners", [e.label for e in part.codes.get("commissioner", [])])
    lists.add("providers", [e.label for e in part.codes.get("provider", [])])
    lists.add("new_or_existing", NEW_OR_EXISTING)
    lists.add("yes_no", YES_NO)
    lists.add("units", [label for _, label in UNIT_CHOICES])
    _write_identification(wb.create_sheet(ID_SHEET), part)

    _write_cover(sheets["Cover"], part)
    income_last, _ = _write_income(sheets["Income"], part, lists)
    expenditure_last, _ = _write_expenditure(sheets["Expenditure"], part, lists)
    _write_summary(sheets["Summary"], part, income_last, expenditure_last)
    _write_metrics(sheets["Metrics"], part, lists)
    if part.capacity_demand is not None:
        _write_capacity(wb.create_sheet(CAPACITY_SHEET, index=SHEETS.index("Metrics") + 1), part)
    _write_conditions(sheets["National conditions"], part)
    _write_risks(sheets["Risks"], part, lists)
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
