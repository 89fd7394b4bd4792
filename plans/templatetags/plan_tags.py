"""Template helpers for plan pages and exports."""

from django import template

from plans.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    return render_markdown(text)


@register.filter
def pounds(amount) -> str:
    """£1,234.56; empty for no amount."""
    if amount is None or amount == "":
        return ""
    return f"£{amount:,.2f}"
