"""The return workbook (.xlsx): a Cover naming the return, then one sheet per part of the round's return template.

Pure: it builds bytes from a `ReturnWorkbook` read by `return_workbook`. The layout constants here are
shared with `workbook_import`, so export and import cannot drift apart. Every value is written by
`plans.spreadsheets.set_cell_value` (typed text never becomes a formula); the only formula is each
line's variance. The same function renders the workbook a submission stores.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from plans.spreadsheets import set_cell_value
from rounds.models import ReturnPart, ReturnQuestion, ReturnTemplate

from .models import Return, ReturnAnswer, ReturnCondition, ReturnLine, ReturnMetric

# Bump when the layout changes: import refuses a workbook of another format version.
RETURN_WORKBOOK_FORMAT_VERSION = "1"
WORKBOOK_KIND = "Better Care Fund monitoring return"
COVER_SHEET = "Cover"
MONEY = '"£"#,##0.00'
NUMBER = "#,##0.####"
PERCENT = '0.0"%"'
DATE = "dd/mm/yyyy"
YES, NO = "Yes", "No"
METRIC_MAX = Decimal("9999999999")

# The Cover's rows: label in column A, value in column B (import reads them by these labels' rows).
COVER_ROWS = [
    ("kind", "Workbook"),
    ("format_version", "Format version"),
    ("area", "Health and Wellbeing Board"),
    ("ons_code", "ONS code"),
    ("round", "Planning round"),
    ("period", "Period"),
    ("period_name", "Period name"),
    ("return_id", "Return"),
    ("return_version", "Return version"),
    ("note", "Do not change the cover"),
]
COVER_FIRST_ROW = 3
COVER_ROW = {key: COVER_FIRST_ROW + i for i, (key, _) in enumerate(COVER_ROWS)}

REFERENCE, VERSION = "Reference (do not change)", "Version (do not change)"
FINANCE_HEADERS = [
    REFERENCE,
    VERSION,
    "Income or expenditure",
    "Line",
    "Detail",
    "Planned to period end £",
    "Planned for the year £",
    "Actual to period end £",
    "Forecast for the year £",
    "Variance %",
    "Explanation of variance",
]
CONDITION_HEADERS = [
    REFERENCE,
    VERSION,
    "Number",
    "National condition",
    "Still met",
    "Date it will be met",
    "Explanation",
]
METRIC_HEADERS = [
    REFERENCE,
    VERSION,
    "Metric",
    "Unit",
    "Ambition period",
    "Ambition",
    "Actual",
    "On track",
    "Reason if not on track",
]
QUESTION_HEADERS = [REFERENCE, VERSION, "Question", "Answer", "Date", "Explanation or narrative"]


def column(headers: list[str], name: str) -> int:
    return headers.index(name) + 1


def letter(headers: list[str], name: str) -> str:
    return get_column_letter(column(headers, name))


def headers_for(part: ReturnPart) -> list[str]:
    return {
        ReturnPart.ReportsOn.FINANCE: FINANCE_HEADERS,
        ReturnPart.ReportsOn.CONDITIONS: CONDITION_HEADERS,
        ReturnPart.ReportsOn.METRICS: METRIC_HEADERS,
    }.get(part.reports_on, QUESTION_HEADERS)


def sheet_title(part: ReturnPart) -> str:
    """The part's title as a sheet title: Excel allows 31 characters and none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", part.title)[:31]


def line_reference(line: ReturnLine) -> str:
    return f"{line.kind}:{line.source_key}"


def condition_reference(condition: ReturnCondition) -> str:
    return f"condition:{condition.number}"


def metric_reference(metric: ReturnMetric) -> str:
    return f"metric:{metric.source_key}"


def question_reference(question: ReturnQuestion) -> str:
    return f"question:{question.key}"


def yes_no(value: bool | None) -> str | None:
    return None if value is None else YES if value else NO


