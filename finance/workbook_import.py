"""Reading a Part 2 workbook filled in offline: safety checks, row validation, and what would change.

Nothing here writes. `read_workbook` either returns the parsed rows or raises WorkbookRejected
with every problem found, each naming the sheet and cell. `diff_workbook` compares the parsed
rows with the plan and lists the lines that would be added, changed or removed;
`finance.services.apply_workbook_import` then applies them in one transaction.

Limits, checked before openpyxl opens anything, so that the work one upload can cause is bounded:
- the upload may be at most settings.MAX_UPLOAD_SIZE bytes (10 MB by default);
- the zip directory may promise at most settings.MAX_WORKBOOK_UNCOMPRESSED_SIZE bytes in total
  (50 MB by default) and no member may expand more than 200 times, which stops zip bombs;
- every XML part, every sheet (not only the sheets the import reads), is then counted by a
  streaming pass that builds nothing (PartsScan, in rounds.xlsx_bounds, which every .xlsx upload uses): no cell, row or declared size beyond row MAX_ROWS
  or column MAX_COLUMNS, at most MAX_CELLS cells and MAX_SHARED_STRINGS shared strings in all, at
  most MAX_XML_ELEMENTS elements (MAX_OTHER_ELEMENTS outside rows and strings), no cell with more
  text than Excel allows, MAX_TEXT characters of text in all, and no document type declaration (so
  no entity tricks). Number cells whose
  stored value is not a finite number (NaN, INF) are reported at their cell.
Only then does openpyxl open the workbook, in read-only mode, streaming each sheet it reads row by
row and never further right than the import's own columns. openpyxl parses with defusedxml.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import openpyxl
from django import forms
from openpyxl.utils import get_column_letter

from capacity.models import MAX_FIGURE
from plans.markdown import check_markdown
from plans.models import Plan
from rounds import columns
from rounds.money import MAX_AMOUNT
from rounds.units import UNIT_CHOICES, measure_for, unit_by_label
from rounds.xlsx_bounds import (  # noqa: F401 - the limits and errors are part of this module's interface
    DAMAGED,
    DAMAGED_SHEET,
    MAX_CELL_TEXT,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_OTHER_ELEMENTS,
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_TEXT,
    MAX_XML_ELEMENTS,
    MAX_ZIP_MEMBERS,
    CellError,
    PartsScan,
    WorkbookRejected,
    check_file,
    max_uncompressed_size,
)
from schemes.models import Scheme

from . import rules
from .selectors import WORKBOOK_FORMAT_VERSION, PartTwo, line_problems, live_figures, part_two_for_plan, sub_types_of
from .workbook import (
    BASELINE,
    CAPACITY_SHEET,
    EXPENDITURE_FIXED,
    ID_SHEET,
    METRICS_HEADERS,
    NEW_OR_EXISTING,
    PLANNED,
    TOTAL_LABEL,
    YES_NO,
    capacity_headers,
    capacity_rows,
    expenditure_headers,
    income_headers,
    income_rows,
    metric_rows,
    risk_headers,
)

REQUIRED_SHEETS = ["Income", "Expenditure", "Metrics"]
ZERO = Decimal("0")

# --- Row forms: one per sheet, so every rule on a cell is a Django validator ---------------

# Figures are bounded by max_value and decimal_places alone, never max_digits: a figure pasted from a
# division (333333.3333333333) has too many digits only because of its decimal places, and must be told so.
AMOUNT_MESSAGES = {
    "min_value": "Enter an amount of £0 or more",
    "max_value": f"Enter an amount of {rules.format_pounds(MAX_AMOUNT)} or less",
    "invalid": "Enter an amount in pounds, like 1250000",
    "max_decimal_places": "Enter an amount in pounds and pence, with no more than 2 decimal places",
}


def amount_field():
    return forms.DecimalField(
        required=False, min_value=0, max_value=MAX_AMOUNT, decimal_places=2, error_messages=AMOUNT_MESSAGES
    )


def choice_field(values: list[str], what: str, required: bool = True):
    article = "an" if what[0] in "aeiou" else "a"
    return forms.ChoiceField(
        choices=[(v, v) for v in values],
        required=required,
        error_messages={
            "required": f"Choose {article} {what}",
            "invalid_choice": f"'%(value)s' is not {article} {what}. Choose one from the drop-down list",
        },
    )


class RowForm(forms.Form):
    """One sheet row's form. The rows of a sheet share one set of fields (`fields_for`), built once:
    building and deep-copying a dozen fields for each of thousands of rows cost more than validating them.
    """

    def __init__(self, data: dict, *, fields: dict[str, forms.Field]):
        super().__init__(data)
        self.fields = dict(fields)


class IncomeRowForm(RowForm):
    @staticmethod
    def fields_for(part: PartTwo) -> dict[str, forms.Field]:
        fields = {
            "funding_stream": choice_field([s.name for s in part.streams], "funding stream of this round"),
            "organisation": choice_field([o.name for o in part.organisations], "organisation of this area"),
        }
        for i, _ in enumerate(part.years):
            fields[f"amount_{i}"] = amount_field()
        fields["note"] = forms.CharField(
            required=False, max_length=250, error_messages={"max_length": "Enter a note of 250 characters or fewer"}
        )
        return fields


PERCENT_MESSAGES = {
    "min_value": "Enter a percentage from 0 to 100",
    "max_value": "Enter a percentage from 0 to 100",
    "invalid": "Enter a percentage from 0 to 100",
    "max_decimal_places": "Enter a percentage with no more than 2 decimal places",
}


def percent_field():
    return forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, error_messages=PERCENT_MESSAGES
    )


def output_field():
    return forms.DecimalField(
        required=False,
        min_value=0,
        max_value=Decimal("9999999999.99"),
        decimal_places=2,
        error_messages={
            "min_value": "Enter a planned output of 0 or more",
            "max_value": "Enter a planned output of less than 10,000,000,000",
            "invalid": "Enter the planned output as a number",
            "max_decimal_places": "Enter a planned output with no more than 2 decimal places",
        },
    )


class ExpenditureRowForm(RowForm):
    """One Expenditure row's cells. The round's per-line rules (split, sub-type, outputs) need the
    row's choices resolved, so `_read_expenditure` checks them after the form, through
    finance.selectors.line_problems, as the web form and the service do."""

    @staticmethod
    def fields_for(part: PartTwo) -> dict[str, forms.Field]:
        return {
            "line_id": forms.IntegerField(required=False, error_messages={"invalid": "Leave the line ID as exported"}),
            "scheme_reference": forms.CharField(
                max_length=20,
                error_messages={
                    "required": "Enter a scheme reference",
                    "max_length": "Enter a reference of 20 characters or fewer",
                },
            ),
            "scheme_name": forms.CharField(
                max_length=250,
                error_messages={
                    "required": "Enter the scheme name",
                    "max_length": "Enter a name of 250 characters or fewer",
                },
            ),
            "scheme_type": choice_field(
                [e.label for e in part.codes.get("scheme_type", [])], "scheme type of this round"
            ),
            "sub_type": choice_field(
                list(dict.fromkeys(e.label for e in part.codes.get("scheme_subtype", []))),
                "sub-type of this round",
                required=False,
            ),
            "area_of_spend": choice_field([e.label for e in part.codes.get("area_of_spend", [])], "area of spend"),
            "commissioner": choice_field([e.label for e in part.codes.get("commissioner", [])], "commissioner"),
            "percent_nhs": percent_field(),
            "percent_la": percent_field(),
            "provider": choice_field([e.label for e in part.codes.get("provider", [])], "provider of this round"),
            "funding_stream": choice_field([s.name for s in part.streams], "source of funding of this round"),
            **{f"amount_{i}": amount_field() for i, _ in enumerate(part.years)},
            "new_or_existing": choice_field(NEW_OR_EXISTING, "option: New or Existing"),
            **{f"output_{i}": output_field() for i, _ in enumerate(part.years)},
        }


def metric_number_field(decimal_places: int) -> forms.DecimalField:
    """A metric figure as the model stores it: 14 digits, `decimal_places` of them after the point."""
    below = Decimal(10) ** (14 - decimal_places)
    return forms.DecimalField(
        required=False,
        min_value=0,
        max_value=below - Decimal(1).scaleb(-decimal_places),
        decimal_places=decimal_places,
        error_messages={
            "min_value": "Enter a number of 0 or more",
            "max_value": f"Enter a number less than {below:,}",
            "invalid": "Enter a number",
            "max_decimal_places": f"Enter a number with no more than {decimal_places} decimal places",
        },
    )


class MetricRowForm(RowForm):
    @staticmethod
    def fields_for() -> dict[str, forms.Field]:
        return {
            "ambition_id": forms.IntegerField(
                required=False, error_messages={"invalid": "Leave the ambition ID as exported"}
            ),
            "metric": forms.CharField(max_length=250, error_messages={"required": "Enter the metric's name"}),
            "row": forms.ChoiceField(
                choices=[(BASELINE, BASELINE), (PLANNED, PLANNED)],
                error_messages={
                    "required": f"Enter '{BASELINE}' or '{PLANNED}'",
                    "invalid_choice": f"Enter '{BASELINE}' or '{PLANNED}'",
                },
            ),
            "period": forms.CharField(
                max_length=60, required=False, error_messages={"max_length": "Enter a period of 60 characters or fewer"}
            ),
            "value": metric_number_field(4),
            "numerator": metric_number_field(2),
            "denominator": metric_number_field(2),
            "rationale": forms.CharField(required=False, max_length=10000),
        }

    def clean(self):
        data = super().clean()
        if data.get("row") == PLANNED and not data.get("period"):
            self.add_error("period", "Enter the period this planned value is for")
        return data


def capacity_figure_field(what: str) -> forms.IntegerField:
    message = f"Enter {what} as a whole number from 0 to {MAX_FIGURE:,}"
    return forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_FIGURE,
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


class CapacityRowForm(RowForm):
    @staticmethod
    def fields_for(part: PartTwo) -> dict[str, forms.Field]:
        definition = part.capacity_demand.definition
        keys = [row.key for row in definition.rows]
        periods = list(definition.periods)
        return {
            "key": forms.ChoiceField(
                choices=[(k, k) for k in keys],
                error_messages={
                    "required": "Leave the row key as exported (a row must name its service type)",
                    "invalid_choice": "'%(value)s' is not a service type of this round's table. "
                    "Leave the row key as exported",
                },
            ),
            "period": forms.ChoiceField(
                choices=[(p, p) for p in periods],
                error_messages={
                    "required": "Enter the period, as exported",
                    "invalid_choice": f"'%(value)s' is not a period of this round's table. Enter one of: {', '.join(periods)}",
                },
            ),
            "demand": capacity_figure_field(definition.demand_label.lower()),
            "capacity": capacity_figure_field(definition.capacity_label.lower()),
        }


# --- Parsed rows ------------------------------------------------------------------------


@dataclass
class IncomeRow:
    row: int
    stream: object
    organisation: object
    amounts: dict[str, Decimal | None]
    note: str


@dataclass
class ExpenditureRow:
    row: int
    line_id: int | None
    scheme_reference: str
    scheme_name: str
    scheme_type: object
    area_of_spend: object
    commissioner: object
    percent_nhs: Decimal | None
    percent_la: Decimal | None
    provider: object
    stream: object
    amounts: dict[str, Decimal | None]
    is_new: bool
    sub_type: object = None
    outputs: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass
class MetricRow:
    row: int
    ambition_id: int | None
    metric: str
    kind: str
    period: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    rationale: str
    unit: str = ""  # a local metric's unit code, as its Unit cell says; "" for a round metric's row

    @property
    def is_baseline(self) -> bool:
        return self.kind == BASELINE

    @property
    def has_content(self) -> bool:
        """Whether the row says anything: a figure, a rationale or a baseline period (a planned
        row's period is the exported label, not something the user gave)."""
        figures = (self.value, self.numerator, self.denominator)
        return any(v is not None for v in figures) or bool(self.rationale or (self.kind == BASELINE and self.period))


@dataclass
class RiskRow:
    """A risk as the Risks sheet gives it: the row's own fields, and the round's columns in `values`."""

    row: int
    risk_id: int | None
    description: str
    rating: object  # the round's risk_rating entry, or None
    mitigating_actions: str
    owner: str
    values: dict

    def fields(self) -> dict:
        return {
            "description": self.description,
            "rating": self.rating,
            "mitigating_actions": self.mitigating_actions,
            "owner": self.owner,
            "values": self.values,
        }


@dataclass
class ParsedWorkbook:
    income: list[IncomeRow] = field(default_factory=list)
    expenditure: list[ExpenditureRow] = field(default_factory=list)
    metrics: list[MetricRow] = field(default_factory=list)
    risks: list[RiskRow] | None = None  # None when the workbook has no Risks sheet: the risks are left alone
    # Every (row key, period) of the round's capacity and demand table -> (demand, capacity), a cell
    # left off the sheet as blank; None when the round has no table.
    capacity: dict[tuple[str, str], tuple[int | None, int | None]] | None = None


# --- Reading the sheets -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SheetCell:
    coordinate: str
    value: object
    data_type: str


def sheet_rows(ws, width: int):
    """(row number, cells) for every row of a read-only sheet, each exactly `width` cells wide.

    Only the columns the import reads are built, however far right a sheet's cells go, and rows
    are streamed one at a time. The sheet's declared size is ignored: it can be wrong, and a row
    below it must not be lost.
    """
    ws.reset_dimensions()
    letters = [get_column_letter(c) for c in range(1, width + 1)]
    number = 0
    try:
        for number, row in enumerate(ws.iter_rows(min_row=1, max_col=width), start=1):
            yield number, [SheetCell(f"{x}{number}", c.value, c.data_type) for x, c in zip(letters, row, strict=True)]
    except Exception as exc:  # openpyxl parses as it goes, so a damaged cell surfaces here
        raise WorkbookRejected(
            [CellError(ws.title, "", f"The sheet cannot be read after row {number}. {DAMAGED_SHEET}")]
        ) from exc


class SheetReader:
    """Turns worksheet rows into form data, collecting cell-addressed errors as it goes."""

    def __init__(self, ws, width: int, errors: list[CellError]):
        self.title = ws.title
        self.errors = errors
        self._rows = sheet_rows(ws, width)
        self.header = next(
            self._rows, (1, [SheetCell(f"{get_column_letter(c)}1", None, "n") for c in range(1, width + 1)])
        )[1]

    def error(self, cell: str, message: str):
        self.errors.append(CellError(self.title, cell, message))

    def check_headers(self, expected: list[str]) -> bool:
        ok = True
        for heading, cell in zip(expected, self.header, strict=False):
            found = cell.value.strip() if isinstance(cell.value, str) else cell.value
            if found != heading:
                self.error(
                    cell.coordinate,
                    f"The heading should be '{heading}' but is '{found or ''}'. Do not rename, add or remove columns",
                )
                ok = False
        return ok

    def text(self, cell: SheetCell) -> str:
        value = cell.value
        if value is None:
            return ""
        if cell.data_type == "f":
            self.error(cell.coordinate, "Enter text, not a formula")
            return ""
        return str(value).strip()

    def number(self, cell: SheetCell) -> str | None:
        """The cell as a string a DecimalField can parse; text and formulas are errors here."""
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
            self.error(cell.coordinate, "Enter a number, not a formula")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.error(cell.coordinate, f"Enter a number, not text ('{str(value)[:40]}')")
            return None
        try:
            return str(Decimal(str(value)))
        except InvalidOperation:
            self.error(cell.coordinate, "Enter a number")
            return None

    def rows(self):
        """(row number, cells) for each row below the headings; PartsScan has bounded how many there are."""
        yield from self._rows

    def validate(self, form, columns: dict[str, str]) -> bool:
        """Run the row's form; each field error is reported at the field's cell."""
        if form.is_valid():
            return True
        for name, messages in form.errors.items():
            cell = columns.get(name) or next(iter(columns.values()))
            for message in messages:
                self.error(cell, message)
        return False


def _blank(cells: list[SheetCell]) -> bool:
    return all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells)


