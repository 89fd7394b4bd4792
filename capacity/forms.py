"""The form of one block of the capacity and demand table: demand and capacity per service type and period."""

from django import forms

from rounds.models import CapacityBlock, CapacityDemand

from .models import MAX_FIGURE

MEASURES = ("demand", "capacity")


def field_name(measure: str, row_key: str, index: int) -> str:
    return f"{measure}__{row_key}__{index}"


class CapacityBlockForm(forms.Form):
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, definition: CapacityDemand, block: CapacityBlock, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition, self.block = definition, block
        labels = {"demand": definition.demand_label, "capacity": definition.capacity_label}
        for row in block.rows:
            for i, period in enumerate(definition.periods):
                for measure in MEASURES:
                    what = f"{labels[measure]} for {row.label}, {period}"
                    message = f"Enter {what} as a whole number from 0 to {MAX_FIGURE:,}"
                    self.fields[field_name(measure, row.key, i)] = forms.IntegerField(
                        label=what,
                        required=False,
                        min_value=0,
                        max_value=MAX_FIGURE,
                        error_messages={"invalid": message, "min_value": message, "max_value": message},
                        widget=forms.TextInput(
                            attrs={"class": "govuk-input govuk-input--width-4", "inputmode": "numeric"}
                        ),
                    )

    def grid(self) -> list[dict]:
        """The block's rows, each with its bound fields per period, for the template's table."""
        return [
            {
                "row": row,
                "measures": [
                    {
                        "measure": measure,
                        "fields": [self[field_name(measure, row.key, i)] for i in range(len(self.definition.periods))],
                    }
                    for measure in MEASURES
                ],
            }
            for row in self.block.rows
        ]

    def figures(self) -> dict[tuple[str, str], tuple[int | None, int | None]]:
        data = self.cleaned_data
        return {
            (row.key, period): tuple(data.get(field_name(m, row.key, i)) for m in MEASURES)
            for row in self.block.rows
            for i, period in enumerate(self.definition.periods)
        }

    @staticmethod
    def initial_for(definition: CapacityDemand, block: CapacityBlock, figures, fingerprint: str) -> dict:
        initial = {"fingerprint": fingerprint}
        for row in block.rows:
            for i, period in enumerate(definition.periods):
                demand, capacity = figures.get((row.key, period), (None, None))
                initial[field_name("demand", row.key, i)] = demand
                initial[field_name("capacity", row.key, i)] = capacity
        return initial
