"""The form for a new API token: a name, what it may read, and when it expires."""

from django import forms

from .models import ApiToken
from .tokens import LIFETIME_CHOICES_DAYS


class NewTokenForm(forms.Form):
    name = forms.CharField(
        label="Token name",
        max_length=100,
        help_text="Say what it is for, so you can tell your tokens apart, e.g. Power BI nightly refresh",
        error_messages={
            "required": "Enter a name for the token",
            "max_length": "Enter a name of 100 characters or fewer",
        },
    )
    scope = forms.ChoiceField(
        label="What the token may read",
        choices=ApiToken.Scope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the token may read"},
    )
    region = forms.ModelChoiceField(
        label="Region",
        queryset=None,
        required=False,
        empty_label="Choose a region",
        error_messages={"invalid_choice": "Choose one of the regions listed"},
    )
    lifetime_days = forms.TypedChoiceField(
        label="When the token expires",
        choices=[(days, f"In {days} days") for days in LIFETIME_CHOICES_DAYS],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose when the token expires"},
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.offers_region = regions.exists()
        if not self.offers_region:
            # Without a region to read, a region scope cannot be chosen: offer national only.
            self.fields["scope"].choices = [c for c in ApiToken.Scope.choices if c[0] != ApiToken.Scope.REGION]
            self.initial.setdefault("scope", ApiToken.Scope.NATIONAL)

    def clean(self):
        data = super().clean()
        if data.get("scope") == ApiToken.Scope.REGION and not data.get("region") and "region" not in self.errors:
            self.add_error("region", "Choose the region the token may read")
        return data