@dataclass
class ReturnWorkbook:
    """Everything the workbook shows, read once (fixed number of queries)."""

    ret: Return
    template: ReturnTemplate
    parts: list[ReturnPart]
    lines: list[ReturnLine]
    conditions: list[ReturnCondition]
    metrics: list[ReturnMetric]
    answers: dict[int, ReturnAnswer] = field(default_factory=dict)  # by question id


def return_workbook(ret: Return) -> ReturnWorkbook:
    """The return's rows for the workbook and its import (the return comes from get_return_for_user)."""
    return ReturnWorkbook(
        ret=ret,
        template=ReturnTemplate.objects.get(round_id=ret.plan.round_id),
        parts=list(
            ReturnPart.objects.filter(round_id=ret.plan.round_id).prefetch_related("questions").order_by("order")
        ),
        lines=list(ReturnLine.objects.filter(ret=ret).order_by("kind", "order")),
        conditions=list(ReturnCondition.objects.filter(ret=ret).order_by("number")),
        metrics=list(ReturnMetric.objects.filter(ret=ret).order_by("order")),
        answers={a.question_id: a for a in ReturnAnswer.objects.filter(ret=ret)},
    )


# --- Styles --------------------------------------------------------------------------------------

TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1D70B8")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
INPUT_FILL = PatternFill("solid", fgColor="FFF7BF")  # yellow: for input, as the national templates did
FIXED_FILL = PatternFill("solid", fgColor="E5E6E7")  # grey: pre-filled from the approved plan
UNLOCKED = Protection(locked=False)


def put(ws, row: int, col: int, value, number_format: str | None = None):
    cell = set_cell_value(ws.cell(row=row, column=col), value)
    if number_format:
        cell.number_format = number_format
    return cell


def fixed(ws, row: int, col: int, value, number_format: str | None = None):
    cell = put(ws, row, col, value, number_format)
    cell.fill = FIXED_FILL
    return cell


def entry(ws, row: int, col: int, value, number_format: str | None = None):
    cell = put(ws, row, col, value, number_format)
    cell.fill = INPUT_FILL
    cell.protection = UNLOCKED
    return cell


def write_header(ws, headers: list[str]) -> None:
    for i, text in enumerate(headers, start=1):
        cell = put(ws, 1, i, text)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
    ws.freeze_panes = "C2"
    # The reference and version tie a row to the return: hidden, and the sheet is protected (no password)
    # so only the yellow cells are meant to be typed in.
    ws.column_dimensions["A"].hidden = True
    ws.column_dimensions["B"].hidden = True
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")


def widths(ws, headers: list[str], wide: set[str]) -> None:
    """Column widths; the wide (text) columns wrap, so a long line name or narrative reads down, not across."""
    for i, name in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 50 if name in wide else 18
        if name in wide:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = WRAP
    _fit_row_heights(ws, [i for i, name in enumerate(headers, start=1) if name in wide])


ROW_HEIGHT_PER_LINE = 15  # points, for the default 11pt font
MAX_ROW_HEIGHT = 409  # points: the most Excel allows
WIDE_CHARACTERS_PER_LINE = 55  # about what a 50-wide column shows of proportional text


def _lines(text) -> int:
    if not isinstance(text, str) or not text:
        return 1
    return sum(max(1, math.ceil(len(part) / WIDE_CHARACTERS_PER_LINE)) for part in text.split("\n"))


def _fit_row_heights(ws, wide_columns: list[int]) -> None:
    """Rows tall enough for their wrapped text: LibreOffice keeps the default height of a row it is not told."""
    if not wide_columns:
        return
    for r in range(2, ws.max_row + 1):
        lines = max(_lines(ws.cell(row=r, column=c).value) for c in wide_columns)
        if lines > 1:
            ws.row_dimensions[r].height = min(MAX_ROW_HEIGHT, lines * ROW_HEIGHT_PER_LINE)
            for cell in ws[r]:
                if not cell.alignment.wrap_text:
                    cell.alignment = TOP  # beside wrapped text, a figure reads from the top of its row too


