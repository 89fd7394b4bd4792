"""The columns of the risk register and of the documents table, defined by each round.

A round file lists them (`risk_columns`, `document_columns`); PlanningRound keeps them as JSON. A
column whose key names one of the row's own fields (description, rating, mitigating_actions, owner;
ref, title, synopsis, url, file) is stored in that field; any other column in the row's `values`
(docs/adr/0011-round-defined-table-columns.md). A product column (likelihood x impact) is computed
from other columns when shown and never stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError

TEXT = "text"
NARRATIVE = "narrative"
CHOICE = "choice"
SCORE = "score"
PRODUCT = "product"
YES_NO = "yes_no"
URL = "url"
FILE = "file"
KINDS = (TEXT, NARRATIVE, CHOICE, SCORE, PRODUCT, YES_NO, URL, FILE)
SCORE_RANGE = range(1, 6)

RISKS = "risks"
DOCUMENTS = "documents"

# The row's own fields, and the kinds of column each may be. Every round has the first one: it names the row.
FIELD_KINDS = {
    RISKS: {"description": (NARRATIVE,), "rating": (CHOICE,), "mitigating_actions": (NARRATIVE,), "owner": (TEXT,)},
    DOCUMENTS: {"ref": (TEXT,), "title": (TEXT,), "synopsis": (NARRATIVE,), "url": (URL,), "file": (FILE,)},
}
NAMING_FIELD = {RISKS: "description", DOCUMENTS: "title"}
# Keys a round-defined column may not take: the rows' other attributes.
RESERVED_KEYS = {"id", "pk", "plan", "plan_id", "order", "version", "values", "original_filename", "rating_id"}
# Only a document may have a file column; a file is uploaded, never typed.
ALLOWED_KINDS = {RISKS: set(KINDS) - {FILE}, DOCUMENTS: set(KINDS) - {CHOICE}}
# The field's length limits, for typed text kept in a field.
MAX_LENGTHS = {"owner": 200, "ref": 20, "title": 250, "url": 500}
TEXT_MAX_LENGTH = 250


@dataclass(frozen=True)
class TableColumn:
    key: str
    heading: str  # the table's column title
    kind: str
    label: str = ""  # the form's question; the heading when blank
    hint: str = ""
    code_list: str = ""  # a choice column's code list
    of: tuple[str, ...] = field(default=())  # a product column's factors
    required: bool = False
    error: str = ""  # the message when a required column is left empty

    @property
    def question(self) -> str:
        return self.label or self.heading

    @property
    def required_message(self) -> str:
        if self.error:
            return self.error
        verb = "Select" if self.kind in (CHOICE, SCORE, YES_NO) else "Enter"
        return f"{verb} {self.heading[:1].lower()}{self.heading[1:]}"

    @property
    def is_computed(self) -> bool:
        return self.kind == PRODUCT

    def is_field(self, table: str) -> bool:
        return self.key in FIELD_KINDS[table]

    def as_json(self) -> dict:
        data = asdict(self)
        data["of"] = list(self.of)
        return data

    @classmethod
    def from_json(cls, data: dict) -> TableColumn:
        return cls(**{**data, "of": tuple(data.get("of") or ())})


def _columns(*items) -> list[dict]:
    return [TableColumn(*item[:3], **(item[3] if len(item) > 3 else {})).as_json() for item in items]


def default_risk_columns() -> list[dict]:
    """A round that lists no risk columns gets the row's own fields, with plain headings."""
    return _columns(
        (
            "description",
            "Risk",
            NARRATIVE,
            {"label": "Describe the risk", "required": True, "error": "Describe the risk"},
        ),
        (
            "rating",
            "Risk rating",
            CHOICE,
            {"code_list": "risk_rating", "required": True, "error": "Select a risk rating"},
        ),
        ("mitigating_actions", "Mitigating actions", NARRATIVE),
        ("owner", "Risk owner", TEXT),
    )


def default_document_columns() -> list[dict]:
    return _columns(
        ("ref", "Ref", TEXT, {"label": "Reference (optional)", "hint": "For example, D1"}),
        ("title", "Title", TEXT, {"required": True, "error": "Enter the document title"}),
        ("synopsis", "Synopsis", NARRATIVE),
        ("url", "Link", URL, {"label": "Link (optional)", "hint": "A web address starting with https://"}),
        ("file", "File", FILE, {"label": "Upload a file (optional)"}),
    )


def columns_of(data: list[dict]) -> tuple[TableColumn, ...]:
    return tuple(TableColumn.from_json(item) for item in data)


