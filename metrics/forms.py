"""The ambition form: baseline, planned values per period and rationale, for a round metric or a local one."""

from django import forms

from rounds.examples import HintExamples
from rounds.models import Metric
from rounds.units import UNIT_CHOICES, Measure, measure_for

NUMBER_MESSAGES = {
    "min_value": "Enter a number of 0 or more",
    "invalid": "Enter a number, like 672.3",
    "max_decimal_places": "Enter a number with no more than %(max)s decimal places",
    "max_digits": "Enter a smaller number",
    "max_whole_digits": "Enter a smaller number",
}


def number(label: str, places: int = 4) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=places,
        error_messages=NUMBER_MESSAGES,
    )


FIGURES = ("value", "numerator", "denominator")


def value_hint(measure: Measure | None) -> str:
    if measure is None:  # a local metric, whose unit is chosen on the same form
        return "In the unit chosen above. Leave blank to work it out from the numerator and denominator"
    if not measure.unit.has_denominator:
        return f"{measure.label}, in whole numbers" if measure.decimal_places == 0 else measure.label
    return f"{measure.label}. Leave blank to work it out from the numerator and denominator"


class AmbitionForm(forms.Form):
    """Figures are checked in the metric's unit (rounds.units). A value left blank is saved blank
    and worked out from its numerator and denominator wherever it is shown."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    baseline_period = forms.CharField(
        label="Baseline period",
        required=False,
        max_length=60,
        error_messages={"max_length": "Enter 60 characters or fewer"},
    )
    rationale = forms.CharField(
        label="Rationale for the ambition", required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )

    def __init__(self, *args, metric: Metric | None, periods: list[str], examples: HintExamples, **kwargs):
        super().__init__(*args, **kwargs)
        self.metric = metric
        self.fields["baseline_period"].help_text = f"For example {examples.baseline_period}"
        self.periods = periods
        measure = metric.measure if metric is not None else None
        if metric is None:
            self.fields["local_name"] = forms.CharField(
                label="Metric name", max_length=250, error_messages={"required": "Enter the metric's name"}
            )
            self.fields["local_definition"] = forms.CharField(
                label="Definition", required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            self.fields["local_unit"] = forms.ChoiceField(
                label="Unit", choices=UNIT_CHOICES, error_messages={"required": "Choose a unit"}
            )
            self.fields["new_period"] = forms.CharField(
                label="Add a planned period (optional)",
                required=False,
                max_length=60,
                help_text=f"For example {examples.period}",
            )
        # A count is its own numerator: it asks for the value alone.
        self.figures = FIGURES if measure is None or measure.unit.has_denominator else ("value",)
        numerator = measure.numerator_label if measure else "Numerator"
        denominator = measure.denominator_label if measure else "Denominator"
        for prefix, what in [("baseline", "Baseline"), *((f"planned_{i}", p) for i, p in enumerate(periods))]:
            value_label = "Baseline value" if prefix == "baseline" else f"Planned value for {what}"
            self.fields[f"{prefix}_value"] = number(value_label)
            self.fields[f"{prefix}_value"].help_text = value_hint(measure)
            if "numerator" in self.figures:
                self.fields[f"{prefix}_numerator"] = number(
                    f"{numerator}{'' if prefix == 'baseline' else ' for ' + what}", 2
                )
                self.fields[f"{prefix}_denominator"] = number(
                    f"{denominator}{'' if prefix == 'baseline' else ' for ' + what}", 2
                )

    def clean(self):
        data = super().clean()
        measure = self.metric.measure if self.metric is not None else measure_for(None, data.get("local_unit") or "")
        if measure is None:
            return data
        for prefix, what in [("baseline", "the baseline"), *((f"planned_{i}", p) for i, p in enumerate(self.periods))]:
            names = {k: f"{prefix}_{k}" for k in FIGURES}
            if any(name in self.errors for name in names.values()):
                continue
            for error in measure.check(*(data.get(names[k]) for k in FIGURES), what=what):
                self.add_error(names[error.field] if names[error.field] in self.fields else None, error.message)
        return data

    def baseline_fields(self):
        return [self[f"baseline_{k}"] for k in self.figures]

    def planned_rows(self):
        return [
            {
                "period": period,
                "fields": [self[f"planned_{i}_{k}"] for k in self.figures],
            }
            for i, period in enumerate(self.periods)
        ]

    def planned_values(self) -> list[dict]:
        values = [
            {
                "period": period,
                **{k: self.cleaned_data.get(f"planned_{i}_{k}") for k in ("value", "numerator", "denominator")},
            }
            for i, period in enumerate(self.periods)
        ]
        extra = self.cleaned_data.get("new_period")
        if extra and extra not in self.periods:
            values.append({"period": extra, "value": None, "numerator": None, "denominator": None})
        return values

    @staticmethod
    def initial_for(ambition, periods: list[str]) -> dict:
        if ambition is None:
            return {}
        initial = {
            "version": ambition.version,
            "baseline_period": ambition.baseline_period,
            "baseline_value": ambition.baseline_value,
            "baseline_numerator": ambition.baseline_numerator,
            "baseline_denominator": ambition.baseline_denominator,
            "rationale": ambition.rationale,
            "local_name": ambition.local_name,
            "local_definition": ambition.local_definition,
            "local_unit": ambition.local_unit,
        }
        planned = {p.period: p for p in ambition.planned_values.all()}
        for i, period in enumerate(periods):
            if period in planned:
                for k in ("value", "numerator", "denominator"):
                    initial[f"planned_{i}_{k}"] = getattr(planned[period], k)
        return initial