def _read_income(ws, part: PartTwo, errors: list[CellError]) -> list[IncomeRow]:
    years = part.year_labels
    headers = income_headers(years)
    reader = SheetReader(ws, len(headers), errors)
    if not reader.check_headers(headers):
        return []
    streams = {s.name: s for s in part.streams}
    orgs = {o.name: o for o in part.organisations}
    seen: dict[tuple, int] = {}
    parsed = []
    fields = IncomeRowForm.fields_for(part)
    for r, cells in reader.rows():
        if _blank(cells) or cells[0].value == TOTAL_LABEL:
            continue
        number_ok = True
        data = {"funding_stream": reader.text(cells[0]), "organisation": reader.text(cells[1])}
        columns = {"funding_stream": cells[0].coordinate, "organisation": cells[1].coordinate}
        for i in range(len(years)):
            value = reader.number(cells[2 + i])
            number_ok &= value is not None
            data[f"amount_{i}"] = value or ""
            columns[f"amount_{i}"] = cells[2 + i].coordinate
        data["note"] = reader.text(cells[2 + len(years)])
        columns["note"] = cells[2 + len(years)].coordinate
        form = IncomeRowForm(data, fields=fields)
        if not reader.validate(form, columns) or not number_ok:
            continue
        key = (form.cleaned_data["funding_stream"], form.cleaned_data["organisation"])
        if key in seen:
            reader.error(
                cells[0].coordinate,
                f"{key[0]} from {key[1]} is already on row {seen[key]}. Put each source and organisation on one row",
            )
            continue
        seen[key] = r
        parsed.append(
            IncomeRow(
                row=r,
                stream=streams[key[0]],
                organisation=orgs[key[1]],
                amounts={y: form.cleaned_data[f"amount_{i}"] for i, y in enumerate(years)},
                note=form.cleaned_data["note"],
            )
        )
    return parsed


