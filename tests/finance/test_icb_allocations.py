"""ICB-level allocations shared by the HWB areas an ICB serves: each area records its share as income
from the ICB; the shares must not exceed the ICB's amount, and another area's share counts (as a
total only) once its plan is submitted."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from finance import rules, workbook
from finance.selectors import (
    finance_summary,
    icb_shares_recorded,
    live_figures,
    part_two_for_plan,
    section_problems,
)
from finance.services import apply_workbook_import
from finance.workbook_import import diff_workbook, read_workbook
from governance.dataset import national_dataset
from governance.selectors import part1_document
from governance.snapshots import read_plan_snapshot
from plans.models import Plan
from rounds.models import Organisation, Section
from tests import factories as f
from tests.finance.demo_plans import _add_commissioner, build_barking_and_dagenham

pytestmark = pytest.mark.django_db

ICB = "NHS North East London Integrated Care Board"
K = Decimal(1000)


@pytest.fixture
def shared():
    """B&D's 2017–19 plan and Havering's, both served by one ICB whose £1,000,000 they share."""
    plan, user = build_barking_and_dagenham()
    rnd = plan.round
    stream = rnd.funding_streams.get(key="additional-ccg")
    year = rnd.years.get(label="2017/18")
    havering = f.HwbAreaFactory(ons_code="E09000016", name="Havering", region=plan.hwb_area.region)
    icb = f.OrganisationFactory(name=ICB, kind=Organisation.Kind.ICB, code="QMF")
    icb.hwb_areas.add(plan.hwb_area, havering)
    f.IcbAllocationFactory(round=rnd, organisation=icb, year=year, funding_stream=stream, amount=1000 * K)
    f.IncomeLineFactory(plan=plan, funding_stream=stream, organisation=icb, year=year, amount=600 * K)
    other = f.PlanFactory(round=rnd, hwb_area=havering)
    f.IncomeLineFactory(plan=other, funding_stream=stream, organisation=icb, year=year, amount=550 * K)
    return plan, user, other, _add_commissioner(havering)


def icb_results(figures):
    return [r for r in rules.check_income(figures) if r.key.startswith("icb_share:")]


def submit(plan):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
    plan.refresh_from_db()


# --- Rules ---------------------------------------------------------------------------------


def spec(**kwargs):
    values = {"icb": ICB, "stream_key": "adf-icb", "year": "2023/24", "amount": 1000 * K, "areas": 2}
    return rules.IcbShareSpec(**{**values, **kwargs})


def figures(own, **kwargs):
    return rules.PartTwoFigures(
        years=["2023/24"],
        stream_names={"adf-icb": "Discharge fund (ICB)"},
        income=[rules.IncomeFigure("adf-icb", ICB, "2023/24", own)],
        icb_shares=[spec(**kwargs)],
    )


def test_a_share_within_the_icb_allocation_passes():
    [result] = icb_results(figures(400 * K, others=Decimal(0), others_outstanding=1))
    assert result.passed
    assert "£400,000" in result.message and "£1,000,000" in result.message


def test_shares_of_two_areas_over_the_icb_allocation_are_flagged():
    [result] = icb_results(figures(600 * K, others=550 * K, others_outstanding=0))
    assert not result.passed
    assert "£1,150,000" in result.message and "£150,000 more than" in result.message


def test_a_share_alone_over_the_whole_icb_allocation_is_flagged_in_the_exports_too():
    [result] = icb_results(figures(1200 * K))  # others not read: the plan's own files
    assert not result.passed and "£200,000 more than" in result.message


def test_once_every_other_area_has_submitted_the_shares_must_add_up():
    [short] = icb_results(figures(300 * K, others=500 * K, others_outstanding=0))
    assert not short.passed and "£200,000 is not shared out" in short.message
    [waiting] = icb_results(figures(300 * K, others=500 * K, others_outstanding=1))
    assert waiting.passed
    [exact] = icb_results(figures(500 * K, others=500 * K, others_outstanding=0))
    assert exact.passed


def test_income_from_another_organisation_or_stream_is_not_the_share():
    figs = figures(Decimal(0), others=Decimal(0), others_outstanding=1)
    figs.income = [
        rules.IncomeFigure("adf-icb", "Some council", "2023/24", 5000 * K),
        rules.IncomeFigure("other", ICB, "2023/24", 5000 * K),
    ]
    [result] = icb_results(figs)
    assert result.passed and rules.icb_share(figs, figs.icb_shares[0]) == 0


# --- Live checks: other areas' drafts never count and are never shown ---------------------------


def test_another_areas_draft_share_is_not_counted_until_it_is_submitted(shared):
    plan, _, other, _ = shared
    part = part_two_for_plan(plan)
    recorded = icb_shares_recorded(part)
    assert sum(recorded.totals.values(), Decimal(0)) == 0 and recorded.submitted_areas == frozenset()
    [result] = icb_results(live_figures(part))
    assert result.passed

    submit(other)
    [result] = icb_results(live_figures(part_two_for_plan(plan)))
    assert not result.passed and "£150,000 more than" in result.message


def test_over_allocation_stops_the_income_section_being_completed_and_submission(shared):
    from governance.services import failed_rules

    plan, _, other, _ = shared
    assert not any("ICB" in p for p in section_problems(plan, Section.Table.INCOME))
    submit(other)
    assert any("£150,000 more than" in p for p in section_problems(plan, Section.Table.INCOME))
    assert any(r.key.startswith("icb_share:") for r in failed_rules(plan))


def test_the_exports_and_content_hash_ignore_other_areas_submissions(shared):
    """Another area submitting must not change this plan's files, or void its signatures."""
    from finance.selectors import workbook_content_hash

    plan, _, other, _ = shared
    before = (workbook_content_hash(part_two_for_plan(plan)), part1_document(read_plan_snapshot(plan)))
    submit(other)
    after = (workbook_content_hash(part_two_for_plan(plan)), part1_document(read_plan_snapshot(plan)))
    assert before == after


