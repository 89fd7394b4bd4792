"""`make bench` seeds returns and measures the national returns page (and the return pages, once they exist)."""

import pytest

from bench.run import RETURN_PAGES, count_queries, draft_returns, return_urls, seed
from monitoring.models import Return, ReturnLine, ReturnSubmission

pytestmark = pytest.mark.django_db


def test_bench_seeds_submitted_and_draft_returns_and_counts_the_national_returns_page(shipped_rounds):
    seeded = seed("bench-password-1", 9)
    returns = seeded["returns"]
    assert len(returns["returns"]) == 3 and len(returns["submitted"]) == 2
    assert Return.objects.filter(status=Return.Status.SUBMITTED).count() == 2
    for ret in returns["submitted"]:
        snapshot = ReturnSubmission.objects.get(ret=ret).snapshot
        assert len(snapshot["lines"]) == ReturnLine.objects.filter(ret=ret).count() > 0
    drafts = draft_returns(seeded)
    assert [r.status for r, _ in drafts] == [Return.Status.DRAFT]
    counts = count_queries(seeded)
    assert counts["national_returns"]["queries_5"] == counts["national_returns"]["queries_50"] <= 10
    # The return pages are measured exactly when their views exist.
    assert set(return_urls(drafts[0][0])) <= set(RETURN_PAGES)
    assert set(return_urls(drafts[0][0])) <= set(counts)