EXPENDITURE_FIELDS = [
    "line_id",
    "scheme_reference",
    "scheme_name",
    "scheme_type",
    "sub_type",
    "area_of_spend",
    "commissioner",
    "percent_nhs",
    "percent_la",
    "provider",
    "funding_stream",
]
NUMBER_FIELDS = {"line_id", "percent_nhs", "percent_la"}


def _read_expenditure(ws, part: PartTwo, scheme_names: dict[str, str], errors: list[CellError]) -> list[ExpenditureRow]:
    """The Expenditure rows; `scheme_names` maps each of the plan's scheme references to its name."""
    years = part.year_labels
    headers = expenditure_headers(years)
    reader = SheetReader(ws, len(headers), errors)
    if not reader.check_headers(headers):
        return []
    by_label = {
        name: {e.label: e for e in part.codes.get(name, [])}
        for name in ("scheme_type", "area_of_spend", "commissioner", "provider")
    }
    streams = {s.name: s for s in part.streams}
    sub_types_by_label = {e.label: e for e in part.codes.get("scheme_subtype", [])}
    line_ids = {line.pk for line in part.expenditure_lines}
    seen_ids: dict[int, int] = {}
    new_schemes: dict[str, tuple[int, str]] = {}  # reference -> (first row, name) of schemes not yet in the plan
    parsed = []
    fields = ExpenditureRowForm.fields_for(part)
    for r, cells in reader.rows():
        if _blank(cells) or cells[1].value == TOTAL_LABEL:
            continue
        data, columns, number_ok = {}, {}, True
        for i, name in enumerate(EXPENDITURE_FIELDS):
            columns[name] = cells[i].coordinate
            if name in NUMBER_FIELDS:
                value = reader.number(cells[i])
                number_ok &= value is not None
                data[name] = value or ""
            else:
                data[name] = reader.text(cells[i])
        first_output = len(EXPENDITURE_FIXED) + len(years) + 2  # after "New or existing" and the unit
        for i in range(len(years)):
            for name, cell in (
                (f"amount_{i}", cells[len(EXPENDITURE_FIXED) + i]),
                (f"output_{i}", cells[first_output + i]),
            ):
                value = reader.number(cell)
                number_ok &= value is not None
                data[name] = value or ""
                columns[name] = cell.coordinate
        new_cell = cells[len(EXPENDITURE_FIXED) + len(years)]
        data["new_or_existing"] = reader.text(new_cell)
        columns["new_or_existing"] = new_cell.coordinate
        form = ExpenditureRowForm(data, fields=fields)
        if not reader.validate(form, columns) or not number_ok:
            continue
        cd = form.cleaned_data
        scheme_type = by_label["scheme_type"][cd["scheme_type"]]
        sub_type = None
        if cd["sub_type"]:  # the type's own sub-type of that label, else any (which the rules refuse)
            own = {e.label: e for e in sub_types_of(part.codes, scheme_type)}
            sub_type = own.get(cd["sub_type"]) or sub_types_by_label[cd["sub_type"]]
        row_fields = {
            "commissioner": by_label["commissioner"][cd["commissioner"]],
            "funding_stream": streams[cd["funding_stream"]],
            "amounts": {y: cd[f"amount_{i}"] for i, y in enumerate(years)},
            "outputs": {y: cd[f"output_{i}"] for i, y in enumerate(years)},
        }
        problems = line_problems(
            codes=part.codes,
            split_rules=part.split_rules,
            scheme_type=scheme_type,
            sub_type=sub_type,
            percent_nhs=cd["percent_nhs"],
            percent_la=cd["percent_la"],
            **row_fields,
        )
        output_columns = {f"output:{y}": columns[f"output_{i}"] for i, y in enumerate(years)}
        for name, message in problems:
            reader.error(output_columns.get(name) or columns[name], message)
        if problems:
            continue
        # A scheme's name is kept on the Schemes page; import uses it to create a new scheme only.
        # A different name typed here would otherwise be dropped without a word.
        reference, name = cd["scheme_reference"], cd["scheme_name"]
        if reference in scheme_names and name != scheme_names[reference]:
            reader.error(
                columns["scheme_name"],
                f"Scheme {reference} is called '{scheme_names[reference]}' in this plan. Use that name here, "
                "and rename a scheme on the Schemes page",
            )
            continue
        if reference in new_schemes and name != new_schemes[reference][1]:
            row_of, first_name = new_schemes[reference]
            reader.error(
                columns["scheme_name"],
                f"New scheme {reference} is called '{first_name}' on row {row_of}. Give each scheme one name",
            )
            continue
        if reference not in scheme_names:
            new_schemes.setdefault(reference, (r, name))
        line_id = cd["line_id"]
        if line_id is not None:
            if line_id not in line_ids:
                reader.error(
                    cells[0].coordinate, f"Line ID {line_id} is not a line of this plan. Clear it for a new line"
                )
                continue
            if line_id in seen_ids:
                reader.error(
                    cells[0].coordinate,
                    f"Line ID {line_id} is also on row {seen_ids[line_id]}. Clear the ID of a copied row",
                )
                continue
            seen_ids[line_id] = r
        parsed.append(
            ExpenditureRow(
                row=r,
                line_id=line_id,
                scheme_reference=cd["scheme_reference"],
                scheme_name=cd["scheme_name"],
                scheme_type=scheme_type,
                sub_type=sub_type,
                area_of_spend=by_label["area_of_spend"][cd["area_of_spend"]],
                commissioner=row_fields["commissioner"],
                percent_nhs=cd["percent_nhs"],
                percent_la=cd["percent_la"],
                provider=by_label["provider"][cd["provider"]],
                stream=row_fields["funding_stream"],
                amounts=row_fields["amounts"],
                outputs=row_fields["outputs"],
                is_new=cd["new_or_existing"] == NEW_OR_EXISTING[0],
            )
        )
    return parsed


