"""The form of one part of a return: every row of the part as named fields, and the changes it asks for.

Field names are the ids `selectors.part_problems` uses (`line-12-actual`, `condition-3-met`,
`question-s75-in-place-date`), so a problem links straight to its field in the error summary.
Only impossible values (not a number, negative, above the round's maximum) stop a save; what is
missing is the completion rules' business, not the form's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.html import format_html

from plans.forms import GovukDateField
from rounds.models import ReturnPart, ReturnQuestion, ReturnTemplate
from rounds.money import MoneyField
from rounds.xlsx_bounds import MAX_CELL_TEXT

from . import services
from .models import Return, ReturnAnswer, ReturnCondition, ReturnLine, ReturnMetric

P = ReturnPart.ReportsOn
Q = ReturnQuestion.Kind
YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _bool(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _radios(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=YES_NO, required=False, widget=forms.RadioSelect)


def _text(label: str, rows: int = 4, help_text: str = "") -> forms.CharField:
    # No longer than one workbook cell holds: the return's workbook must export and import back whole.
    field = forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        max_length=MAX_CELL_TEXT,
        error_messages={"max_length": f"Enter {MAX_CELL_TEXT:,} characters or fewer (the most a workbook cell holds)"},
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": rows}),
    )
    field.gds_kind = "plain_textarea"
    return field


def _version() -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


@dataclass
class Row:
    """One row of the part as the page shows it: the stored row and the names of its fields."""

    obj: object
    prefix: str
    fields: dict[str, str]  # attribute -> field name


class ReturnPartForm(forms.Form):
    """Every editable value of one part of a return, with the version of each row the user loaded."""

    completed = forms.ChoiceField(
        label="Have you completed this part?", choices=YES_NO, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, ret: Return, part: ReturnPart, template: ReturnTemplate, content: dict, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.ret, self.part, self.template = ret, part, template
        self.rows: list[Row] = []
        self._answers: dict[int, ReturnAnswer] = content.get("answers", {})
        if part.reports_on == P.FINANCE:
            self._finance(content["lines"])
        elif part.reports_on == P.CONDITIONS:
            self._conditions(content["conditions"])
        elif part.reports_on == P.METRICS:
            self._metrics(content["metrics"])
        else:
            self._questions(content["questions"], content["answers"])

    # --- Building the fields ------------------------------------------------------------------

    def _add(self, name: str, field: forms.Field, initial) -> str:
        self.fields[name] = field
        self.initial[name] = initial
        return name

    def _finance(self, lines: list[ReturnLine]) -> None:
        for line in lines:
            p = f"line-{line.pk}"
            # Each row's fields sit beside its line's name: the line is in their labels for screen readers
            # only, so that a long line name is not printed three more times in the row.
            actual = MoneyField(label=_for_line("Actual to period end", line), required=False)
            forecast = MoneyField(label=_for_line("Forecast for the year", line), required=False)
            actual.help_text = forecast.help_text = ""
            fields = {
                "actual": self._add(f"{p}-actual", actual, _money(line.actual)),
                "forecast": self._add(f"{p}-forecast", forecast, _money(line.forecast)),
                "explanation": self._add(
                    f"{p}-explanation", _text(_for_line("Explanation of the variance", line), 2), line.explanation
                ),
                "version": self._add(f"{p}-version", _version(), line.version),
            }
            self.rows.append(Row(line, p, fields))

    def _conditions(self, conditions: list[ReturnCondition]) -> None:
        for c in conditions:
            p = f"condition-{c.number}"
            fields = {
                "met": self._add(f"{p}-met", _radios(f"Is national condition {c.number} still met?"), _yes_no(c.met)),
                "expected_date": self._add(
                    f"{p}-expected_date",
                    GovukDateField(
                        label="When do you expect it to be met?",
                        required=False,
                        help_text="For example, 27 3 2016",
                    ),
                    c.expected_date,
                ),
                "explanation": self._add(f"{p}-explanation", _text("Why is it not met?"), c.explanation),
                "version": self._add(f"{p}-version", _version(), c.version),
            }
            self.rows.append(Row(c, p, fields))

    def _metrics(self, metrics: list[ReturnMetric]) -> None:
        for m in metrics:
            p = f"metric-{m.pk}"
            actual = FigureField(
                label=f"Actual for {m.name}",
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=4,
                help_text=f"In {m.unit}" if m.unit else "",
                error_messages={
                    "invalid": f"Enter the actual for {m.name} as a number, for example 123.5",
                    "min_value": f"Enter an actual for {m.name} of 0 or more",
                    "max_digits": f"Enter an actual for {m.name} with no more than 10 digits before the point",
                    "max_decimal_places": f"Enter an actual for {m.name} with no more than 4 decimal places",
                    "max_whole_digits": f"Enter an actual for {m.name} with no more than 10 digits before the point",
                },
            )
            actual.widget.attrs["class"] = "govuk-input govuk-input--width-10"
            fields = {
                "actual": self._add(f"{p}-actual", actual, _figure(m.actual)),
                "on_track": self._add(f"{p}-on_track", _radios(f"Is {m.name} on track?"), _yes_no(m.on_track)),
                "reason": self._add(f"{p}-reason", _text(f"Why is {m.name} not on track?"), m.reason),
                "version": self._add(f"{p}-version", _version(), m.version),
            }
            self.rows.append(Row(m, p, fields))

    def _questions(self, questions: list[ReturnQuestion], answers: dict[int, ReturnAnswer]) -> None:
        for q in questions:
            a = answers.get(q.pk)
            p = f"question-{q.key}"
            fields = {"version": self._add(f"{p}-version", _version(), a.version if a else None)}
            if q.kind == Q.NARRATIVE:
                fields["text"] = self._add(p, _text(q.prompt, 8, q.hint), a.text if a else "")
            elif q.kind == Q.CONFIRM:
                field = forms.BooleanField(label=q.prompt, required=False, help_text=q.hint)
                field.gds_kind = "checkbox"
                fields["yes"] = self._add(p, field, bool(a and a.yes))
            else:
                radios = _radios(q.prompt)
                radios.help_text = q.hint
                fields["yes"] = self._add(p, radios, _yes_no(a.yes) if a else None)
                fields["date"] = self._add(
                    f"{p}-date",
                    GovukDateField(
                        label="When do you expect it to be in place?",
                        required=False,
                        help_text="For example, 27 3 2016",
                    ),
                    a.date if a else None,
                )
                fields["text"] = self._add(f"{p}-text", _text("Why is it not in place yet?"), a.text if a else "")
            self.rows.append(Row(q, p, fields))

    # --- Validation ---------------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        limit = self.template.amount_max
        if self.part.reports_on == P.FINANCE:
            for row in self.rows:
                for attr in ("actual", "forecast"):
                    name = row.fields[attr]
                    value = data.get(name)
                    if value is not None and value > limit:
                        self.add_error(name, f"Enter an amount of £{limit:,.0f} or less")
        return data

    def bound_rows(self) -> list[dict]:
        """The rows for the template: the stored row and its bound fields by attribute."""
        return [
            {"obj": row.obj, "prefix": row.prefix, **{attr: self[name] for attr, name in row.fields.items()}}
            for row in self.rows
        ]

    # --- What to save -------------------------------------------------------------------------

    def changes(self) -> list:
        """The service changes for rows whose posted values differ from those stored."""
        d = self.cleaned_data
        out: list = []
        for row in self.rows:
            f = row.fields
            version = d.get(f["version"])
            obj = row.obj
            if self.part.reports_on == P.FINANCE:
                new = (d.get(f["actual"]), d.get(f["forecast"]), (d.get(f["explanation"]) or "").strip())
                if new != (obj.actual, obj.forecast, obj.explanation):
                    out.append(services.LineChange(obj.pk, version or 0, *new))
            elif self.part.reports_on == P.CONDITIONS:
                met = _bool(d.get(f["met"]))
                # As the service stores it: a condition that is met keeps no date or explanation.
                new = (met, d.get(f["expected_date"]), (d.get(f["explanation"]) or "").strip())
                if met:
                    new = (True, None, "")
                if new != (obj.met, obj.expected_date, obj.explanation):
                    out.append(services.ConditionChange(obj.pk, version or 0, *new))
            elif self.part.reports_on == P.METRICS:
                new = (d.get(f["actual"]), _bool(d.get(f["on_track"])), (d.get(f["reason"]) or "").strip())
                if new != (obj.actual, obj.on_track, obj.reason):
                    out.append(services.MetricChange(obj.pk, version or 0, *new))
            else:
                change = self._answer_change(obj, f, d)
                if change is not None:
                    out.append(change)
        return out

    def _answer_change(self, q: ReturnQuestion, f: dict, d: dict) -> services.AnswerChange | None:
        stored = self._answers.get(q.pk)
        if q.kind == Q.NARRATIVE:
            new = (None, None, (d.get(f["text"]) or "").strip())
        elif q.kind == Q.CONFIRM:
            new = (True if d.get(f["yes"]) else None, None, "")
        else:
            yes = _bool(d.get(f["yes"]))
            keep = yes is False
            new = (yes, d.get(f["date"]) if keep else None, (d.get(f["text"]) or "").strip() if keep else "")
        old = (stored.yes, stored.date, stored.text) if stored else (None, None, "")
        if new == old:
            return None
        version = d.get(f["version"])
        return services.AnswerChange(question=q, version=version, yes=new[0], date=new[1], text=new[2])


def _for_line(label: str, line: ReturnLine) -> str:
    return format_html('{}<span class="govuk-visually-hidden"> for {}</span>', label, line.label)


class FigureField(forms.DecimalField):
    """A metric's figure, typed with or without thousands separators ("5,020")."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "")
        return super().to_python(value)


def _figure(value: Decimal | None) -> str | None:
    """A stored figure as a person would type it: 5020, not 5020.0000."""
    return None if value is None else f"{value.normalize():f}"


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def part_content(ret: Return, part: ReturnPart) -> dict:
    """The stored rows a part's form edits (one query per kind of row)."""
    if part.reports_on == P.FINANCE:
        return {"lines": list(ret.lines.order_by("kind", "order"))}
    if part.reports_on == P.CONDITIONS:
        return {"conditions": list(ret.conditions.order_by("number"))}
    if part.reports_on == P.METRICS:
        return {"metrics": list(ret.metrics.order_by("order"))}
    questions = list(part.questions.order_by("order"))
    answers = {a.question_id: a for a in ret.answers.filter(question__part=part)}
    return {"questions": questions, "answers": answers}


def build_part_form(data, *, ret: Return, part: ReturnPart, template: ReturnTemplate) -> ReturnPartForm:
    content = part_content(ret, part)
    return ReturnPartForm(data, ret=ret, part=part, template=template, content=content)