def validate_yes_no(ws, cell_range: str) -> None:
    dv = DataValidation(
        type="list",
        formula1=f'"{YES},{NO}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Choose Yes or No",
        error="Choose Yes or No from the list",
    )
    dv.add(cell_range)
    ws.add_data_validation(dv)


def validate_number(ws, cell_range: str, maximum: Decimal, what: str) -> None:
    dv = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2=f"{maximum:f}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=f"Enter {what}",
        error=f"Enter {what} between 0 and {maximum:,.0f}",
    )
    dv.add(cell_range)
    ws.add_data_validation(dv)


def validate_date(ws, cell_range: str) -> None:
    dv = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="1",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Enter a date",
        error="Enter a date, like 31/12/2017",
    )
    dv.add(cell_range)
    ws.add_data_validation(dv)


# --- Sheets --------------------------------------------------------------------------------------


def _write_cover(ws, book: ReturnWorkbook) -> None:
    ret = book.ret
    put(ws, 1, 1, WORKBOOK_KIND).font = TITLE_FONT
    values = {
        "kind": WORKBOOK_KIND,
        "format_version": RETURN_WORKBOOK_FORMAT_VERSION,
        "area": ret.plan.hwb_area.name,
        "ons_code": ret.plan.hwb_area.ons_code,
        "round": ret.plan.round.slug,
        "period": ret.period.key,
        "period_name": ret.period.name,
        "return_id": ret.pk,
        "return_version": ret.version,
        "note": "The cover says which return this workbook is for. Do not change it. Yellow cells are for input; "
        "grey cells come from the approved plan. Do not rename, add or remove sheets, rows or columns.",
    }
    for key, label in COVER_ROWS:
        r = COVER_ROW[key]
        put(ws, r, 1, label).font = BOLD
        put(ws, r, 2, values[key]).alignment = WRAP
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90
    ws.protection.sheet = True


def _write_finance(ws, book: ReturnWorkbook) -> None:
    h = FINANCE_HEADERS
    write_header(ws, h)
    planned, actual = letter(h, "Planned to period end £"), letter(h, "Actual to period end £")
    for r, line in enumerate(book.lines, start=2):
        put(ws, r, 1, line_reference(line))
        put(ws, r, 2, line.version)
        fixed(ws, r, column(h, "Income or expenditure"), line.get_kind_display())
        fixed(ws, r, column(h, "Line"), line.label)
        fixed(ws, r, column(h, "Detail"), line.detail)
        fixed(ws, r, column(h, "Planned to period end £"), line.planned, MONEY)
        fixed(ws, r, column(h, "Planned for the year £"), line.planned_year, MONEY)
        entry(ws, r, column(h, "Actual to period end £"), line.actual, MONEY)
        entry(ws, r, column(h, "Forecast for the year £"), line.forecast, MONEY)
        variance = ws.cell(
            row=r,
            column=column(h, "Variance %"),
            value=f'=IF(AND(ISNUMBER({actual}{r}),{planned}{r}<>0),({actual}{r}-{planned}{r})/{planned}{r}*100,"")',
        )
        variance.number_format, variance.fill = PERCENT, FIXED_FILL
        entry(ws, r, column(h, "Explanation of variance"), line.explanation)
    last = max(len(book.lines) + 1, 2)
    for name in ("Actual to period end £", "Forecast for the year £"):
        validate_number(ws, f"{letter(h, name)}2:{letter(h, name)}{last}", book.template.amount_max, "an amount")
    widths(ws, h, {"Line", "Detail", "Explanation of variance"})