METRIC_COLUMNS = {  # form field -> column index (0-based) in METRICS_HEADERS
    "ambition_id": 0,
    "metric": 1,
    "row": 3,
    "period": 4,
    "value": 5,
    "numerator": 6,
    "denominator": 7,
    "rationale": 10,
}


def _read_metrics(ws, part: PartTwo, errors: list[CellError]) -> list[MetricRow]:
    reader = SheetReader(ws, len(METRICS_HEADERS), errors)
    if not reader.check_headers(METRICS_HEADERS):
        return []
    ambition_ids = {a.pk for a in part.ambitions}
    round_metrics = {m.name: m for m in part.metrics}
    local_units = {a.local_name: a.local_unit for a in part.ambitions if a.metric is None}
    parsed = []
    seen: dict[tuple, int] = {}
    fields = MetricRowForm.fields_for()
    for r, cells in reader.rows():
        if _blank(cells):
            continue
        data, columns, number_ok = {}, {}, True
        for name, i in METRIC_COLUMNS.items():
            columns[name] = cells[i].coordinate
            if name in ("ambition_id", "value", "numerator", "denominator"):
                value = reader.number(cells[i])
                number_ok &= value is not None
                data[name] = value or ""
            else:
                data[name] = reader.text(cells[i])
        form = MetricRowForm(data, fields=fields)
        if not reader.validate(form, columns) or not number_ok:
            continue
        cd = form.cleaned_data
        if cd["ambition_id"] is not None and cd["ambition_id"] not in ambition_ids:
            reader.error(cells[0].coordinate, "This ambition ID is not one of this plan's. Clear it for a new metric")
            continue
        key = (cd["metric"], cd["row"], cd["period"] if cd["row"] == PLANNED else "")
        if key in seen:
            reader.error(cells[1].coordinate, f"This {cd['row'].lower()} row is also on row {seen[key]}")
            continue
        seen[key] = r
        # Each figure is checked in its metric's unit, as the metrics form checks it (rounds.units).
        unit = ""
        metric = round_metrics.get(cd["metric"])
        if metric is None:
            label = reader.text(cells[2])
            found = unit_by_label(label) if label else None
            if label and found is None:
                units = ", ".join(label for _, label in UNIT_CHOICES)
                reader.error(cells[2].coordinate, f"Enter the local metric's unit as one of: {units}")
                continue
            unit = found.code if found else local_units.get(cd["metric"], "")
        measure = metric.measure if metric is not None else measure_for(None, unit)
        if measure is not None:
            what = "the baseline" if cd["row"] == BASELINE else cd["period"]
            problems = measure.check(cd["value"], cd["numerator"], cd["denominator"], what=what)
            for problem in problems:
                reader.error(columns[problem.field], problem.message)
            if problems:
                continue
        parsed.append(
            MetricRow(
                row=r,
                ambition_id=cd["ambition_id"],
                metric=cd["metric"],
                kind=cd["row"],
                period=cd["period"],
                value=cd["value"],
                numerator=cd["numerator"],
                denominator=cd["denominator"],
                rationale=cd["rationale"] if cd["row"] == BASELINE else "",
                unit=unit,
            )
        )
    return parsed


