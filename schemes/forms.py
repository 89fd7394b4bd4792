"""The scheme form: reference, name, type and sub-type from the round's code lists, and who commissions it."""

from django import forms

from plans.forms import YES_NO, MarkdownField, VersionedForm, _kind
from rounds.models import CodeListEntry

from .models import Scheme


class SubTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.label}: {obj.label}" if obj.parent_id else obj.label


def _select(label, **kwargs):
    return _kind(
        forms.ModelChoiceField(
            queryset=CodeListEntry.objects.none(),
            label=label,
            empty_label="Select an option",
            widget=forms.Select(attrs={"class": "govuk-select"}),
            **kwargs,
        ),
        "select",
    )


class SchemeForm(VersionedForm):
    reference = _kind(
        forms.CharField(
            label="Scheme reference",
            max_length=20,
            help_text="For example, S1 or BCF01",
            widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-10"}),
            error_messages={"required": "Enter a scheme reference"},
        ),
        "input",
    )
    name = _kind(
        forms.CharField(
            label="Scheme name",
            max_length=250,
            widget=forms.TextInput(attrs={"class": "govuk-input"}),
            error_messages={"required": "Enter the scheme name"},
        ),
        "input",
    )
    scheme_type = _select("Scheme type", error_messages={"required": "Select a scheme type"})
    sub_type = _kind(
        SubTypeChoiceField(
            queryset=CodeListEntry.objects.none(),
            label="Sub-type (if any)",
            required=False,
            empty_label="No sub-type",
            help_text="The sub-type must belong to the scheme type you chose",
            widget=forms.Select(attrs={"class": "govuk-select"}),
        ),
        "select",
    )
    description = MarkdownField(subject="The description", rows=6, label="Description", required=False)
    lead_commissioner = _select("Lead commissioner", error_messages={"required": "Select the lead commissioner"})
    provider = _kind(
        forms.CharField(
            label="Provider",
            required=False,
            max_length=250,
            widget=forms.TextInput(attrs={"class": "govuk-input"}),
        ),
        "input",
    )
    area_of_spend = _select("Area of spend", error_messages={"required": "Select an area of spend"})
    is_new = _kind(
        forms.TypedChoiceField(
            label="Is this a new scheme?",
            choices=YES_NO,
            coerce=lambda v: v == "yes",
            widget=forms.RadioSelect,
            help_text="Select no if the scheme already existed before this plan",
            error_messages={"required": "Select yes if this is a new scheme"},
        ),
        "radios",
    )

    def __init__(self, *args, round, **kwargs):  # noqa: A002 - the planning round
        super().__init__(*args, **kwargs)
        entries = CodeListEntry.objects.filter(round=round).select_related("parent").order_by("order", "label")
        self.fields["scheme_type"].queryset = entries.filter(list=CodeListEntry.List.SCHEME_TYPE)
        self.fields["sub_type"].queryset = entries.filter(list=CodeListEntry.List.SCHEME_SUBTYPE).order_by(
            "parent__order", "parent__label", "order", "label"
        )
        self.fields["lead_commissioner"].queryset = entries.filter(list=CodeListEntry.List.COMMISSIONER)
        self.fields["area_of_spend"].queryset = entries.filter(list=CodeListEntry.List.AREA_OF_SPEND)

    def clean(self):
        cleaned = super().clean()
        scheme_type, sub_type = cleaned.get("scheme_type"), cleaned.get("sub_type")
        if scheme_type and sub_type and sub_type.parent_id != scheme_type.pk:
            self.add_error("sub_type", f"Select a sub-type of {scheme_type.label}, or no sub-type")
        return cleaned

    @staticmethod
    def initial_for(scheme: Scheme) -> dict:
        return {
            "version": scheme.version,
            "reference": scheme.reference,
            "name": scheme.name,
            "scheme_type": scheme.scheme_type_id,
            "sub_type": scheme.sub_type_id,
            "description": scheme.description,
            "lead_commissioner": scheme.lead_commissioner_id,
            "provider": scheme.provider,
            "area_of_spend": scheme.area_of_spend_id,
            "is_new": "yes" if scheme.is_new else "no",
        }

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "reference": data["reference"].strip(),
            "name": data["name"],
            "scheme_type_id": data["scheme_type"].pk,
            "sub_type_id": data["sub_type"].pk if data.get("sub_type") else None,
            "description": data["description"],
            "lead_commissioner_id": data["lead_commissioner"].pk,
            "provider": data["provider"],
            "area_of_spend_id": data["area_of_spend"].pk,
            "is_new": data["is_new"],
        }
