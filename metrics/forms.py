"""The ambition form: baseline, planned values per period and rationale, for a round metric or a local one."""

from django import forms

from rounds.examples import HintExamples
from rounds.models import Metric

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


class AmbitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    baseline_period = forms.CharField(
        label="Baseline period",
        required=False,
        max_length=60,
        error_messages={"max_length": "Enter 60 characters or fewer"},
    )
    baseline_value = number("Baseline value")
    baseline_numerator = number("Baseline numerator (the count)", 2)
    baseline_denominator = number("Baseline denominator (the population)", 2)
    rationale = forms.CharField(
        label="Rationale for the ambition", required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )

    def __init__(self, *args, metric: Metric | None, periods: list[str], examples: HintExamples, **kwargs):
        super().__init__(*args, **kwargs)
        self.metric = metric
        self.fields["baseline_period"].help_text = f"For example {examples.baseline_period}"
        self.periods = periods
        if metric is None:
            self.fields["local_name"] = forms.CharField(
                label="Metric name", max_length=250, error_messages={"required": "Enter the metric's name"}
            )
            self.fields["local_definition"] = forms.CharField(
                label="Definition", required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            self.fields["local_unit"] = forms.ChoiceField(
                label="Unit", choices=Metric.Unit.choices, error_messages={"required": "Choose a unit"}
            )
            self.fields["new_period"] = forms.CharField(
                label="Add a planned period (optional)",
                required=False,
                max_length=60,
                help_text=f"For example {examples.period}",
            )
        for i, period in enumerate(periods):
            self.fields[f"planned_{i}_value"] = number(f"Planned value for {period}")
            self.fields[f"planned_{i}_numerator"] = number(f"Numerator for {period}", 2)
            self.fields[f"planned_{i}_denominator"] = number(f"Denominator (population) for {period}", 2)

    def planned_rows(self):
        return [
            {
                "period": period,
                "fields": [self[f"planned_{i}_{k}"] for k in ("value", "numerator", "denominator")],
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
