"""Reading a return workbook filled in offline: safety checks, every cell validated, what would change, and applying it.

`read_return_workbook` either returns what the workbook would change, cell by cell, or raises
WorkbookRejected with every problem found, each naming the sheet and cell; it writes nothing.
`apply_return_import` reads it again and writes every change through the services in one
transaction, carrying the row versions read when the changes were previewed, so an edit made in
between fails the whole import with StaleEdit.

The file is bounded before openpyxl opens it (rounds.xlsx_bounds.check_file: size, zip entries and
expansion, cells, rows, text), as for a plan's Part 2 workbook; openpyxl then reads it in read-only
mode, never further right than the import's own columns.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
from django import forms
from django.db import transaction

from accounts.models import User
from finance.workbook import ID_SHEET as PLAN_ID_SHEET
from rounds.models import ReturnPart, ReturnQuestion
from rounds.xlsx_bounds import DAMAGED, CellError, WorkbookRejected, check_file

from . import services
from .models import Return
from .workbook import (
    COVER_ROW,
    COVER_SHEET,
    METRIC_MAX,
    NO,
    RETURN_WORKBOOK_FORMAT_VERSION,
    WORKBOOK_KIND,
    YES,
    ReturnWorkbook,
    condition_reference,
    headers_for,
    letter,
    line_reference,
    metric_reference,
    question_reference,
    return_workbook,
    sheet_title,
)

__all__ = ["WorkbookRejected", "CellError", "read_return_workbook", "apply_return_import"]

DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d %B %Y", "%d %b %Y"]
STALE = (
    "Someone changed this row in the portal after this workbook was exported, so importing it would overwrite "
    "their change. Export a new workbook and enter your changes in it"
)


# --- Row forms: one per kind of sheet, so every rule on a cell is a Django validator ------------------


def amount_field(maximum: Decimal) -> forms.DecimalField:
    between = f"Enter an amount between £0 and £{maximum:,.0f}"
    return forms.DecimalField(
        required=False,
        min_value=0,
        max_value=maximum,
        decimal_places=2,
        error_messages={
            "min_value": between,
            "max_value": between,
            "invalid": "Enter an amount in pounds as a number, like 1250000",
            "max_decimal_places": "Enter an amount in pounds and pence, with no more than 2 decimal places",
        },
    )


def yes_no_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        required=False,
        choices=[("", ""), (YES, YES), (NO, NO)],
        error_messages={"invalid_choice": "Enter Yes or No. The cell holds '%(value)s'"},
    )


def date_field() -> forms.DateField:
    return forms.DateField(
        required=False, input_formats=DATE_FORMATS, error_messages={"invalid": "Enter a real date, like 31/12/2017"}
    )


def text_field() -> forms.CharField:
    return forms.CharField(required=False)


class LineRowForm(forms.Form):
    def __init__(self, data, *, amount_max: Decimal):
        super().__init__(data)
        self.fields["actual"] = amount_field(amount_max)
        self.fields["forecast"] = amount_field(amount_max)
        self.fields["explanation"] = text_field()


class ConditionRowForm(forms.Form):
    met = yes_no_field()
    expected_date = date_field()
    explanation = text_field()


class MetricRowForm(forms.Form):
    actual = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=METRIC_MAX,
        decimal_places=4,
        error_messages={
            "min_value": f"Enter a number between 0 and {METRIC_MAX:,.0f}",
            "max_value": f"Enter a number between 0 and {METRIC_MAX:,.0f}",
            "invalid": "Enter the actual as a number, like 1250",
            "max_decimal_places": "Enter a number with no more than 4 decimal places",
        },
    )
    on_track = yes_no_field()
    reason = text_field()


class AnswerRowForm(forms.Form):
    answer = yes_no_field()
    date = date_field()
    text = text_field()


# Which heading each form field is read from (its column, so an error names its cell).
LINE_COLUMNS = {
    "actual": "Actual to period end £",
    "forecast": "Forecast for the year £",
    "explanation": "Explanation of variance",
}
CONDITION_COLUMNS = {"met": "Still met", "expected_date": "Date it will be met", "explanation": "Explanation"}
METRIC_COLUMNS = {"actual": "Actual", "on_track": "On track", "reason": "Reason if not on track"}
ANSWER_COLUMNS = {"answer": "Answer", "date": "Date", "text": "Explanation or narrative"}


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _form_value(value):
    """What a form field gets from a cell: numbers and dates as they are, text stripped, blank as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        if value.lower() in ("yes", "no"):
            return value.capitalize()
        return value
    return value