def _risk_field(column) -> forms.Field | None:
    """The form field of one of the round's risk columns (rounds.columns); None for a computed one."""
    required = {"required": column.required_message}
    if column.kind in (columns.TEXT, columns.NARRATIVE, columns.URL):
        max_length = columns.MAX_LENGTHS.get(
            column.key, columns.TEXT_MAX_LENGTH if column.kind == columns.TEXT else None
        )
        validators = [lambda v: check_markdown(v, subject=column.heading)] if column.kind == columns.NARRATIVE else []
        return forms.CharField(
            required=column.required, max_length=max_length, validators=validators, error_messages=required
        )
    if column.kind == columns.SCORE:
        message = f"Enter a whole number from 1 to 5 for {column.heading.lower()}"
        return forms.IntegerField(
            required=column.required,
            min_value=1,
            max_value=5,
            error_messages={**required, "invalid": message, "min_value": message, "max_value": message},
        )
    if column.kind == columns.YES_NO:
        return choice_field(YES_NO, "yes or no", required=column.required)
    return None


def _read_risks(ws, part: PartTwo, errors: list[CellError]) -> list[RiskRow]:
    headers = risk_headers(part)
    reader = SheetReader(ws, len(headers), errors)
    if not reader.check_headers(headers):
        return []
    risk_columns = part.risk_columns
    risk_ids = {r.pk for r in part.risks}
    choices = {
        c.key: {e.label: e for e in part.codes.get(c.code_list, [])} for c in risk_columns if c.kind == columns.CHOICE
    }
    fields = {
        "risk_id": forms.IntegerField(required=False, error_messages={"invalid": "Leave the risk ID as exported"})
    }
    for column in risk_columns:
        if column.kind == columns.CHOICE:
            fields[column.key] = choice_field(list(choices[column.key]), column.heading.lower(), column.required)
        elif (field_ := _risk_field(column)) is not None:
            fields[column.key] = field_
    parsed, seen = [], set()
    for r, row_cells in reader.rows():
        typed = [row_cells[0]] + [
            c for c, column in zip(row_cells[1:], risk_columns, strict=True) if not column.is_computed
        ]
        if _blank(typed):
            continue
        data, where, number_ok = {}, {}, True
        for cell, name in zip(row_cells, ["risk_id", *(c.key for c in risk_columns)], strict=True):
            if name not in fields:
                continue
            where[name] = cell.coordinate
            if name == "risk_id" or isinstance(fields[name], forms.IntegerField):
                value = reader.number(cell)
                number_ok &= value is not None
                data[name] = value or ""
            else:
                data[name] = reader.text(cell)
        form = RowForm(data, fields=fields)
        if not reader.validate(form, where) or not number_ok:
            continue
        cd = form.cleaned_data
        risk_id = cd["risk_id"]
        if risk_id is not None and (risk_id not in risk_ids or risk_id in seen):
            reader.error(where["risk_id"], "This risk ID is not one of this plan's. Clear it for a new risk")
            continue
        seen.add(risk_id)
        own, values = {"description": "", "rating": None, "mitigating_actions": "", "owner": ""}, {}
        for column in risk_columns:
            if column.is_computed:
                continue
            value = cd.get(column.key)
            if column.kind == columns.CHOICE:
                value = choices[column.key].get(value) if value else None
            elif column.kind == columns.YES_NO:
                value = {"Yes": True, "No": False}.get(value)
            if column.is_field(columns.RISKS):
                own[column.key] = value if value is not None else own[column.key]
            elif value not in (None, ""):
                values[column.key] = value.code if column.kind == columns.CHOICE else value
        parsed.append(RiskRow(row=r, risk_id=risk_id, values=values, **own))
    return parsed


