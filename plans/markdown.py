"""Narrative answers are Markdown; this turns them into sanitised HTML for pages and the PDF.

Markdown gives headings, lists, tables and links. Raw HTML typed into an answer is shown
as the text it is (pasted HTML is turned into Markdown in the browser), and nh3 then keeps
only safe tags and attributes, so script, event handlers, javascript: links and style
never get through.
"""

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    """Markdown to HTML that is safe to put on a page or in a PDF."""
    # Escaping "<" stops any tag being formed; a stray ">" is then harmless and keeps quotes working.
    escaped = (text or "").replace("<", "&lt;")
    html = markdown_lib.markdown(escaped, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 - nh3 has sanitised it