def check_columns(table: str, columns: list[TableColumn], code_lists: set[str]) -> list[tuple[int, str, str]]:
    """Mistakes in a table's column definitions, as (index, key of the definition, message)."""
    problems = []
    keys = [c.key for c in columns]
    by_key = {c.key: c for c in columns}
    fields = FIELD_KINDS[table]
    for i, column in enumerate(columns):
        if column.kind not in ALLOWED_KINDS[table]:
            allowed = ", ".join(k for k in KINDS if k in ALLOWED_KINDS[table])
            problems.append((i, "kind", f"'{column.kind}' is not a kind of {table} column (one of: {allowed})"))
            continue
        if column.key in RESERVED_KEYS:
            problems.append((i, "key", f"'{column.key}' is reserved; choose another key"))
        if column.key in fields and column.kind not in fields[column.key]:
            problems.append(
                (
                    i,
                    "kind",
                    f"'{column.key}' is kept in the row's own field and must be {' or '.join(fields[column.key])}",
                )
            )
        if keys.count(column.key) > 1:
            problems.append((i, "key", f"'{column.key}' appears more than once"))
        if column.kind == CHOICE:
            if not column.code_list:
                problems.append((i, "code_list", "a choice column needs a code_list"))
            elif column.code_list not in code_lists:
                problems.append((i, "code_list", f"no code list '{column.code_list}' in this round's code_lists"))
            elif column.key == "rating" and column.code_list != "risk_rating":
                problems.append((i, "code_list", "the rating column takes its values from risk_rating"))
        elif column.code_list:
            problems.append((i, "code_list", "only a choice column has a code_list"))
        if column.kind == PRODUCT:
            if len(column.of) < 2:
                problems.append(
                    (i, "of", "a product column multiplies two or more score columns, e.g. [likelihood, impact]")
                )
            for factor in column.of:
                if factor not in by_key:
                    problems.append((i, "of", f"refers to '{factor}', which is not a column of this table"))
                elif by_key[factor].kind != SCORE:
                    problems.append((i, "of", f"refers to '{factor}', which is not a score column"))
            if column.required:
                problems.append((i, "required", "a product column is computed, so it cannot be required"))
        elif column.of:
            problems.append((i, "of", "only a product column has factors (of)"))
    naming = NAMING_FIELD[table]
    if naming not in by_key:
        problems.append((len(columns), "key", f"the {table} columns must include '{naming}', which names each row"))
    elif not by_key[naming].required:
        problems.append((keys.index(naming), "required", f"'{naming}' names each row, so it must be required"))
    return problems


def product(column: TableColumn, values: dict):
    """A product column's value: its factors multiplied, or None while any is missing."""
    result = 1
    for factor in column.of:
        value = values.get(factor)
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        result *= value
    return result


def clean_values(columns: tuple[TableColumn, ...], table: str, values: dict, codes: dict[str, set[str]]) -> dict:
    """The round-defined values (those kept in the row's `values`) checked and normalised.

    `codes` maps each code list to its codes. Raises ValidationError, with the column key as its
    code, for a value its column does not allow. Product columns are never stored.
    """
    cleaned = {}
    for column in columns:
        if column.is_field(table) or column.is_computed:
            continue
        value = values.get(column.key)
        if value in (None, ""):
            if column.required:
                raise ValidationError(column.required_message, code=column.key)
            continue
        if column.kind in (TEXT, NARRATIVE, URL):
            value = str(value).strip()
            if column.kind == TEXT and len(value) > TEXT_MAX_LENGTH:
                raise ValidationError(
                    f"{column.heading} must be {TEXT_MAX_LENGTH} characters or fewer", code=column.key
                )
            if column.kind == URL and not value.lower().startswith(("https://", "http://")):
                raise ValidationError(f"{column.heading}: enter a web address starting with https://", code=column.key)
        elif column.kind == SCORE:
            try:
                value = int(str(value).strip())
            except ValueError:
                value = None
            if value not in SCORE_RANGE:
                raise ValidationError(f"{column.heading} must be a whole number from 1 to 5", code=column.key)
        elif column.kind == YES_NO:
            if isinstance(value, str):
                value = {"yes": True, "no": False}.get(value.strip().lower(), value)
            if not isinstance(value, bool):
                raise ValidationError(f"{column.heading} must be yes or no", code=column.key)
        elif column.kind == CHOICE:
            value = str(value)
            if value not in codes.get(column.code_list, set()):
                raise ValidationError(
                    f"Select one of this round's options for {column.heading.lower()}", code=column.key
                )
        cleaned[column.key] = value
    return cleaned


def display(column: TableColumn, value, code_labels: dict[tuple[str, str], str]) -> str:
    """A stored value as the tables, the PDF and the workbook show it ('' for nothing)."""
    if value is None or value == "":
        return ""
    if column.kind == YES_NO:
        return "Yes" if value else "No"
    if column.kind == CHOICE and not hasattr(value, "label"):
        return code_labels.get((column.code_list, str(value)), str(value))
    return str(getattr(value, "label", value))


def cells(columns, table: str, row, code_labels: dict[tuple[str, str], str]) -> list[dict]:
    """One row's value in each column, in order: `value` as stored (computed for a product column) and
    `text` as shown. `row` has the table's fields as attributes (a choice field as its code list
    entry) and the round-defined values in `values`."""
    values = getattr(row, "values", None) or {}
    result = []
    for column in columns:
        if column.is_computed:
            value = product(column, values)
        elif column.is_field(table):
            value = getattr(row, column.key, "")
        else:
            value = values.get(column.key)
        result.append(
            {
                "key": column.key,
                "heading": column.heading,
                "kind": column.kind,
                "value": value,
                "text": display(column, value, code_labels),
            }
        )
    return result