CAPACITY_COLUMNS = {"key": 0, "period": 4, "demand": 5, "capacity": 6}  # form field -> column index (0-based)


def _read_capacity(ws, part: PartTwo, errors: list[CellError]) -> dict:
    definition = part.capacity_demand.definition
    headers = capacity_headers(definition)
    reader = SheetReader(ws, len(headers), errors)
    figures = {(row.key, period): (None, None) for row in definition.rows for period in definition.periods}
    if not reader.check_headers(headers):
        return figures
    fields = CapacityRowForm.fields_for(part)
    seen: dict[tuple[str, str], int] = {}
    for r, cells in reader.rows():
        if _blank(cells[:7]):
            continue
        data, columns, number_ok = {}, {}, True
        for name, i in CAPACITY_COLUMNS.items():
            columns[name] = cells[i].coordinate
            if name in ("demand", "capacity"):
                value = reader.number(cells[i])
                number_ok &= value is not None
                data[name] = value or ""
            else:
                data[name] = reader.text(cells[i])
        form = CapacityRowForm(data, fields=fields)
        if not reader.validate(form, columns) or not number_ok:
            continue
        cd = form.cleaned_data
        key = (cd["key"], cd["period"])
        if key in seen:
            reader.error(cells[4].coordinate, f"This service type and period is also on row {seen[key]}")
            continue
        seen[key] = r
        figures[key] = (cd["demand"], cd["capacity"])
    return figures


