"""Template helpers for plan pages and exports."""

from decimal import Decimal

from django import template

from plans.markdown import headings_from, render_markdown, with_scrolling_tables
from rounds.models import round_label as _round_label

register = template.Library()


@register.filter
def markdown(text: str, top_heading: int | None = None):
    """`|markdown`, or `|markdown:4` where the answer sits under an h3 and its headings must start at h4."""
    html = with_scrolling_tables(render_markdown(text))
    return headings_from(html, top_heading) if top_heading else html


@register.filter
def round_label(labels: dict, key: str) -> str:
    """A round's own wording by label key: `{{ plan.round.labels|round_label:"risks_column_risk" }}`."""
    return _round_label(labels or {}, key)


@register.filter
def pounds(amount) -> str:
    """£1,234.56; empty for no amount."""
    if amount is None or amount == "":
        return ""
    return f"£{amount:,.2f}"


@register.filter
def plain_number(value) -> str:
    """A stored decimal without trailing zeros: 712.6000 -> 712.6, 690.0000 -> 690; empty for none.

    Metric values are stored to four places; showing all four made a baseline of 712.6 read
    "712.6000" beside a plan of "690".
    """
    if value is None or value == "":
        return ""
    text = format(Decimal(str(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# A table this short fits on one page, so the PDF keeps it whole. A longer one must break anyway;
# keeping it together would only push it onto a fresh page and leave its heading alone on the last.
SHORT_TABLE_ROWS = 15


@register.filter
def keep_together(rows) -> str:
    """`class="{{ rows|keep_together }}"`: "keep-together" when the table fits on one page."""
    return "keep-together" if len(rows) <= SHORT_TABLE_ROWS else ""
