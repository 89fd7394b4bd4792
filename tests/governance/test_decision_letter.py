"""The decision letter PDF (WeasyPrint): long enough to cross pages, it still reads row by row."""

import datetime
import io
import subprocess
from pathlib import Path

from django.utils import timezone
from pypdf import PdfReader

from governance import services
from governance.letters import render_decision_letter
from rounds.models import KeyLineOfEnquiry, OutcomeCategory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf" / "decision-letter"

# Comments of different lengths, so row boundaries fall at different heights on each page.
COMMENT = (
    "The plan sets out how partners will meet this line of enquiry, with named leads, milestones and the "
    "evidence the board will see each quarter. "
)


def _long_decision(cast):
    """Twenty rated KLOEs with comments of a few lines each, and three conditions: several pages."""
    round_ = cast.plan.round
    for n in range(1, 21):
        KeyLineOfEnquiry.objects.create(
            round=round_, code=f"X{n:02d}", title=f"Extra line of enquiry number {n}", order=100 + n
        )
    kloes = list(KeyLineOfEnquiry.objects.filter(round=round_).order_by("order"))
    ratings = {
        kloe.pk: (
            ["met", "partly_met", "not_met"][i % 3],
            f"Start of comment {kloe.code}. " + COMMENT * (1 + i % 4) + f"End of comment {kloe.code}.",
        )
        for i, kloe in enumerate(kloes)
    }
    services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)
    due = timezone.localdate() + datetime.timedelta(days=90)
    review = services.decide(
        user=cast.assurer,
        plan=cast.plan,
        outcome=OutcomeCategory.objects.get(round=round_, code="approved-with-conditions"),
        summary="A sound plan, with three conditions.",
        conditions=[
            services.Condition(f"Start of condition {n}. " + COMMENT * n + f"End of condition {n}.", due)
            for n in range(1, 4)
        ],
    )
    return review, kloes


def _page_of(pages: list[str], text: str) -> int:
    found = [number for number, page in enumerate(pages, start=1) if text in page]
    assert len(found) == 1, f"{text!r} is on pages {found}"
    return found[0]


def test_decision_letter_rows_are_not_split_across_pages(submitted):
    cast, _ = submitted
    review, kloes = _long_decision(cast)
    pdf = render_decision_letter(review)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "letter.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(ARTIFACTS / "letter.pdf"), str(ARTIFACTS / "page")], check=True)

    pages = [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 3, "the letter must cross pages for this test to mean anything"
    for kloe in kloes:
        title_page = _page_of(pages, f"{kloe.code} {kloe.title}")
        assert _page_of(pages, f"Start of comment {kloe.code}.") == title_page, kloe.code
        assert _page_of(pages, f"End of comment {kloe.code}.") == title_page, kloe.code
    for n in range(1, 4):
        assert _page_of(pages, f"Start of condition {n}.") == _page_of(pages, f"End of condition {n}."), n