def _check_identity(wb, plan: Plan, part: PartTwo) -> list[CellError]:
    if ID_SHEET not in wb.sheetnames:
        return [
            CellError(
                "",
                "",
                "This is not a Part 2 workbook exported from the portal (its identification sheet is missing). "
                "Export the workbook from the portal, fill it in and upload it again",
            )
        ]
    found = {str(key.value): value for _, (key, value) in itertools.islice(sheet_rows(wb[ID_SHEET], 2), 9)}
    errors = []
    checks = [
        ("ons_code", plan.hwb_area.ons_code, "This workbook is for area {found}, not {expected} ({name})"),
        ("round", plan.round.slug, "This workbook is for the {found} planning round, not {expected}"),
        (
            "format_version",
            WORKBOOK_FORMAT_VERSION,
            "This workbook was exported in an older format ({found}). Export a new one and copy your figures into it",
        ),
        ("years", "|".join(part.year_labels), "This workbook covers the years {found}, not {expected}"),
    ]
    for key, expected, message in checks:
        cell = found.get(key)
        value = str(cell.value) if cell is not None and cell.value is not None else "unknown"
        if value != expected:
            errors.append(
                CellError(
                    ID_SHEET,
                    cell.coordinate if cell is not None else "B1",
                    message.format(found=value, expected=expected, name=plan.hwb_area.name),
                )
            )
    return errors


def read_workbook(data: bytes, plan: Plan, part: PartTwo | None = None) -> ParsedWorkbook:
    """Parse and validate a Part 2 workbook for this plan; raise WorkbookRejected listing every problem."""
    check_file(data)
    part = part or part_two_for_plan(plan)
    try:
        # Read-only mode streams each sheet as it is read, and only the sheets the import reads.
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file; all mean the same to the user
        raise WorkbookRejected([CellError("", "", DAMAGED)]) from exc
    try:
        return _read_sheets(wb, plan, part)
    finally:
        wb.close()


def _read_sheets(wb, plan: Plan, part: PartTwo) -> ParsedWorkbook:
    errors = _check_identity(wb, plan, part)
    if errors:
        raise WorkbookRejected(errors)
    required = REQUIRED_SHEETS + ([CAPACITY_SHEET] if part.capacity_demand is not None else [])
    for name in required:
        if name not in wb.sheetnames:
            errors.append(CellError(name, "", "The sheet is missing or was renamed. Do not rename or remove sheets"))
    if errors:
        raise WorkbookRejected(errors)
    parsed = ParsedWorkbook(
        income=_read_income(wb["Income"], part, errors),
        expenditure=_read_expenditure(
            wb["Expenditure"], part, dict(Scheme.objects.filter(plan=plan).values_list("reference", "name")), errors
        ),
        metrics=_read_metrics(wb["Metrics"], part, errors),
        risks=_read_risks(wb["Risks"], part, errors) if "Risks" in wb.sheetnames else None,
        capacity=_read_capacity(wb[CAPACITY_SHEET], part, errors) if part.capacity_demand is not None else None,
    )
    if errors:
        raise WorkbookRejected(errors)
    return parsed


# --- What would change ------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    kind: str  # added, changed, removed
    sheet: str
    description: str


def _money(value: Decimal | None) -> str:
    return "blank" if value is None else rules.format_pounds(value)


def _number(value) -> str:
    return "blank" if value is None else f"{Decimal(value).normalize():f}"


def diff_workbook(part: PartTwo, parsed: ParsedWorkbook) -> list[Change]:
    """Every line the import would add, change or remove, in plain words."""
    changes: list[Change] = []
    years = part.year_labels

    current_income = {(r["stream"], r["organisation"]): r for r in income_rows(part)}
    new_income = {(r.stream.name, r.organisation.name): r for r in parsed.income}
    for key, row in new_income.items():
        old = current_income.get(key)
        label = f"{key[0]} from {key[1]}"
        if old is None:
            if any(v is not None for v in row.amounts.values()):
                amounts = ", ".join(f"{y} {_money(row.amounts[y])}" for y in years)
                changes.append(Change("added", "Income", f"{label}: {amounts}"))
            continue
        diffs = [
            f"{y} {_money(old['amounts'].get(y))} to {_money(row.amounts[y])}"
            for y in years
            if old["amounts"].get(y) != row.amounts[y]
        ]
        if row.note != old["note"]:
            diffs.append("note")
        if diffs:
            changes.append(Change("changed", "Income", f"{label}: {', '.join(diffs)}"))
    for key in current_income.keys() - new_income.keys():
        changes.append(Change("removed", "Income", f"{key[0]} from {key[1]}"))

    current_lines = {line.pk: line for line in part.expenditure_lines}
    for row in parsed.expenditure:
        label = f"Scheme {row.scheme_reference} {row.scheme_name} ({row.stream.name})"
        if row.line_id is None:
            amounts = ", ".join(f"{y} {_money(row.amounts[y])}" for y in years)
            changes.append(Change("added", "Expenditure", f"{label}: {amounts}"))
            continue
        line = current_lines[row.line_id]
        old_amounts = part.amounts[line.pk]
        diffs = [
            f"{y} {_money(old_amounts.get(y))} to {_money(row.amounts[y])}"
            for y in years
            if old_amounts.get(y) != row.amounts[y]
        ]
        old_outputs = part.outputs[line.pk]
        diffs += [
            f"planned output {y} {_number(old_outputs.get(y))} to {_number(row.outputs.get(y))}"
            for y in years
            if old_outputs.get(y) != row.outputs.get(y)
        ]
        for what, old, new in (
            ("scheme", line.scheme.reference, row.scheme_reference),
            ("scheme type", line.scheme_type.label, row.scheme_type.label),
            ("sub-type", line.sub_type, row.sub_type),
            ("area of spend", line.area_of_spend.label, row.area_of_spend.label),
            ("commissioner", line.commissioner.label, row.commissioner.label),
            ("provider", line.provider.label, row.provider.label),
            ("source of funding", line.funding_stream.name, row.stream.name),
            ("% NHS", line.percent_nhs, row.percent_nhs),
            ("% LA", line.percent_la, row.percent_la),
            ("new or existing", line.is_new, row.is_new),
        ):
            if old != new:
                diffs.append(what)
        if diffs:
            changes.append(Change("changed", "Expenditure", f"{label}: {', '.join(diffs)}"))
    kept = {row.line_id for row in parsed.expenditure}
    for pk, line in current_lines.items():
        if pk not in kept:
            changes.append(
                Change(
                    "removed",
                    "Expenditure",
                    f"Scheme {line.scheme.reference} {line.scheme.name} ({line.funding_stream.name})",
                )
            )

    current_metrics = {
        (r["metric"], r["row"], r["period"] if r["row"] == PLANNED else ""): r for r in metric_rows(part)
    }
    seen = set()
    for row in parsed.metrics:
        key = (row.metric, row.kind, row.period if row.kind == PLANNED else "")
        seen.add(key)
        old = current_metrics.get(key)
        values = (row.value, row.numerator, row.denominator)
        where = f"{row.metric}, {row.kind.lower()} {row.period}".strip()
        if old is None:
            if row.has_content:
                changes.append(Change("added", "Metrics", f"{where}: {_number(row.value)}"))
            continue
        diffs = [
            f"{what} {_number(old[what])} to {_number(new)}"
            for what, new in zip(("value", "numerator", "denominator"), values, strict=True)
            if old[what] != new
        ]
        if row.kind == BASELINE and row.period != (old["period"] or ""):
            diffs.append("baseline period")
        if row.kind == BASELINE and old["local"] and row.unit and row.unit != old["measure"].unit.code:
            diffs.append("unit")
        if row.rationale != (old["rationale"] or ""):
            diffs.append("rationale")
        if diffs:
            changes.append(Change("changed", "Metrics", f"{where}: {', '.join(diffs)}"))
    for key, old in current_metrics.items():
        has_values = any(old[k] is not None for k in ("value", "numerator", "denominator"))
        if key not in seen and has_values:
            changes.append(Change("removed", "Metrics", f"{key[0]}, {key[1].lower()} {key[2]}".strip()))
    if parsed.risks is not None:
        changes += _risk_changes(part, parsed.risks)
    if parsed.capacity is not None and part.capacity_demand is not None:
        changes += _capacity_changes(part, parsed.capacity)
    return changes