def test_areas_without_icb_allocations_make_no_extra_queries(bd_plan, django_assert_num_queries):
    plan, _ = bd_plan
    part = part_two_for_plan(plan, finance_only=True)
    with django_assert_num_queries(0):
        assert live_figures(part).icb_shares == []


# --- Pages ---------------------------------------------------------------------------------------


def summary_url(plan):
    return reverse("finance:summary", args=[plan.round.slug, plan.hwb_area.ons_code])


def test_finance_summary_shows_the_icb_allocation_and_the_areas_share(client, shared):
    plan, user, _, _ = shared
    client.force_login(user)
    page = client.get(summary_url(plan)).content.decode()
    assert "ICB allocations shared with other areas" in page
    assert f"Additional CCG contribution from {ICB}" in page
    assert "Shared by Barking and Dagenham, Havering" in page
    assert "£1,000,000.00" in page and "£600,000.00" in page


def test_the_shared_total_does_not_reveal_another_areas_draft(client, shared):
    plan, _, other, havering_user = shared
    client.force_login(havering_user)
    page = client.get(summary_url(other)).content.decode()
    assert "£550,000.00" in page  # Havering's own share
    assert "£600,000.00" not in page  # B&D's draft share
    submit(plan)
    page = client.get(summary_url(other)).content.decode()
    assert "£600,000.00" in page  # now submitted, in the other areas' total
    assert "Barking and Dagenham's share" not in page


def test_another_areas_commissioner_cannot_see_this_plans_share(client, shared):
    plan, _, other, havering_user = shared
    client.force_login(havering_user)
    assert client.get(summary_url(plan)).status_code == 404
    income = reverse("finance:income", args=[plan.round.slug, plan.hwb_area.ons_code])
    assert client.get(income).status_code == 404


# --- PDF, workbook and national dataset ---------------------------------------------------------


def test_the_pdf_content_shows_the_icb_allocation_and_the_areas_share_only(shared):
    plan, _, other, _ = shared
    submit(other)
    [row] = part1_document(read_plan_snapshot(plan))["finance"]["icb_shares"]
    assert row["icb"] == ICB and row["amount"] == 1000 * K and row["share"] == 600 * K
    assert row["others"] is None and row["areas"] == ["Barking and Dagenham", "Havering"]


def test_workbook_shows_the_icb_allocation_and_round_trips_the_share(shared):
    plan, user, _, _ = shared
    data = workbook.render_plan_workbook(plan)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Summary"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    title = next(i for i, row in enumerate(rows) if row[0] == "ICB allocations shared with other areas")
    share = rows[title + 2]
    assert share[:4] == ["Additional CCG contribution", ICB, "2017/18", 1000 * K]
    assert share[4].startswith("=SUMIFS(")
    assert diff_workbook(part_two_for_plan(plan), read_workbook(data, plan)) == []
    assert apply_workbook_import(user=user, plan=plan, data=data) == []

    # The share changed offline comes back as the ICB's income line.
    wb = openpyxl.load_workbook(io.BytesIO(data))
    income = wb["Income"]
    row = next(r for r in range(2, income.max_row + 1) if income.cell(row=r, column=2).value == ICB)
    income.cell(row=row, column=3).value = 450_000
    buffer = io.BytesIO()
    wb.save(buffer)
    assert apply_workbook_import(user=user, plan=plan, data=buffer.getvalue())
    figures = part_two_for_plan(plan).figures
    assert rules.icb_share(figures, figures.icb_shares[0]) == 450 * K


