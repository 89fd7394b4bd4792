"""A Part 2 section is completed only when the round's rules for it hold (issue 14, item 12).

Every way of marking a section completed goes through the same check under the plan's lock: the
income, expenditure and metrics pages, the generic section page, and the services themselves.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bench.seed import seed_national_dataset
from finance import services as finance_services
from finance.models import IncomeLine
from finance.selectors import finance_summary, part_two_for_plan, section_problems
from metrics.selectors import ambition_problems
from plans import services as plan_services
from plans.models import Plan, SectionProgress
from rounds.models import HwbArea, PlanningRound, Section
from tests import factories as f

pytestmark = pytest.mark.django_db
PART_TWO = {"income": "finance:income", "expenditure": "finance:expenditure", "metrics": "metrics:ambitions"}


def status(plan, table):
    progress = SectionProgress.objects.filter(plan=plan, section__table=table).first()
    return progress.status if progress else "not_started"


@pytest.fixture
def empty_plan(shipped_rounds):
    """Havering's 2017–19 plan with nothing in Part 2 yet (its published minimums are in the round), and its commissioner."""
    area = HwbArea.objects.get(ons_code="E09000016")
    plan = Plan.objects.create(round=PlanningRound.objects.get(slug="2017-19"), hwb_area=area)
    return plan, f.MembershipFactory(hwb_area=area).user