def _risk_changes(part: PartTwo, rows: list[RiskRow]) -> list[Change]:
    """Risks added, changed (naming the round's columns that differ) and removed."""
    changes = []
    current = {r.pk: r for r in part.risks}
    shown = [c for c in part.risk_columns if not c.is_computed]

    def texts(risk) -> dict[str, str]:
        return {c["key"]: c["text"] for c in columns.cells(shown, columns.RISKS, risk, part.code_labels)}

    for row in rows:
        label = row.description[:60]
        if row.risk_id is None:
            changes.append(Change("added", "Risks", label))
            continue
        old, new = texts(current[row.risk_id]), texts(row)
        diffs = [c.heading for c in shown if old[c.key] != new[c.key]]
        if diffs:
            changes.append(Change("changed", "Risks", f"{label}: {', '.join(diffs)}"))
    kept = {row.risk_id for row in rows}
    for pk, risk in current.items():
        if pk not in kept:
            changes.append(Change("removed", "Risks", risk.description[:60]))
    return changes


def _capacity_changes(part: PartTwo, figures: dict) -> list[Change]:
    definition = part.capacity_demand.definition
    changes = []
    for old in capacity_rows(part):
        new = figures[(old["key"], old["period"])]
        before = (old["demand"], old["capacity"])
        if new == before:
            continue
        where = f"{old['service_type']} ({old['block']}), {old['period']}"
        kind = "added" if before == (None, None) else "removed" if new == (None, None) else "changed"
        diffs = [
            f"{label.lower()} {_number(a)} to {_number(b)}"
            for label, a, b in zip((definition.demand_label, definition.capacity_label), before, new, strict=True)
            if a != b
        ]
        changes.append(Change(kind, CAPACITY_SHEET, f"{where}: {', '.join(diffs)}"))
    return changes


def figures_of_import(part: PartTwo, parsed: ParsedWorkbook) -> rules.PartTwoFigures:
    """The figures as they would be after the import, so the preview can show each rule's result."""
    figures = rules.PartTwoFigures(
        years=part.figures.years,
        stream_names=part.figures.stream_names,
        allocations=part.figures.allocations,
        ring_fences=part.figures.ring_fences,
        # Live, as on the finance summary: other areas' submitted shares of an ICB allocation count.
        icb_shares=live_figures(part).icb_shares,
    )
    for row in parsed.income:
        for year, amount in row.amounts.items():
            if amount is not None:
                figures.income.append(rules.IncomeFigure(row.stream.key, row.organisation.name, year, amount))
    for row in parsed.expenditure:
        figures.expenditure.append(
            rules.ExpenditureFigure(
                label=f"Scheme {row.scheme_reference} {row.scheme_name}",
                stream_key=row.stream.key,
                area_of_spend=row.area_of_spend.code,
                commissioner=row.commissioner.code,
                amounts={y: a for y, a in row.amounts.items() if a is not None},
                percent_nhs=row.percent_nhs,
                percent_la=row.percent_la,
                output_unit=row.scheme_type.output_unit.label if row.scheme_type.output_unit else "",
                outputs={y: o for y, o in row.outputs.items() if o is not None},
            )
        )
    return figures
