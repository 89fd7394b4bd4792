"""The shipped demo plans (python manage.py load_demo): real figures through the rules and the workbook."""

from decimal import Decimal

import pytest

from finance import rules
from finance.selectors import finance_summary, part_two_for_plan
from plans.models import Plan
from tests.finance.test_workbook_export import assert_recalculated_workbook_matches_portal

pytestmark = pytest.mark.django_db


def demo_plan(ons_code):
    return Plan.objects.select_related("round", "hwb_area").get(hwb_area__ons_code=ons_code)


def test_barking_and_dagenham_demo_pool_and_minimum(demo_data):
    figures = part_two_for_plan(demo_plan("E09000002")).figures
    assert rules.pooled_total(figures, "2017/18") == Decimal(21_758_000)
    assert rules.pooled_total(figures, "2018/19") == Decimal(24_236_000)
    messages = {r.year: r for r in rules.check_minimum_pool(figures)}
    assert messages["2017/18"].passed
    assert messages["2017/18"].message == (
        "The pooled budget for 2017/18 is £21,758,000, which meets the minimum of £20,235,000"
    )
    assert messages["2018/19"].message == (
        "The pooled budget for 2018/19 is £24,236,000, which meets the minimum of £22,713,000"
    )


def test_barking_and_dagenham_demo_fails_minimum_when_a_stream_is_left_out(demo_data):
    figures = part_two_for_plan(demo_plan("E09000002")).figures
    # Without the additional adult social care funding (£4,385,000 in 2017/18) the pool falls short.
    figures.income = [line for line in figures.income if line.stream_key != "additional-asc"]
    result = next(r for r in rules.check_minimum_pool(figures) if r.year == "2017/18")
    assert not result.passed
    assert result.message == "The pooled budget for 2017/18 is £17,373,000, which is below the minimum of £20,235,000"


def test_barking_and_dagenham_demo_spend_within_income_and_ring_fences(demo_data):
    part = part_two_for_plan(demo_plan("E09000002"))
    summary = finance_summary(part)
    results = {(r.key, r.year): r for r in summary.results}
    # Spend from the CCG minimum equals its income in 2017/18: 1,450 + 1,620 + 1,980 + 640 + 410 + 905 + 3,960 + 520 + 1,930 (£'000)
    ccg = results[("spend_within_income:ccg-minimum", "2017/18")]
    assert ccg.passed
    assert ccg.message.endswith("in 2017/18 is £13,415,000, within its income of £13,415,000")
    asc = results[("ring_fence:nhs-asc", "2017/18")]
    assert asc.passed
    assert asc.message == (
        "Spend on NHS contribution to adult social care in 2017/18 is £6,835,000, which meets the required £5,214,000"
    )
    ooh = results[("ring_fence:nhs-ooh", "2018/19")]
    assert ooh.passed
    # CCG-commissioned lines (£4,739,000) plus the NHS share of the joint lines: 50% of P2's £922,000,
    # 50% of S3's £530,000 and 60% of S4's £1,966,000 (the fence counts `share: nhs`).
    assert ooh.message == (
        "Spend on NHS-commissioned out-of-hospital services in 2018/19 is £6,644,600, "
        "which meets the required £3,884,000"
    )


def test_barking_and_dagenham_demo_ring_fence_and_overspend_fail(demo_data):
    figures = part_two_for_plan(demo_plan("E09000002")).figures
    figures.allocations[("nhs-ooh", "2018/19")] = Decimal(7_000_000)
    ooh = next(r for r in rules.check_ring_fences(figures) if r.key == "ring_fence:nhs-ooh" and r.year == "2018/19")
    assert not ooh.passed
    assert ooh.message.endswith("is £6,644,600, which is below the required £7,000,000")
    dfg_income = next(line for line in figures.income if line.stream_key == "dfg" and line.year == "2017/18")
    figures.income[figures.income.index(dfg_income)] = rules.IncomeFigure(
        "dfg", dfg_income.organisation, "2017/18", Decimal(1_300_000)
    )
    dfg = next(
        r
        for r in rules.check_spend_within_income(figures)
        if r.key == "spend_within_income:dfg" and r.year == "2017/18"
    )
    assert not dfg.passed
    assert dfg.message == (
        "Spend from Disabled Facilities Grant in 2017/18 is £1,391,000, which is £91,000 more than its income of £1,300,000"
    )


@pytest.mark.parametrize("ons_code", ["E09000002", "E06000026", "E06000022", "E06000045"])
def test_each_demo_plan_exports_and_recalculates_to_the_portal_totals(demo_data, ons_code, tmp_path):
    plan = demo_plan(ons_code)
    assert plan.income_lines.exists()
    assert_recalculated_workbook_matches_portal(plan, tmp_path)