def _bool(choice: str) -> bool | None:
    return None if not choice else choice == YES


# --- What the import changes ----------------------------------------------------------------------


def _show(value) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value.normalize():,f}"
    if isinstance(value, datetime.date):
        return value.strftime("%-d %B %Y")
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


@dataclass(frozen=True)
class CellChange:
    sheet: str
    cell: str
    row: str  # the row's label: the line, condition, metric or question
    column: str
    old: str
    new: str


@dataclass
class ReturnImport:
    """What a workbook would change: every changed cell, and the new values of every changed row."""

    changes: list[CellChange] = field(default_factory=list)
    lines: list[tuple[str, int, tuple]] = field(
        default_factory=list
    )  # (reference, pk, (actual, forecast, explanation))
    conditions: list[tuple[str, int, tuple]] = field(default_factory=list)
    metrics: list[tuple[str, int, tuple]] = field(default_factory=list)
    answers: list[tuple[str, ReturnQuestion, tuple]] = field(default_factory=list)
    # Every row's version in the database when the workbook was read (None: a question not yet answered).
    versions: dict[str, int | None] = field(default_factory=dict)


@dataclass
class _Row:
    sheet: str
    r: int
    headers: list[str]
    values: tuple

    def cell(self, heading: str) -> str:
        return f"{letter(self.headers, heading)}{self.r}"

    def value(self, heading: str):
        i = self.headers.index(heading)
        return self.values[i] if i < len(self.values) else None