def _write_conditions(ws, book: ReturnWorkbook) -> None:
    h = CONDITION_HEADERS
    write_header(ws, h)
    for r, c in enumerate(book.conditions, start=2):
        put(ws, r, 1, condition_reference(c))
        put(ws, r, 2, c.version)
        fixed(ws, r, column(h, "Number"), c.number)
        fixed(ws, r, column(h, "National condition"), c.title)
        entry(ws, r, column(h, "Still met"), yes_no(c.met))
        entry(ws, r, column(h, "Date it will be met"), c.expected_date, DATE)
        entry(ws, r, column(h, "Explanation"), c.explanation)
    last = max(len(book.conditions) + 1, 2)
    validate_yes_no(ws, f"{letter(h, 'Still met')}2:{letter(h, 'Still met')}{last}")
    validate_date(ws, f"{letter(h, 'Date it will be met')}2:{letter(h, 'Date it will be met')}{last}")
    widths(ws, h, {"National condition", "Explanation"})


def _write_metrics(ws, book: ReturnWorkbook) -> None:
    h = METRIC_HEADERS
    write_header(ws, h)
    for r, m in enumerate(book.metrics, start=2):
        put(ws, r, 1, metric_reference(m))
        put(ws, r, 2, m.version)
        fixed(ws, r, column(h, "Metric"), m.name)
        fixed(ws, r, column(h, "Unit"), m.unit)
        fixed(ws, r, column(h, "Ambition period"), m.ambition_period)
        fixed(ws, r, column(h, "Ambition"), m.ambition, NUMBER)
        entry(ws, r, column(h, "Actual"), m.actual, NUMBER)
        entry(ws, r, column(h, "On track"), yes_no(m.on_track))
        entry(ws, r, column(h, "Reason if not on track"), m.reason)
    last = max(len(book.metrics) + 1, 2)
    validate_number(ws, f"{letter(h, 'Actual')}2:{letter(h, 'Actual')}{last}", METRIC_MAX, "a number")
    validate_yes_no(ws, f"{letter(h, 'On track')}2:{letter(h, 'On track')}{last}")
    widths(ws, h, {"Metric", "Reason if not on track"})


def _write_questions(ws, book: ReturnWorkbook, part: ReturnPart) -> None:
    h = QUESTION_HEADERS
    write_header(ws, h)
    K = ReturnQuestion.Kind
    questions = sorted(part.questions.all(), key=lambda q: q.order)
    for r, q in enumerate(questions, start=2):
        a = book.answers.get(q.pk)
        put(ws, r, 1, question_reference(q))
        put(ws, r, 2, a.version if a else None)
        fixed(ws, r, column(h, "Question"), q.prompt)
        answer, when = column(h, "Answer"), column(h, "Date")
        if q.kind == K.NARRATIVE:
            fixed(ws, r, answer, None)
            fixed(ws, r, when, None)
        else:
            entry(ws, r, answer, yes_no(a.yes) if a else None)
            validate_yes_no(ws, f"{get_column_letter(answer)}{r}")
            if q.kind == K.YES_NO:
                entry(ws, r, when, a.date if a else None, DATE)
                validate_date(ws, f"{get_column_letter(when)}{r}")
            else:
                fixed(ws, r, when, None)
        text = column(h, "Explanation or narrative")
        if q.kind == K.CONFIRM:
            fixed(ws, r, text, None)
        else:
            entry(ws, r, text, a.text if a else "")
    widths(ws, h, {"Question", "Explanation or narrative"})


def build_return_workbook(book: ReturnWorkbook) -> Workbook:
    wb = Workbook()
    _write_cover(wb.active, book)
    wb.active.title = COVER_SHEET
    for part in book.parts:
        ws = wb.create_sheet(sheet_title(part))
        if part.reports_on == ReturnPart.ReportsOn.FINANCE:
            _write_finance(ws, book)
        elif part.reports_on == ReturnPart.ReportsOn.CONDITIONS:
            _write_conditions(ws, book)
        elif part.reports_on == ReturnPart.ReportsOn.METRICS:
            _write_metrics(ws, book)
        else:
            _write_questions(ws, book, part)
    wb.active = 0
    return wb


def return_workbook_bytes(ret: Return) -> bytes:
    """The return's workbook as .xlsx bytes (the export, and the file a submission stores)."""
    buffer = io.BytesIO()
    build_return_workbook(return_workbook(ret)).save(buffer)
    return buffer.getvalue()
