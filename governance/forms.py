"""Forms for signing, assurance and comparison. They validate what was typed; services enforce the rules."""

from django import forms

from plans.forms import GovukDateField
from rounds.examples import HintExamples

from .models import KloeRating

YES_NO = [("no", "No"), ("yes", "Yes")]


def _text(label: str, *, required=True, help_text="", width="govuk-input", max_length=200) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=max_length,
        widget=forms.TextInput(attrs={"class": width}),
        error_messages={"required": f"Enter the {label.lower()}"},
    )


def _textarea(label: str, *, required=True, rows=5, help_text="", message="") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message or f"Enter {label.lower()}"},
    )


class SignForm(forms.Form):
    # The hash of the plan's content as the page showed it: a signature binds to what its signatory read.
    content_hash = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    signatory_name = _text("Full name")
    position = _text("Position", required=False, help_text="For example, Chief Executive")
    signed_on = GovukDateField(label="Date signed")
    under_delegation = forms.ChoiceField(
        label="Are you signing under delegated authority?",
        choices=YES_NO,
        initial="no",
        widget=forms.RadioSelect,
        help_text="For example, a chair's action agreed by the board between meetings.",
    )
    delegating_body = _text("Delegating body", required=False, help_text="The board or committee that delegated")
    delegation_date = GovukDateField(label="Date of the delegating decision", required=False)
    delegation_minute_ref = _text("Minute reference", required=False, width="govuk-input govuk-input--width-10")

    def __init__(self, *args, slot, examples: HintExamples, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot = slot
        self.examples = examples
        self.fields["signed_on"].help_text = f"For example, {examples.deadline}"
        if slot.has_position:
            self.fields["position"].required = True
            self.fields["position"].error_messages["required"] = "Enter your position"
        else:
            del self.fields["position"]

    def showing_changed_plan(self, changed) -> "SignForm":
        """The same answers, bound now to the plan's current content, with the error that says it changed."""
        data = self.data.copy()
        data["content_hash"] = changed.content_hash
        form = SignForm(data, slot=self.slot, examples=self.examples)
        form.is_valid()
        form.add_error(None, changed)
        return form

    def clean_signed_on(self):
        value = self.cleaned_data.get("signed_on")
        if value is None:
            raise forms.ValidationError("Enter the date you signed")
        return value

    def clean(self):
        data = super().clean()
        if data.get("under_delegation") == "yes":
            for name, message in (
                ("delegating_body", "Enter the body that delegated the sign-off"),
                ("delegation_date", "Enter the date of the delegating decision"),
                ("delegation_minute_ref", "Enter the minute reference of the delegating decision"),
            ):
                if not data.get(name):
                    self.add_error(name, message)
        return data


class ReturnForm(forms.Form):
    comment = _textarea(
        "What needs to change",
        help_text="The commissioners see this. The plan reopens as a new version, in draft.",
        message="Enter what needs to change",
    )


class TransitionForm(forms.Form):
    comment = _textarea("Comment (optional)", required=False, rows=3)


class SectionCommentForm(forms.Form):
    section = forms.ModelChoiceField(
        label="Section", queryset=None, empty_label=None, error_messages={"required": "Choose a section"}
    )
    text = _textarea("Comment", help_text="Commissioners see this on the section's page.", message="Enter your comment")

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = sections
        self.fields["section"].label_from_instance = lambda s: s.title


class KloeRatingsForm(forms.Form):
    """A rating and comment for each of the round's key lines of enquiry."""

    def __init__(self, *args, kloes, ratings, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for kloe in kloes:
            rating = ratings.get(kloe.pk)
            self.fields[f"rating_{kloe.pk}"] = forms.ChoiceField(
                label=f"{kloe.code} {kloe.title}",
                help_text=kloe.description,
                choices=KloeRating.Rating.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=rating.rating if rating else None,
            )
            self.fields[f"comment_{kloe.pk}"] = forms.CharField(
                label=f"Comment on {kloe.code}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=rating.comment if rating else "",
            )
            self.rows.append((kloe, self[f"rating_{kloe.pk}"], self[f"comment_{kloe.pk}"]))

    def clean(self):
        data = super().clean()
        if not any(data.get(f"rating_{kloe.pk}") for kloe, _, _ in self.rows):
            raise forms.ValidationError("Rate at least one key line of enquiry")
        return data

    def ratings(self) -> dict[int, tuple[str, str]]:
        return {
            kloe.pk: (self.cleaned_data[f"rating_{kloe.pk}"], self.cleaned_data[f"comment_{kloe.pk}"].strip())
            for kloe, _, _ in self.rows
            if self.cleaned_data.get(f"rating_{kloe.pk}")
        }


CONDITION_ROWS = 3


class DecisionForm(forms.Form):
    outcome = forms.ModelChoiceField(
        label="Outcome",
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an outcome"},
    )
    summary = _textarea("Summary for the decision letter", required=False)

    def __init__(self, *args, outcomes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].queryset = outcomes
        self.fields["outcome"].label_from_instance = lambda o: o.label
        self.condition_rows = []
        for i in range(1, CONDITION_ROWS + 1):
            self.fields[f"condition_{i}"] = forms.CharField(
                label=f"Condition {i}", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"condition_{i}_due"] = GovukDateField(label=f"Condition {i} to be met by", required=False)
            self.condition_rows.append((self[f"condition_{i}"], self[f"condition_{i}_due"]))

    def clean(self):
        data = super().clean()
        conditions = []
        for i in range(1, CONDITION_ROWS + 1):
            text = (data.get(f"condition_{i}") or "").strip()
            due = data.get(f"condition_{i}_due")
            if text and not due and f"condition_{i}_due" not in self.errors:
                self.add_error(f"condition_{i}_due", f"Enter the date condition {i} must be met by")
            elif due and not text:
                self.add_error(f"condition_{i}", f"Enter condition {i}, or remove its date")
            elif text and due:
                conditions.append((text, due))
        outcome = data.get("outcome")
        if outcome is not None and outcome.requires_conditions and not conditions and not self.errors:
            self.add_error("condition_1", f"Enter at least one condition for ‘{outcome.label}’, with its date")
        data["conditions"] = conditions
        return data