def test_national_dataset_lists_icb_allocations_with_the_submitted_shares(shared):
    plan, _, other, _ = shared
    submit(plan)
    submit(other)
    wb = openpyxl.load_workbook(io.BytesIO(national_dataset(plan.round)))
    rows = list(wb["ICB allocations"].iter_rows(values_only=True))
    assert rows[0][0] == "ICB"
    assert rows[1][:4] == (ICB, "QMF", "Additional CCG contribution", "2017/18")
    assert rows[1][4] == 1000 * K and rows[1][5] == "Barking and Dagenham, Havering"
    assert rows[1][6] == 1150 * K and rows[1][7] == -150 * K


def test_summary_lists_icb_rows_beside_the_round_rules(shared):
    plan, *_ = shared
    summary = finance_summary(part_two_for_plan(plan), live=True)
    assert [r["share"] for r in summary.icb_shares] == [600 * K]
    assert any(r.key.startswith("icb_share:") for r in summary.results)


def test_the_2023_25_round_shares_the_north_east_london_icb_discharge_fund(
    shipped_rounds, client, django_assert_max_num_queries
):
    from finance.models import IncomeLine
    from rounds.models import HwbArea, PlanningRound

    rnd = PlanningRound.objects.get(slug="2023-25")
    bd = Plan.objects.create(round=rnd, hwb_area=HwbArea.objects.get(ons_code="E09000002"))
    havering = Plan.objects.create(
        round=rnd, hwb_area=HwbArea.objects.get(ons_code="E09000016"), status=Plan.Status.SUBMITTED
    )
    icb = Organisation.objects.get(code="QMF", kind=Organisation.Kind.ICB)
    stream, year = rnd.funding_streams.get(key="adf-icb"), rnd.years.get(label="2023/24")
    IncomeLine.objects.create(plan=havering, funding_stream=stream, organisation=icb, year=year, amount=4_000_000)
    IncomeLine.objects.create(plan=bd, funding_stream=stream, organisation=icb, year=year, amount=3_000_000)

    problems = section_problems(bd, Section.Table.INCOME)
    assert any("£616,000 more than the ICB's allocation of £6,384,000" in p for p in problems)

    user = _add_commissioner(bd.hwb_area)
    client.force_login(user)
    client.get(summary_url(bd))  # warm the round's cached configuration
    with django_assert_max_num_queries(11):  # the summary's 10, plus the other areas' submitted total
        page = client.get(summary_url(bd)).content.decode()
    assert "£6,384,000.00" in page and "£3,000,000.00" in page and "£4,000,000.00" in page


def test_the_pdf_shows_the_icb_allocation_beside_the_income(shared):
    from governance.pdf import part1_html

    plan, *_ = shared
    html = part1_html(read_plan_snapshot(plan))
    assert "ICB allocations shared with other areas" in html
    assert f"Additional CCG contribution from {ICB}" in html and "Shared by Barking and Dagenham, Havering" in html
    assert "£1,000,000.00" in html and "£600,000.00" in html
    assert "£550,000.00" not in html  # never another area's share


def test_the_income_page_shows_the_icb_allocation_to_share(client, shared):
    plan, user, _, _ = shared
    client.force_login(user)
    page = client.get(reverse("finance:income", args=[plan.round.slug, plan.hwb_area.ons_code])).content.decode()
    assert f"Additional CCG contribution from {ICB} (ICB allocation shared with other areas" in page
    assert "£1,000,000.00" in page


def test_the_import_preview_checks_the_shares_live(shared):
    from finance.workbook_import import figures_of_import

    plan, _, other, _ = shared
    data = workbook.render_plan_workbook(plan)
    submit(other)
    figures = figures_of_import(part_two_for_plan(plan), read_workbook(data, plan))
    [result] = icb_results(figures)
    assert not result.passed and "£150,000 more than" in result.message
