"""Forms for signing a return and the assurer's review. They validate what was typed; services enforce the rules."""

from django import forms

from plans.forms import GovukDateField


def _text(label: str, *, required=True, help_text="", message="") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
        error_messages={"required": message or f"Enter the {label.lower()}"},
    )


class SignReturnForm(forms.Form):
    # The hash of the return's content as the page showed it: a signature binds to what its signatory read.
    content_hash = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    slot_code = forms.CharField(widget=forms.HiddenInput, max_length=40)
    signatory_name = _text("Full name", message="Enter your full name")
    position = _text("Position", required=False, help_text="For example, Chair of the Health and Wellbeing Board")
    signed_on = GovukDateField(label="Date signed", help_text="For example, 27 3 2017")

    def clean_signed_on(self):
        value = self.cleaned_data.get("signed_on")
        if value is None:
            raise forms.ValidationError("Enter the date you signed")
        return value


class CommentForm(forms.Form):
    part = forms.ChoiceField(label="Part of the return", widget=forms.Select(attrs={"class": "govuk-select"}))
    text = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 4, "class": "govuk-textarea"}),
        error_messages={"required": "Enter a comment"},
    )

    def __init__(self, *args, parts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [(p.key, p.title) for p in parts]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", widget=forms.RadioSelect, error_messages={"required": "Choose the outcome"}
    )
    summary = forms.CharField(
        label="Summary",
        help_text="What the area should know about the review of this return.",
        widget=forms.Textarea(attrs={"rows": 5, "class": "govuk-textarea"}),
        error_messages={"required": "Enter a summary of the review"},
    )

    def __init__(self, *args, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(o.code, o.label) for o in outcomes]
