"""The form that adds a figure to a narrative answer; plans.figures enforces the rules it shows."""

from django import forms
from django.template.defaultfilters import filesizeformat

from . import figures


class FigureForm(forms.Form):
    upload = forms.FileField(
        label="Image",
        help_text=f"PNG or JPEG, smaller than {filesizeformat(figures.MAX_FIGURE_BYTES)}. "
        "For an SVG diagram, export it as a PNG first.",
        error_messages={"required": "Select an image to upload"},
        widget=forms.FileInput(attrs={"class": "govuk-file-upload", "accept": "image/png,image/jpeg"}),
    )
    alt_text = forms.CharField(
        label="Alt text",
        help_text="Describe what the figure shows for someone who cannot see it, "
        "for example ‘Governance structure: the Health and Wellbeing Board oversees the BCF joint board’.",
        max_length=figures.MAX_ALT_TEXT,
        error_messages={"required": "Enter alt text that describes the figure"},
    )
    caption = forms.CharField(
        label="Caption (optional)",
        help_text="Shown under the figure, for example ‘Figure 1: Governance structure’.",
        max_length=figures.MAX_CAPTION,
        required=False,
    )

    def clean_alt_text(self):
        # Spaces alone are no description: the service's rule, shown on the field.
        try:
            return figures.check_alt_text(self.cleaned_data.get("alt_text", ""))
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from None

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        # Refused here before the service reads it; the service checks again for other callers.
        if upload is not None and upload.size > figures.MAX_FIGURE_BYTES:
            raise forms.ValidationError(f"The image must be smaller than {filesizeformat(figures.MAX_FIGURE_BYTES)}")
        return upload
