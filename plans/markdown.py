"""Narrative answers are Markdown; this turns them into sanitised HTML for pages and the PDF.

Markdown (CommonMark, with tables) gives headings, lists, tables and links. The parser,
markdown-it-py, works in time linear in the text and nests lists and quotes only so deep, so
no answer can tie up a server: answers are capped at MAX_MARKDOWN_CHARS characters and
MAX_MARKDOWN_NESTING levels, and a saved answer beyond either is shown as plain text.
Raw HTML typed into an answer is shown as the text it is (pasted HTML is turned into Markdown
in the browser); only absolute web and email links become links; and nh3 then keeps only
safe tags and attributes, so script, event handlers and style never get through.
"""

import hashlib
import re
from functools import lru_cache
from urllib.parse import urlsplit

import markdown_it
import nh3
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.html import format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Real answers reach about 22,000 characters; this leaves room and bounds the work of one render.
MAX_MARKDOWN_CHARS = 100_000
# Lists and quotes inside one another. Plans use three or four levels at most.
MAX_MARKDOWN_NESTING = 10

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
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
CONTAINERS = {"bullet_list_open", "ordered_list_open", "blockquote_open"}


def is_web_link(url: str) -> bool:
    """An absolute http(s) address with a host, or a mailto address: the only links a plan may carry.

    A relative or protocol-relative link means nothing outside the portal, and in the PDF it
    would resolve against the server's own files.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return bool(parts.hostname)
    return scheme == "mailto" and bool(parts.path)


def _align_as_attribute(state) -> None:
    """Table cells carry align="…" rather than style="text-align: …", which nh3 and the CSP would drop."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and token.attrs.get("style", "").startswith("text-align:"):
            token.attrs = {"align": token.attrs["style"].removeprefix("text-align:")}


def _only_web_links(state) -> None:
    """A link to anything but a web or mail address is shown as its text alone."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        kept, dropped = [], []
        for child in block.children:
            if child.type == "link_open":
                dropped.append(not is_web_link(child.attrs.get("href", "")))
                if dropped[-1]:
                    continue
            elif child.type == "link_close" and dropped.pop():
                continue
            kept.append(child)
        block.children = kept


# Each list level costs the parser two levels (the list and its item), a quote one: this lets
# every answer within MAX_MARKDOWN_NESTING parse whole, and stops anything deeper one level on,
# where _nesting_depth sees it. It also bounds the nesting of links and emphasis.
_parser = MarkdownIt("commonmark", {"html": False, "maxNesting": 2 * MAX_MARKDOWN_NESTING + 1}).enable("table")
# Every link is parsed as a link, so _only_web_links can leave the text of any that is not to the web.
_parser.validateLink = lambda url: True
_parser.core.ruler.push("only_web_links", _only_web_links)
_parser.core.ruler.push("align_as_attribute", _align_as_attribute)


def _nesting_depth(tokens: list[Token]) -> int:
    depth = deepest = 0
    for token in tokens:
        if token.type in CONTAINERS:
            depth += 1
            deepest = max(deepest, depth)
        elif token.type in ("bullet_list_close", "ordered_list_close", "blockquote_close"):
            depth -= 1
    return deepest


def _too_long(text: str) -> bool:
    return len(text) > MAX_MARKDOWN_CHARS


def _parse(text: str) -> list[Token] | None:
    """The parsed text, or None when it is nested too deeply to show as Markdown."""
    tokens = _parser.parse(text)
    return None if _nesting_depth(tokens) > MAX_MARKDOWN_NESTING else tokens


def _sanitised(tokens: list[Token]) -> str:
    html = _parser.renderer.render(tokens, _parser.options, {}).strip()
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _as_plain_text(text: str, reason: str) -> SafeString:
    paragraphs = mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 - linebreaks has escaped the text
    return format_html("<p><strong>Shown as plain text: {}.</strong></p>{}", reason, paragraphs)


TOO_LONG_REASON = f"it is longer than {MAX_MARKDOWN_CHARS:,} characters"
TOO_DEEP_REASON = f"its lists or quotes are nested more than {MAX_MARKDOWN_NESTING} levels deep"


# Bump when the rendering rules change, so no cache serves HTML made by the old ones.
RENDERING = f"1-{nh3.__version__}-{markdown_it.__version__}"


def render_markdown(text: str) -> SafeString:
    """Markdown to HTML that is safe to put on a page or in a PDF.

    Text saved before the limits existed, or beyond them, is shown as escaped plain text with a
    note saying why, rather than failing the page.

    Rendering costs milliseconds per answer (a schemes page renders dozens), so the HTML is kept by
    the text's content: in this process (most recent texts) and in Django's cache, shared by every
    process, keyed by the text's SHA-256. Any change to an answer is a new key.
    """
    return mark_safe(_cached_html(text or ""))  # noqa: S308 - made by _render, sanitised


@lru_cache(maxsize=1024)
def _cached_html(text: str) -> str:
    key = f"markdown:{RENDERING}:{hashlib.sha256(text.encode()).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = str(_render(text))
        cache.set(key, html, timeout=30 * 24 * 3600)
    return html


def _render(text: str) -> SafeString:
    if _too_long(text):
        return _as_plain_text(text, TOO_LONG_REASON)
    tokens = _parse(text)
    if tokens is None:
        return _as_plain_text(text, TOO_DEEP_REASON)
    return mark_safe(_sanitised(tokens))  # noqa: S308 - nh3 has sanitised it


def with_scrolling_tables(html: SafeString) -> SafeString:
    """Each table in its own horizontally scrolling box, so a wide table never widens the page.

    The box takes keyboard focus (tabindex) so that people who cannot use a mouse can scroll it
    too. The HTML is already sanitised: every "<table>" in it is a tag nh3 kept, never typed text.
    """
    if "<table>" not in html:
        return html
    wrapped = html.replace("<table>", '<div class="app-table-scroll" tabindex="0"><table>').replace(
        "</table>", "</table></div>"
    )
    return mark_safe(wrapped)  # noqa: S308 - only the sanitised tags were wrapped


_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


def headings_from(html: SafeString, level: int) -> SafeString:
    """The answer's headings moved so its highest is `level` (at most h6), keeping their steps.

    On a page where the answer sits under an h3, a "# heading" typed in it becomes an h4, not an
    h1 that would break the page's outline. The HTML is sanitised: heading tags carry no attributes.
    """
    levels = [int(n) for _, n in _HEADING_TAG.findall(html)]
    if not levels:
        return html
    shift = level - min(levels)
    moved = _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}>", html)
    return mark_safe(moved)  # noqa: S308 - only the sanitised heading tags were renumbered


def too_long_message(subject: str) -> str:
    return f"{subject} must be {MAX_MARKDOWN_CHARS:,} characters or fewer"


def check_markdown(text: str, *, subject: str = "The answer", field: str | None = None) -> SafeString:
    """Refuse text the portal will not store as Markdown, saying how to fix it; return its HTML.

    Raises ValidationError (with `field` as its code, so a form can show it on that field).
    """
    text = text or ""
    if _too_long(text):
        raise ValidationError(f"{too_long_message(subject)}. It has {len(text):,}.", code=field)
    tokens = _parse(text)
    if tokens is None:
        raise ValidationError(
            f"{subject} has lists or quotes nested more than {MAX_MARKDOWN_NESTING} levels deep."
            f" Use {MAX_MARKDOWN_NESTING} levels or fewer.",
            code=field,
        )
    return mark_safe(_sanitised(tokens))  # noqa: S308 - nh3 has sanitised it