class _Reader:
    def __init__(self, book: ReturnWorkbook, *, check_stale: bool):
        self.book = book
        self.check_stale = check_stale
        self.errors: list[CellError] = []
        self.result = ReturnImport()

    def error(self, sheet: str, cell: str, message: str) -> None:
        self.errors.append(CellError(sheet, cell, message))

    # The cover says which return the workbook is for; anything else is refused before any row is read.
    def cover(self, wb) -> None:
        ret = self.book.ret
        if COVER_SHEET not in wb.sheetnames:
            self.error(COVER_SHEET, "", "The workbook has no Cover sheet. Export the return's workbook and try again")
            return
        ws = wb[COVER_SHEET]
        values = dict.fromkeys(COVER_ROW)
        last = max(COVER_ROW.values())
        for r, row in enumerate(ws.iter_rows(min_row=1, max_row=last, max_col=2, values_only=True), start=1):
            for key, at in COVER_ROW.items():
                if at == r:
                    values[key] = row[1] if len(row) > 1 else None

        def at(key: str) -> str:
            return f"B{COVER_ROW[key]}"

        if PLAN_ID_SHEET in wb.sheetnames or _cell_text(values["kind"]) != WORKBOOK_KIND:
            plan = PLAN_ID_SHEET in wb.sheetnames
            self.error(
                COVER_SHEET,
                at("kind"),
                "This is a plan's Part 2 workbook, not a monitoring return. Upload the workbook exported from "
                "this return"
                if plan
                else f"This is not a monitoring return workbook: the cover should say '{WORKBOOK_KIND}'. "
                "Upload the workbook exported from this return",
            )
            return
        expected = [
            (
                "format_version",
                RETURN_WORKBOOK_FORMAT_VERSION,
                "The workbook is in format {found}; the portal now reads format {want}. Export a new workbook, "
                "copy your figures into it and try again",
            ),
            (
                "ons_code",
                ret.plan.hwb_area.ons_code,
                "This workbook is for another area ({found}), not {want}. Upload this area's workbook",
            ),
            (
                "round",
                ret.plan.round.slug,
                "This workbook is for another planning round ({found}), not {want}. Upload this round's workbook",
            ),
            (
                "period",
                ret.period.key,
                "This workbook is for another period ({found}), not {want}. Upload the workbook for this period",
            ),
            (
                "return_id",
                str(ret.pk),
                "This workbook is for another return ({found}). Export this return's workbook and try again",
            ),
            (
                "return_version",
                str(ret.version),
                "This workbook is of version {found} of the return, which has since been reopened as version "
                "{want}. Export a new workbook and try again",
            ),
        ]
        for key, want, message in expected:
            found = _cell_text(values[key])
            if found != want:
                self.error(COVER_SHEET, at(key), message.format(found=found or "blank", want=want))

    def rows(self, ws, sheet: str, headers: list[str]):
        """The sheet's rows after its header, once the header is checked (None if it is wrong)."""
        rows = ws.iter_rows(min_row=1, max_col=len(headers), values_only=True)
        header = next(rows, ())
        wrong = False
        for i, want in enumerate(headers):
            found = header[i] if i < len(header) else None
            if _cell_text(found) != want:
                wrong = True
                self.error(
                    sheet,
                    f"{letter(headers, want)}1",
                    f"The column heading should be '{want}', not '{_cell_text(found) or 'blank'}'. "
                    "Do not rename, move, add or remove columns: export a new workbook and copy your figures into it",
                )
        if wrong:
            return None
        return [_Row(sheet, r, headers, tuple(v)) for r, v in enumerate(rows, start=2)]

    def matched(self, rows: list[_Row], known: dict[str, object], what: str):
        """Each row with the return's row it stands for; an unknown, added or repeated row is an error."""
        seen = set()
        for row in rows:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row.values):
                continue
            ref = _cell_text(row.values[0] if row.values else None)
            target = known.get(ref)
            if target is None:
                self.error(
                    row.sheet,
                    f"A{row.r}",
                    f"This row is not one of the return's {what} (reference '{ref or 'blank'}'). Rows cannot be "
                    "added and references cannot be changed: remove the row or export a new workbook",
                )
                continue
            if ref in seen:
                self.error(row.sheet, f"A{row.r}", f"This row repeats one of the return's {what}. Remove it")
                continue
            seen.add(ref)
            yield row, ref, target

    def form(self, form_class, row: _Row, columns: dict[str, str], **kwargs):
        form = form_class({name: _form_value(row.value(heading)) for name, heading in columns.items()}, **kwargs)
        if form.is_valid():
            return form.cleaned_data
        for name, messages in form.errors.items():
            for message in messages:
                self.error(row.sheet, row.cell(columns[name]), message)
        return None

    def compare(self, row: _Row, ref: str, label: str, current_version, old: tuple, new: tuple, headings: list[str]):
        """Record the changed cells; refuse a row changed in the portal since the export (stale)."""
        self.result.versions[ref] = current_version
        if old == new:
            return False
        if self.check_stale:
            exported = row.values[1] if len(row.values) > 1 else None
            if _cell_text(exported) != _cell_text(current_version):
                first = next(h for h, a, b in zip(headings, old, new, strict=True) if a != b)
                self.error(row.sheet, row.cell(first), STALE)
                return False
        for heading, a, b in zip(headings, old, new, strict=True):
            if a != b:
                self.result.changes.append(CellChange(row.sheet, row.cell(heading), label, heading, _show(a), _show(b)))
        return True

    # --- Sheets -------------------------------------------------------------------------------------

    def finance(self, rows: list[_Row]) -> None:
        known = {line_reference(x): x for x in self.book.lines}
        for row, ref, line in self.matched(rows, known, "income and expenditure lines"):
            data = self.form(LineRowForm, row, LINE_COLUMNS, amount_max=self.book.template.amount_max)
            if data is None:
                continue
            new = (data["actual"], data["forecast"], data["explanation"].strip())
            old = (line.actual, line.forecast, line.explanation)
            if self.compare(row, ref, line.label, line.version, old, new, list(LINE_COLUMNS.values())):
                self.result.lines.append((ref, line.pk, new))

    def conditions(self, rows: list[_Row]) -> None:
        known = {condition_reference(x): x for x in self.book.conditions}
        for row, ref, c in self.matched(rows, known, "national conditions"):
            data = self.form(ConditionRowForm, row, CONDITION_COLUMNS)
            if data is None:
                continue
            met = _bool(data["met"])
            # As the service stores it: a condition that is met keeps no date or explanation.
            new = (met, None if met else data["expected_date"], "" if met else data["explanation"].strip())
            old = (c.met, c.expected_date, c.explanation)
            label = f"{c.number}. {c.title}"
            if self.compare(row, ref, label, c.version, old, new, list(CONDITION_COLUMNS.values())):
                self.result.conditions.append((ref, c.pk, new))

    def metrics(self, rows: list[_Row]) -> None:
        known = {metric_reference(x): x for x in self.book.metrics}
        for row, ref, m in self.matched(rows, known, "metrics"):
            data = self.form(MetricRowForm, row, METRIC_COLUMNS)
            if data is None:
                continue
            new = (data["actual"], _bool(data["on_track"]), data["reason"].strip())
            old = (m.actual, m.on_track, m.reason)
            if self.compare(row, ref, m.name, m.version, old, new, list(METRIC_COLUMNS.values())):
                self.result.metrics.append((ref, m.pk, new))

    def questions(self, rows: list[_Row], part: ReturnPart) -> None:
        K = ReturnQuestion.Kind
        known = {question_reference(q): q for q in part.questions.all()}
        for row, ref, q in self.matched(rows, known, "questions"):
            data = self.form(AnswerRowForm, row, ANSWER_COLUMNS)
            if data is None:
                continue
            yes = None if q.kind == K.NARRATIVE else _bool(data["answer"])
            # As the service stores it: a date and reason only for a yes/no answered no; text for a narrative.
            keep_reason = q.kind == K.YES_NO and yes is False
            text = data["text"].strip() if keep_reason or q.kind == K.NARRATIVE else ""
            new = (yes, data["date"] if keep_reason else None, text)
            answer = self.book.answers.get(q.pk)
            old = (answer.yes, answer.date, answer.text) if answer else (None, None, "")
            version = answer.version if answer else None
            if self.compare(row, ref, q.prompt, version, old, new, list(ANSWER_COLUMNS.values())):
                self.result.answers.append((ref, q, new))

    def sheets(self, wb) -> None:
        for part in self.book.parts:
            title = sheet_title(part)
            if title not in wb.sheetnames:
                self.error(
                    title,
                    "",
                    "The sheet is missing. Do not rename or remove sheets: export a new workbook and copy "
                    "your figures into it",
                )
                continue
            headers = headers_for(part)
            rows = self.rows(wb[title], title, headers)
            if rows is None:
                continue
            if part.reports_on == ReturnPart.ReportsOn.FINANCE:
                self.finance(rows)
            elif part.reports_on == ReturnPart.ReportsOn.CONDITIONS:
                self.conditions(rows)
            elif part.reports_on == ReturnPart.ReportsOn.METRICS:
                self.metrics(rows)
            else:
                self.questions(rows, part)


