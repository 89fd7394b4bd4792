"""Every benchmarked page and both exports read a plan in a fixed number of queries.

A bench plan (full narrative, risks, metrics, income lines) is measured with 5 and then 50
schemes and expenditure lines: the count must not grow and must stay within 10 per page.
Timings live only in `make bench`; these are correctness tests of the query shape.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, User
from bench.seed import resize_schemes, seed_national_dataset
from rounds.models import Question

PAGE_LIMIT = 10


@pytest.fixture
def bench(shipped_rounds):
    seeded = seed_national_dataset(password="bench-password-1", areas=3)
    plan = seeded["plans"][0]
    assurer = User.objects.create(email="assurer@bench.local")
    Membership.objects.create(user=assurer, role=Membership.Role.ASSURER, region=plan.hwb_area.region)
    admin = User.objects.create(email="admin@bench.local")
    Membership.objects.create(user=admin, role=Membership.Role.NATIONAL_ADMIN)
    return {"plan": plan, "commissioner": seeded["users"][0], "assurer": assurer, "admin": admin}


def _pages(bench) -> list[tuple[str, str, User]]:
    plan = bench["plan"]
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    section = (
        Question.objects.filter(section__round=plan.round, kind="narrative").order_by("section__order").first().section
    )
    commissioner = bench["commissioner"]
    return [
        ("task_list", reverse("plans:plan_overview", kwargs=kwargs), commissioner),
        ("section", reverse("plans:section", kwargs={**kwargs, "section_key": section.key}), commissioner),
        ("schemes", reverse("schemes:list", kwargs=kwargs), commissioner),
        ("finance_summary", reverse("finance:summary", kwargs=kwargs), commissioner),
        (
            "assurer_dashboard",
            reverse("governance:assurance_dashboard") + f"?round={plan.round.slug}",
            bench["assurer"],
        ),
        ("national_view", reverse("governance:national_dashboard") + f"?round={plan.round.slug}", bench["admin"]),
    ]


def _count(client, url) -> tuple[int, list[str]]:
    client.get(url)  # per-process caches (templates, code lists) are warm in a running server too
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), [q["sql"] for q in captured.captured_queries]


PAGES = ["task_list", "section", "schemes", "finance_summary", "assurer_dashboard", "national_view"]


@pytest.mark.parametrize("page", PAGES)
def test_page_query_count_does_not_grow_from_5_to_50_schemes(client, bench, page):
    counts = {}
    for schemes in (5, 50):
        resize_schemes(plan=bench["plan"], count=schemes)
        name, url, user = next(p for p in _pages(bench) if p[0] == page)
        client.force_login(user)
        counts[schemes], sql = _count(client, url)
    assert counts[5] == counts[50], counts
    assert counts[50] <= PAGE_LIMIT, "\n".join(sql)


def test_part1_pdf_html_reads_the_plan_in_a_fixed_number_of_queries(bench, django_assert_max_num_queries):
    from governance import pdf

    plan = bench["plan"]
    resize_schemes(plan=plan, count=5)
    pdf.render_part1_html(plan)
    with CaptureQueriesContext(connection) as small:
        pdf.render_part1_html(plan)
    resize_schemes(plan=plan, count=50)
    with django_assert_max_num_queries(len(small)):
        html = pdf.render_part1_html(plan)
    assert "Scheme 50" in html


def test_part2_workbook_reads_the_plan_in_a_fixed_number_of_queries(bench, django_assert_max_num_queries):
    from finance.workbook import render_plan_workbook

    plan = bench["plan"]
    resize_schemes(plan=plan, count=5)
    render_plan_workbook(plan)  # the round's configuration is cached per process, as in a running server
    with CaptureQueriesContext(connection) as small:
        render_plan_workbook(plan)
    resize_schemes(plan=plan, count=50)
    with django_assert_max_num_queries(len(small)):
        data = render_plan_workbook(plan)
    assert data[:2] == b"PK"
    assert len(small) <= 10


def test_bare_openpyxl_replay_writes_the_same_cells_styles_and_validations(bench):
    """The benchmark's floor for the workbook is only honest if it writes what the portal writes."""
    from bench.run import _comparable, replay_workbook, workbook_cells
    from finance.workbook import render_plan_workbook

    spec = workbook_cells(render_plan_workbook(bench["plan"]))
    replayed = workbook_cells(replay_workbook(spec))
    assert _comparable(replayed) == _comparable(spec)
    expenditure = next(s for s in spec["sheets"] if s["title"] == "Expenditure")
    assert expenditure["freeze"] == "A2"
    assert (
        len(expenditure["validations"]) == 7
    )  # scheme type, sub-type, area, commissioner, provider, source, new or existing
    assert expenditure["dimensions"]["A"][1] is True  # the hidden line-ID column
    assert any(style and style[1] is not None for *_, style in expenditure["cells"])  # input fills
