"""A monitoring return as a tagged PDF (A4), rendered by WeasyPrint from a Django template.

The same conventions as the plan's Part 1 (governance.pdf): no resource is ever fetched, fonts are
the system's Liberation Sans, and the document is drawn from one snapshot of the return.
"""

from pathlib import Path

from django.template.loader import get_template, render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from .models import Return, ReturnSubmission
from .signoff_selectors import live_document, return_document

TEMPLATE = "pdf/return/return.html"
STYLESHEET = "return.css"


class _NoFetching(URLFetcher):
    """The document needs nothing from outside; a link typed into an answer must never be fetched."""

    def fetch(self, url, headers=None):
        raise ValueError(f"The return PDF fetches no resources ({url})")


def _template_dir() -> Path:
    return Path(get_template(TEMPLATE).origin.name).parent


def return_html(doc: dict) -> str:
    return render_to_string(TEMPLATE, {"doc": doc})


def _write_pdf(html: str) -> bytes:
    stylesheet = CSS(filename=str(_template_dir() / STYLESHEET), url_fetcher=_NoFetching())
    return HTML(string=html, url_fetcher=_NoFetching()).write_pdf(
        stylesheets=[stylesheet], pdf_variant="pdf/ua-1", custom_metadata=True, presentational_hints=True
    )


def return_pdf_bytes(ret: Return) -> bytes:
    """The return as it is now."""
    return _write_pdf(return_html(live_document(ret)))


def submission_pdf_bytes(submission: ReturnSubmission) -> bytes:
    """The return as it was submitted (from the submission's snapshot)."""
    doc = return_document(submission.ret, submission.snapshot, status_label="Submitted")
    return _write_pdf(return_html(doc))