def read_return_workbook(data: bytes, book: ReturnWorkbook, *, check_stale: bool = True) -> ReturnImport:
    """What the workbook would change in the return, or WorkbookRejected with every problem by sheet and cell."""
    check_file(data)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a file it cannot read  # noqa: BLE001
        raise WorkbookRejected([CellError("", "", DAMAGED)]) from error
    reader = _Reader(book, check_stale=check_stale)
    try:
        reader.cover(wb)
        if not reader.errors:
            reader.sheets(wb)
    finally:
        wb.close()
    if reader.errors:
        raise WorkbookRejected(reader.errors)
    return reader.result


def apply_return_import(*, user: User, ret: Return, data: bytes, versions: dict[str, int | None]) -> int:
    """Write every change the workbook makes, all or nothing, with the versions seen at preview.

    A row changed since the preview raises plans.editing.StaleEdit (from the services) and nothing is
    written; a workbook that no longer reads raises WorkbookRejected. Returns how many rows changed.
    """
    with transaction.atomic():
        # Lock first, so the return read below is the one the services will change.
        Return.objects.select_for_update(of=("self",)).filter(pk=ret.pk).first()
        found = read_return_workbook(data, return_workbook(ret), check_stale=False)

        def version(ref: str):
            # A row the preview did not see (it cannot happen: a return's rows are fixed) counts as stale.
            return versions.get(ref, -1)

        changed = 0
        if found.lines:
            changed += services.save_lines(
                user=user,
                ret=ret,
                changes=[services.LineChange(pk, version(ref), *new) for ref, pk, new in found.lines],
            )
        if found.conditions:
            changed += services.save_conditions(
                user=user,
                ret=ret,
                changes=[services.ConditionChange(pk, version(ref), *new) for ref, pk, new in found.conditions],
            )
        if found.metrics:
            changed += services.save_metrics(
                user=user,
                ret=ret,
                changes=[services.MetricChange(pk, version(ref), *new) for ref, pk, new in found.metrics],
            )
        if found.answers:
            changed += services.save_answers(
                user=user,
                ret=ret,
                changes=[services.AnswerChange(q, version(ref), *new) for ref, q, new in found.answers],
            )
        return changed
