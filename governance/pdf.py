"""Part 1 of a plan as a tagged, accessible PDF, rendered by WeasyPrint from a Django template.

`part1_content_hash` and `pdf_bytes` take the plan's snapshot (governance.snapshots) and are the
"pdf" export kind (governance.exports.EXPORT_KINDS), so the export machinery renders them in a
Celery worker from one read of the plan and reuses a stored PDF while the hash holds. With
`public=True` they are the public copy: the same template, without personal data.
"""

import hashlib
import json
import re
from pathlib import Path

from django.template.loader import get_template, render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from plans.models import Plan

from .selectors import part1_document
from .snapshots import PlanSnapshot, read_plan_snapshot

TEMPLATE = "pdf/part1.html"
STYLESHEET = "part1.css"
# Bump when the way the PDF is drawn changes in code, so stored PDFs are not reused.
RENDERER_VERSION = "3"
EMBEDDED_FIGURES = ("data:image/png;base64,", "data:image/jpeg;base64,")


class _NoFetching(URLFetcher):
    """The document needs nothing from outside; a link typed into an answer must never be fetched.

    The one exception is a figure, which the template embeds as a PNG or JPEG data: URI (plans.figures).
    """

    def fetch(self, url, headers=None):
        if url.startswith(EMBEDDED_FIGURES):
            return super().fetch(url, headers)
        raise ValueError(f"The Part 1 PDF fetches no resources ({url})")


def _template_dir() -> Path:
    return Path(get_template(TEMPLATE).origin.name).parent


def _template_fingerprint() -> bytes:
    """The PDF templates and stylesheet, so a change to how the PDF looks makes a new PDF."""
    digest = hashlib.sha256(RENDERER_VERSION.encode())
    for path in sorted(_template_dir().iterdir()):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.digest()


def part1_content_hash(snapshot: PlanSnapshot, *, public: bool = False) -> str:
    """SHA-256 over everything the PDF shows and how it is drawn: equal hashes, equal PDFs."""
    document = part1_document(snapshot, public=public)
    digest = hashlib.sha256(_template_fingerprint())
    digest.update(json.dumps(document, default=str, sort_keys=True).encode())
    return digest.hexdigest()


ANSWER_BLOCK = re.compile(r'<div class="[^"]*\bmd\b[^"]*">')
DIV_TAG = re.compile(r"<(/?)div\b[^>]*>")
HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


def _demote_answer_headings(html: str) -> str:
    """Headings typed into answers become h5/h6, below the template's own h1-h4 in the PDF's tag tree.

    Sanitised Markdown escapes every "<" an author types, so a block's own tags are the only ones in
    it; a block holds divs of its own (a table's scroll wrapper), so its end is found by counting them.
    """
    pieces, done = [], 0
    for block in ANSWER_BLOCK.finditer(html):
        if block.start() < done:
            continue  # inside a block already demoted
        depth, end = 1, len(html)
        for tag in DIV_TAG.finditer(html, block.end()):
            depth += -1 if tag[1] else 1
            if depth == 0:
                end = tag.end()
                break
        demoted = HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 4, 6)}>", html[block.start() : end])
        pieces += [html[done : block.start()], demoted]
        done = end
    return "".join(pieces) + html[done:]


def part1_html(snapshot: PlanSnapshot, *, public: bool = False) -> str:
    """`public`: the open data rendering, without personal data (see selectors.part1_document)."""
    document = part1_document(snapshot, public=public)
    return _demote_answer_headings(render_to_string(TEMPLATE, {"doc": document}))


def render_part1_html(plan: Plan) -> str:
    """The Part 1 HTML of the plan as it is now (read, then rendered)."""
    return part1_html(read_plan_snapshot(plan))


def pdf_bytes(snapshot: PlanSnapshot, *, public: bool = False) -> bytes:
    """The snapshot's Part 1 as PDF; `public=True` is the open data copy, without personal data."""
    return _write_pdf(part1_html(snapshot, public=public))


def render_plan_pdf(plan: Plan) -> bytes:
    """The plan's Part 1 as it is now, as PDF (the export_plan command and the benchmark)."""
    return _write_pdf(render_part1_html(plan))


def _write_pdf(html: str) -> bytes:
    """PDF/UA-1 (tagged, title and language set, fonts embedded) from the Part 1 HTML."""
    stylesheet = CSS(filename=str(_template_dir() / STYLESHEET), url_fetcher=_NoFetching())
    # No base URL: the document refers to nothing relative, and with one a relative link would
    # become a file:// link to the server's own files.
    return HTML(string=html, url_fetcher=_NoFetching()).write_pdf(
        stylesheets=[stylesheet],
        pdf_variant="pdf/ua-1",
        custom_metadata=True,
        # HTML's own hints: a numbered list's start (<ol start="2">) and a table column's alignment.
        presentational_hints=True,
    )
