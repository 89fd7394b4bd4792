"""Every Part 2 rule, passing and failing, on Barking & Dagenham's 2017–19 figures."""

from dataclasses import replace
from decimal import Decimal

from finance import rules
from finance.selectors import finance_summary, part_two_for_plan
from tests.finance.demo_plans import BD_TOTALS


def figures_of(plan):
    return part_two_for_plan(plan).figures


def by_key(results, key, year=""):
    return [r for r in results if r.key == key and (not year or r.year == year)]


def test_pooled_totals_are_the_seed_figures(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    assert rules.pooled_total(figures, "2017/18") == BD_TOTALS["2017/18"] == Decimal(21_758_000)
    assert rules.pooled_total(figures, "2018/19") == BD_TOTALS["2018/19"] == Decimal(24_236_000)


def test_minimum_pool_met_names_figure_and_threshold(bd_plan):
    plan, _ = bd_plan
    [result] = by_key(rules.check_minimum_pool(figures_of(plan)), "minimum_pool", "2017/18")
    assert result.passed
    assert result.message == "The pooled budget for 2017/18 is £21,758,000, which meets the minimum of £20,235,000"


def test_minimum_pool_fails_when_pool_below_minimum(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    figures.allocations[("minimum_pool", "2018/19")] = Decimal(24_236_001)
    [result] = by_key(rules.check_minimum_pool(figures), "minimum_pool", "2018/19")
    assert not result.passed
    assert result.message == "The pooled budget for 2018/19 is £24,236,000, which is below the minimum of £24,236,001"


def test_minimum_pool_met_exactly_at_the_threshold(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    figures.allocations[("minimum_pool", "2017/18")] = Decimal(21_758_000)
    [result] = by_key(rules.check_minimum_pool(figures), "minimum_pool", "2017/18")
    assert result.passed
    assert result.message == "The pooled budget for 2017/18 is £21,758,000, which meets the minimum of £21,758,000"


def test_spend_within_income_passes_when_spend_equals_income(bd_plan):
    plan, _ = bd_plan
    results = rules.check_spend_within_income(figures_of(plan))
    assert results and all(r.passed for r in results)
    [ibcf] = by_key(results, "spend_within_income:ibcf", "2018/19")
    assert (
        ibcf.message == "Spend from Improved Better Care Fund in 2018/19 is £4,910,000, within its income of £4,910,000"
    )


def test_spend_within_income_fails_when_a_source_is_overspent(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    line = next(e for e in figures.expenditure if e.stream_key == "dfg")
    overspent = replace(line, amounts={**line.amounts, "2017/18": line.amounts["2017/18"] + 9000})
    figures.expenditure[figures.expenditure.index(line)] = overspent
    [dfg] = by_key(rules.check_spend_within_income(figures), "spend_within_income:dfg", "2017/18")
    assert not dfg.passed
    assert dfg.message == (
        "Spend from Disabled Facilities Grant in 2017/18 is £1,400,000, "
        "which is £9,000 more than its income of £1,391,000"
    )


def test_ring_fences_met(bd_plan):
    plan, _ = bd_plan
    results = rules.check_ring_fences(figures_of(plan))
    assert len(results) == 4 and all(r.passed for r in results)
    [asc] = by_key(results, "ring_fence:nhs-asc", "2017/18")
    assert asc.message == (
        "Spend on NHS contribution to adult social care in 2017/18 is £5,600,000, which meets the required £5,600,000"
    )
    [ooh] = by_key(results, "ring_fence:ooh", "2018/19")
    # CCG-commissioned lines from the CCG minimum: 2,140 + 1,835 + 2,650 + 917 + 423 (£'000)
    assert ooh.message == (
        "Spend on NHS-commissioned out-of-hospital services in 2018/19 is £7,965,000, which meets the required £3,884,000"
    )


def test_ring_fence_fails_when_spend_moves_out_of_scope(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    figures.allocations[("nhs-asc", "2018/19")] = Decimal(6_000_000)
    [asc] = by_key(rules.check_ring_fences(figures), "ring_fence:nhs-asc", "2018/19")
    assert not asc.passed
    assert "£5,705,000, which is below the required £6,000,000" in asc.message


def test_no_negative_amounts(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    [ok] = rules.check_no_negative_amounts(figures)
    assert ok.passed and ok.message == "Every amount is £0 or more"
    line = figures.income[0]
    figures.income[0] = replace(line, amount=Decimal(-1391000))
    [bad] = rules.check_no_negative_amounts(figures)
    assert not bad.passed
    assert "is -£1,391,000" in bad.message
    assert bad.message.endswith("enter an amount of £0 or more")


def test_amounts_within_range(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    [ok] = rules.check_amounts_in_range(figures)
    assert ok.passed and ok.message == "Every amount is between £0 and £100,000,000"
    line = figures.expenditure[0]
    figures.expenditure[0] = replace(line, amounts={"2017/18": Decimal("100000000.01")})
    [bad] = rules.check_amounts_in_range(figures)
    assert not bad.passed
    assert bad.message == (
        "Scheme BD01 Joint Assessment and Discharge service (2017/18) is £100,000,000.01: "
        "enter an amount of £100,000,000 or less"
    )


def test_amount_of_exactly_100_million_is_in_range(bd_plan):
    plan, _ = bd_plan
    figures = figures_of(plan)
    figures.income[0] = replace(figures.income[0], amount=Decimal(100_000_000))
    [ok] = rules.check_amounts_in_range(figures)
    assert ok.passed


def test_finance_summary_totals(bd_plan):
    plan, _ = bd_plan
    summary = finance_summary(part_two_for_plan(plan))
    assert summary.pooled_totals == [Decimal(21_758_000), Decimal(24_236_000)]
    assert summary.spend_totals == [Decimal(21_758_000), Decimal(24_236_000)]
    assert all(r.passed for r in summary.results)
    social_care = next(r for r in summary.by_area_of_spend if r["name"] == "Social Care")
    assert social_care["amounts"][0] == Decimal(1391 + 223 + 300 + 1000 + 344 + 700 + 5600 + 1385 + 3000) * 1000