def test_an_empty_part_two_cannot_be_marked_completed(empty_plan, client):
    plan, commissioner = empty_plan
    client.force_login(commissioner)
    kwargs = {"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code}
    expected = {
        "income": [
            "The pooled budget for 2017/18 is £0, which is below the minimum of £22,940,000",
            "Income from CCG minimum contribution in 2017/18 is £0, which is below its minimum contribution of £16,046,000",
        ],
        "expenditure": [
            "Expenditure in 2017/18 totals £0: enter the income to the pooled budget, then the planned spend"
        ],
        "metrics": ["Enter an ambition for the metric ‘Non-elective admissions (general and acute)’"],
    }
    for table, url_name in PART_TWO.items():
        response = client.post(reverse(url_name, kwargs=kwargs), {"action": "complete"})
        html = response.content.decode()
        assert response.status_code == 400, table
        assert "There is a problem" in html and "This section cannot be marked as completed yet" in html
        for message in expected[table]:
            assert message in html, (table, message)
        assert status(plan, table) == "not_started"

        # The section page the task list does not link to cannot complete it either.
        section = Section.objects.get(round=plan.round, table=table)
        generic = reverse("plans:section", kwargs={**kwargs, "section_key": section.key})
        assert "Mark this section as completed" not in client.get(generic).content.decode()
        client.post(generic, {"action": "complete"})
        assert status(plan, table) == "not_started"
        with pytest.raises(ValidationError):
            plan_services.complete_section(user=commissioner, plan=plan, section=section)

    overview = client.get(reverse("plans:plan_overview", kwargs=kwargs)).content.decode()
    assert "0 of " in overview
    # The finance checks no longer pass with £0 spend against the pool.
    results = finance_summary(part_two_for_plan(plan)).results
    assert any(not r.passed and r.key == "minimum_pool" for r in results)
    assert any(not r.passed and r.key == "spend_accounts_for_pool" for r in results)


def test_expenditure_must_account_for_the_pooled_budget_and_income_meet_each_minimum(empty_plan):
    plan, commissioner = empty_plan
    council = plan.hwb_area.organisations.get(kind="local_authority")
    year = plan.round.years.get(label="2017/18")
    stream = plan.round.funding_streams.get(key="ccg-minimum")
    IncomeLine.objects.create(plan=plan, funding_stream=stream, organisation=council, year=year, amount=36_500_000)

    income = section_problems(plan, Section.Table.INCOME)
    assert (
        "Income from Disabled Facilities Grant in 2017/18 is £0, which is below its minimum contribution of £1,198,000"
        in income
    )
    assert not any("CCG minimum contribution in 2017/18" in p for p in income)  # that one is met
    assert (
        "Expenditure in 2017/18 totals £0; it must account for the pooled budget of £36,500,000 "
        "(£36,500,000 is not yet planned)"
    ) in section_problems(plan, Section.Table.EXPENDITURE)
    section = Section.objects.get(round=plan.round, table=Section.Table.EXPENDITURE)
    with pytest.raises(ValidationError) as refused:
        plan_services.complete_section(user=commissioner, plan=plan, section=section)
    assert "it must account for the pooled budget of £36,500,000" in " ".join(refused.value.messages)


def test_a_completed_section_whose_rules_break_goes_back_to_in_progress(demo_data, client):
    plan = Plan.objects.select_related("round", "hwb_area").get(hwb_area__ons_code="E09000002")
    commissioner = plan.hwb_area.memberships.filter(role="commissioner").first().user
    assert (status(plan, "income"), status(plan, "expenditure")) == ("completed", "completed")
    line = IncomeLine.objects.filter(plan=plan, funding_stream__key="dfg").first()

    finance_services.remove_income_line(user=commissioner, plan=plan, line=line, version=line.version)

    # Income now misses the DFG minimum, and spend from the DFG exceeds its income.
    assert (status(plan, "income"), status(plan, "expenditure")) == ("in_progress", "in_progress")
    client.force_login(commissioner)
    response = client.post(reverse("finance:income", kwargs={"round_slug": "2017-19", "ons_code": "E09000002"}))
    assert response.status_code == 400
    assert "Income from Disabled Facilities Grant in 2017/18 is £0, which is below its minimum contribution" in (
        response.content.decode()
    )


def test_a_part_two_that_meets_the_rules_can_be_completed(demo_data, client):
    plan = Plan.objects.select_related("round", "hwb_area").get(hwb_area__ons_code="E09000002")
    commissioner = plan.hwb_area.memberships.filter(role="commissioner").first().user
    assert ambition_problems(plan) == []  # every metric of the round has its ambition
    client.force_login(commissioner)
    for table, url_name in PART_TWO.items():
        response = client.post(reverse(url_name, kwargs={"round_slug": "2017-19", "ons_code": "E09000002"}))
        assert response.status_code == 302, (table, response.content.decode()[:3000])
        assert status(plan, table) == "completed"


def test_demo_and_bench_plans_complete_only_sections_whose_rules_hold(demo_data):
    seed_national_dataset(password="bench-password-1", areas=2)
    checks = {
        Section.Table.INCOME: lambda p: section_problems(p, Section.Table.INCOME),
        Section.Table.EXPENDITURE: lambda p: section_problems(p, Section.Table.EXPENDITURE),
        Section.Table.METRICS: ambition_problems,
    }
    completed = SectionProgress.objects.filter(status="completed", section__table__in=list(checks)).select_related(
        "plan__round", "plan__hwb_area", "section"
    )
    seen = set()
    for progress in completed:
        assert checks[progress.section.table](progress.plan) == [], (str(progress.plan), progress.section.table)
        seen.add((progress.plan.hwb_area.ons_code, progress.section.table))
    # Barking and Dagenham's demo plan and every bench plan have completed finance sections.
    assert {("E09000002", "income"), ("E09000002", "expenditure")} <= seen
    assert sum(1 for ons, table in seen if ons.startswith("E99") and table == "metrics") == 2


def test_metric_ambition_needs_a_baseline_and_every_period(demo_data):
    plan = Plan.objects.select_related("round", "hwb_area").get(hwb_area__ons_code="E06000026")  # Plymouth
    problems = ambition_problems(plan)
    assert problems, "Plymouth's demo plan leaves two metrics without an ambition"
    assert all(p.startswith("Enter ") and "for the metric ‘" in p for p in problems)
    section = Section.objects.get(round=plan.round, table=Section.Table.METRICS)
    commissioner = plan.hwb_area.memberships.filter(role="commissioner").first().user
    with pytest.raises(ValidationError):
        plan_services.complete_section(user=commissioner, plan=plan, section=section)
    assert status(plan, "metrics") == "in_progress"
