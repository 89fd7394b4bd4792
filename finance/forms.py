"""Forms for the income, expenditure and import pages. Rules that span lines live in finance.rules."""

from django import forms

from plans.models import Plan
from rounds.config import round_config
from rounds.models import CodeListEntry, FundingStream, Organisation, RoundYear
from rounds.money import MoneyField

from .models import IncomeLine
from .selectors import line_problems, split_rule_specs


def money_field(label: str, required: bool = True) -> MoneyField:
    """The portal's one money field, labelled for this form."""
    return MoneyField(label=label, required=required, error_messages={"required": f"Enter the {label.lower()}"})


def choice(queryset, label: str, what: str) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=queryset,
        label=label,
        empty_label=f"Choose {what}",
        error_messages={"required": f"Choose {what}", "invalid_choice": f"Choose {what} from the list"},
    )
    field.label_from_instance = lambda obj: getattr(obj, "label", None) or str(obj)
    return field


class IncomeLineForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, plan: Plan, line: IncomeLine | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan, self.line = plan, line
        self.fields["funding_stream"] = choice(
            FundingStream.objects.filter(round_id=plan.round_id).order_by("order"), "Funding stream", "a funding stream"
        )
        self.fields["organisation"] = choice(
            Organisation.objects.valid_in(plan.round).filter(hwb_areas=plan.hwb_area_id).order_by("name"),
            "Contributing organisation",
            "the contributing organisation",
        )
        self.fields["year"] = choice(
            RoundYear.objects.filter(round_id=plan.round_id).order_by("order"), "Year", "a year"
        )
        self.fields["amount"] = money_field("Amount")
        self.fields["note"] = forms.CharField(
            label="Note (optional)",
            required=False,
            max_length=250,
            error_messages={"max_length": "Enter a note of 250 characters or fewer"},
        )

    @staticmethod
    def initial_for(line: IncomeLine) -> dict:
        return {
            "funding_stream": line.funding_stream_id,
            "organisation": line.organisation_id,
            "year": line.year_id,
            "amount": line.amount,
            "note": line.note,
            "version": line.version,
        }

    def clean(self):
        data = super().clean()
        if all(data.get(k) for k in ("funding_stream", "organisation", "year")):
            clash = IncomeLine.objects.filter(
                plan=self.plan,
                funding_stream=data["funding_stream"],
                organisation=data["organisation"],
                year=data["year"],
            )
            if self.line is not None:
                clash = clash.exclude(pk=self.line.pk)
            if clash.exists():
                self.add_error(
                    "funding_stream",
                    "There is already a line for this funding stream, organisation and year. Change that line instead",
                )
        return data

    def values(self) -> dict:
        """What finance.services.save_income_line takes."""
        return {k: self.cleaned_data[k] for k in ("funding_stream", "organisation", "year", "amount", "note")}


class ExpenditureLineForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    scheme_reference = forms.CharField(
        label="Scheme reference",
        max_length=20,
        help_text="For example BD01. A new reference adds the scheme to the plan.",
        error_messages={"required": "Enter the scheme reference", "max_length": "Enter 20 characters or fewer"},
    )
    scheme_name = forms.CharField(
        label="Scheme name",
        max_length=250,
        error_messages={"required": "Enter the scheme name", "max_length": "Enter 250 characters or fewer"},
    )

    def __init__(self, *args, plan: Plan, line=None, **kwargs):
        super().__init__(*args, **kwargs)
        codes = CodeListEntry.objects.filter(round_id=plan.round_id).order_by("order", "label")
        self.years = list(RoundYear.objects.filter(round_id=plan.round_id).order_by("order"))
        self.config = round_config(plan.round_id)
        self.fields["scheme_type"] = choice(codes.filter(list="scheme_type"), "Scheme type", "a scheme type")
        sub_types = codes.filter(list=CodeListEntry.List.SCHEME_SUBTYPE).select_related("parent")
        self.fields["sub_type"] = choice(
            sub_types.order_by("parent__order", "order", "label"), "Scheme sub-type", "a sub-type"
        )
        self.fields["sub_type"].required = False
        self.fields["sub_type"].empty_label = "None (the scheme type has no sub-types)"
        self.fields["sub_type"].help_text = "Required when the scheme type has sub-types."
        self.fields["sub_type"].label_from_instance = lambda entry: f"{entry.parent.label}: {entry.label}"
        self.fields["area_of_spend"] = choice(codes.filter(list="area_of_spend"), "Area of spend", "an area of spend")
        self.fields["commissioner"] = choice(codes.filter(list="commissioner"), "Commissioner", "a commissioner")
        percent_messages = {
            "min_value": "Enter a percentage from 0 to 100",
            "max_value": "Enter a percentage from 0 to 100",
            "invalid": "Enter a percentage from 0 to 100",
        }
        self.fields["percent_nhs"] = forms.DecimalField(
            label="% NHS (if jointly commissioned)",
            required=False,
            min_value=0,
            max_value=100,
            max_digits=5,
            decimal_places=2,
            error_messages=percent_messages,
        )
        self.fields["percent_la"] = forms.DecimalField(
            label="% local authority (if jointly commissioned)",
            required=False,
            min_value=0,
            max_value=100,
            max_digits=5,
            decimal_places=2,
            error_messages=percent_messages,
        )
        joint = {code for rule in self.config.split_rules for code in rule.commissioners}
        joint_labels = [e.label for e in self.config.codes.get(CodeListEntry.List.COMMISSIONER, []) if e.code in joint]
        if joint_labels:  # the round's split rules say which lines need a split
            hint = (
                f"Only for a jointly commissioned line (commissioner: {' or '.join(joint_labels)}), adding up to 100."
            )
            self.fields["percent_nhs"].help_text = hint
        self.fields["provider"] = choice(codes.filter(list="provider"), "Provider", "a provider")
        self.fields["funding_stream"] = choice(
            FundingStream.objects.filter(round_id=plan.round_id).order_by("order"),
            "Source of funding",
            "a source of funding",
        )
        for year in self.years:
            self.fields[f"amount_{year.pk}"] = money_field(f"Amount in {year.label}", required=False)
        units = [
            f"{entry.label}: {entry.output_unit.label.lower()}"
            for entry in self.config.codes.get(CodeListEntry.List.SCHEME_TYPE, [])
            if entry.output_unit is not None
        ]
        for year in self.years if units else ():  # a round with no output units asks for no outputs
            self.fields[f"output_{year.pk}"] = forms.DecimalField(
                label=f"Planned output in {year.label}",
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                help_text="Only for scheme types with an output unit (" + "; ".join(units) + ").",
                error_messages={
                    "min_value": "Enter a planned output of 0 or more",
                    "invalid": "Enter the planned output as a number",
                    "max_digits": "Enter a planned output of less than 10,000,000,000",
                    "max_decimal_places": "Enter a planned output with no more than 2 decimal places",
                },
            )
        self.fields["is_new"] = forms.ChoiceField(
            label="Is this a new or existing scheme?",
            choices=[("new", "New"), ("existing", "Existing")],
            widget=forms.RadioSelect,
            error_messages={"required": "Choose whether the scheme is new or existing"},
        )

    def amount_fields(self):
        return [self[f"amount_{year.pk}"] for year in self.years]

    def output_fields(self):
        return [self[f"output_{year.pk}"] for year in self.years if f"output_{year.pk}" in self.fields]

    @staticmethod
    def initial_for(line) -> dict:
        initial = {
            "version": line.version,
            "scheme_reference": line.scheme.reference,
            "scheme_name": line.scheme.name,
            "scheme_type": line.scheme_type_id,
            "sub_type": line.sub_type_id,
            "area_of_spend": line.area_of_spend_id,
            "commissioner": line.commissioner_id,
            "percent_nhs": line.percent_nhs,
            "percent_la": line.percent_la,
            "provider": line.provider_id,
            "funding_stream": line.funding_stream_id,
            "is_new": "new" if line.is_new else "existing",
        }
        for amount in line.amounts.all():
            initial[f"amount_{amount.year_id}"] = amount.amount
            initial[f"output_{amount.year_id}"] = amount.planned_output
        return initial

    def clean(self):
        data = super().clean()
        needed = ("scheme_type", "commissioner", "funding_stream", "percent_nhs", "percent_la", "sub_type")
        if all(name in data for name in needed) and not any(
            f"amount_{y.pk}" in self.errors or f"output_{y.pk}" in self.errors for y in self.years
        ):
            fields = {f"output:{y.label}": f"output_{y.pk}" for y in self.years}
            for field_name, message in line_problems(
                codes=self.config.codes,
                split_rules=split_rule_specs(self.config),
                scheme_type=data["scheme_type"],
                sub_type=data["sub_type"],
                commissioner=data["commissioner"],
                funding_stream=data["funding_stream"],
                percent_nhs=data["percent_nhs"],
                percent_la=data["percent_la"],
                amounts={y.label: v for y, v in self.amounts().items()},
                outputs={y.label: v for y, v in self.outputs().items()},
            ):
                self.add_error(fields.get(field_name, field_name), message)
        return data

    def amounts(self) -> dict:
        return {year: self.cleaned_data.get(f"amount_{year.pk}") for year in self.years}

    def outputs(self) -> dict:
        return {year: self.cleaned_data.get(f"output_{year.pk}") for year in self.years}

    def values(self) -> dict:
        """What finance.services.save_expenditure_line takes."""
        data = self.cleaned_data
        names = ["scheme_reference", "scheme_name", "scheme_type", "sub_type", "area_of_spend", "commissioner"]
        names += ["percent_nhs", "percent_la", "provider", "funding_stream"]
        return {
            **{k: data[k] for k in names},
            "is_new": data["is_new"] == "new",
            "amounts": self.amounts(),
            "outputs": self.outputs(),
        }


class WorkbookUploadForm(forms.Form):
    workbook = forms.FileField(
        label="Upload your Part 2 workbook",
        help_text="An Excel workbook (.xlsx) exported from this portal for this plan. Smaller than 10 MB.",
        error_messages={"required": "Choose a workbook to upload", "empty": "The file is empty"},
    )
