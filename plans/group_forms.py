"""Forms of the aligned-plan pages (plans.group_views); the rules are plans.groups'."""

from django import forms

from .models import Plan


class CreateGroupForm(forms.Form):
    name = forms.CharField(
        label="Name of the group",
        help_text="For example, Barking and Dagenham, Havering and Redbridge aligned BCF plan",
        max_length=200,
        error_messages={"required": "Enter a name for the group"},
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )

    def __init__(self, *args, other_plans=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A national administrator groups any plans of the round at once; a commissioner invites instead.
        if other_plans is not None:
            self.fields["members"] = forms.ModelMultipleChoiceField(
                queryset=other_plans,
                required=False,
                label="Other areas' plans in the group",
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields["members"].label_from_instance = lambda plan: plan.hwb_area.name


class InviteForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.none(),
        label="Area to invite",
        empty_label="Choose an area",
        error_messages={"required": "Choose the area to invite"},
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["plan"].label_from_instance = lambda plan: plan.hwb_area.name


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Invitation code",
        help_text="The code a commissioner of the group gave you. Your plan joins only when you enter it.",
        max_length=500,
        error_messages={"required": "Enter the invitation code"},
        widget=forms.TextInput(attrs={"class": "govuk-input", "autocomplete": "off", "spellcheck": "false"}),
    )
