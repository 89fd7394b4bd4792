"""Helpers for rendering Django form fields with GOV.UK Design System markup (includes/gds_field.html)."""

from django import forms, template
from django.utils.html import format_html_join

register = template.Library()


@register.filter
def gds_kind(bound_field) -> str:
    """textarea, input, money, date, radios, select, checkbox or file."""
    field = bound_field.field
    kind = getattr(field, "gds_kind", None)
    if kind:
        return kind
    widget = field.widget
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


@register.filter
def date_parts(bound_field) -> list[dict]:
    """The day, month and year boxes of a GOV.UK date input, with their current values."""
    widget = bound_field.field.widget
    if bound_field.form.is_bound:
        values = widget.value_from_datadict(bound_field.form.data, bound_field.form.files, bound_field.html_name)
    else:
        values = widget.decompress(bound_field.initial)
    parts = []
    for (suffix, label, width), value in zip(
        (("_day", "Day", 2), ("_month", "Month", 2), ("_year", "Year", 4)), values, strict=False
    ):
        parts.append(
            {
                "name": f"{bound_field.html_name}{suffix}",
                "id": f"{bound_field.auto_id}{suffix}",
                "label": label,
                "width": width,
                "value": value or "",
            }
        )
    return parts


@register.filter
def field_value(bound_field) -> str:
    value = bound_field.value()
    return "" if value is None else value


@register.filter
def is_selected(choice, bound_field) -> bool:
    """Whether a radio option is chosen (works for bound and unbound forms and model choices)."""
    value = bound_field.value()
    return value is not None and str(value) == str(choice.data["value"])


@register.filter
def bound(form, name: str):
    """form|bound:"q_vision" — the bound field of that name."""
    return form[name]


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def hidden_fields(form):
    """The form's hidden fields (edit versions) as plain hidden inputs: the markup Django's widget
    templates give them, without three template renders for each field on every form page."""
    return format_html_join(
        "",
        '<input type="hidden" name="{}" value="{}" id="{}">',
        ((field.html_name, field_value(field), field.auto_id) for field in form.hidden_fields()),
    )
