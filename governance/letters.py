"""The assurance decision letter as a PDF, rendered by WeasyPrint from a Django template."""

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from .models import Review

TEMPLATE = "governance/decision_letter.html"


class _NoFetching(URLFetcher):
    """The letter needs nothing from outside; text an assurer typed must never make it fetch anything."""

    def fetch(self, url, headers=None):
        raise ValueError(f"The decision letter fetches no resources ({url})")


def render_decision_letter(review: Review) -> bytes:
    submission = review.submission
    plan = submission.plan
    html = render_to_string(
        TEMPLATE,
        {
            "plan": plan,
            "submission": submission,
            "review": review,
            "ratings": review.ratings.select_related("kloe").order_by("kloe__order"),
            "conditions": review.conditions.order_by("due_date", "id"),
            "issued_on": timezone.localdate(review.decided_at or timezone.now()),
        },
    )
    return HTML(string=html, url_fetcher=_NoFetching()).write_pdf(pdf_variant="pdf/ua-1")
