"""Forms of the national administration pages: a round's deadlines and a reference data upload."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.conf import settings
from django.utils import timezone

from plans.forms import GovukDateField
from rounds.examples import hint_examples
from rounds.models import PlanningRound
from rounds.reference_import import COLUMNS, KIND_LABELS

TIME = re.compile(r"(\d{1,2})[:.](\d{2})")


def _time_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=5,
        help_text="24-hour clock, for example 12:00. Leave empty for 12:00 (midday).",
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-5"}),
    )


class DeadlinesForm(forms.Form):
    draft_date = GovukDateField(label="Draft deadline (optional)", required=False)
    draft_time = _time_field("Time of the draft deadline")
    final_date = GovukDateField(label="Final deadline")
    final_time = _time_field("Time of the final deadline")

    def __init__(self, *args, planning_round: PlanningRound, **kwargs):
        initial = {}
        for name in ("draft", "final"):
            value = getattr(planning_round, f"{name}_deadline")
            if value is not None:
                local = timezone.localtime(value)
                initial[f"{name}_date"], initial[f"{name}_time"] = local.date(), f"{local:%H:%M}"
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["final_date"].error_messages["required"] = "Enter the final deadline"
        # The round's own deadline as the example, as people type a date: 30 6 2030.
        example = f"For example {hint_examples(planning_round).deadline}"
        self.fields["draft_date"].help_text = self.fields["final_date"].help_text = example

    def _deadline(self, name: str) -> datetime.datetime | None:
        date = self.cleaned_data.get(f"{name}_date")
        text = (self.cleaned_data.get(f"{name}_time") or "").strip() or "12:00"
        found = TIME.fullmatch(text)
        if not found or int(found[1]) > 23 or int(found[2]) > 59:
            self.add_error(f"{name}_time", "Enter a time on the 24-hour clock, for example 12:00 or 17:30")
            return None
        if date is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(date, datetime.time(int(found[1]), int(found[2]))))

    def clean(self):
        data = super().clean()
        data["draft_deadline"] = self._deadline("draft")
        data["final_deadline"] = self._deadline("final")
        return data


class ReferenceUploadForm(forms.Form):
    what = forms.ChoiceField(
        label="What the file holds",
        choices=[(k, f"{KIND_LABELS[k]}: {', '.join(COLUMNS[k])}") for k in COLUMNS],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the file holds"},
    )
    round = forms.ModelChoiceField(
        label="Planning round (allocations only)",
        queryset=PlanningRound.objects.order_by("-final_deadline"),
        required=False,
        to_field_name="slug",
        empty_label="Choose a round",
        help_text="The round whose published allocations the file holds.",
    )
    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV file (.csv) or an Excel workbook (.xlsx). The first row holds the column headings.",
        error_messages={"required": "Choose a CSV or Excel file"},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                f"The file is {upload.size / 1048576:.1f} MB. It must be smaller than "
                f"{settings.MAX_UPLOAD_SIZE // 1048576} MB"
            )
        return upload

    def clean(self):
        data = super().clean()
        if data.get("what") == "allocations" and not data.get("round"):
            self.add_error("round", "Choose the planning round the allocations are for")
        return data
