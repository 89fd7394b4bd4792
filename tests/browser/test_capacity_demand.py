"""Capacity and demand in Chromium: a commissioner fills every service type and month of the 2025-26
table, sees the totals and the shortfalls, and the pages pass axe."""

import pytest

from accounts.models import Membership
from capacity import selectors
from rounds.loader import load_round, rounds_dir
from rounds.models import HwbArea
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import DEMO_PASSWORD, MembershipFactory, PlanFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_commissioner_fills_every_service_type_and_month(live_server, page):
    rnd = load_round(rounds_dir() / "2025-26.yaml")
    area = HwbArea.objects.get(ons_code="E06000026")
    plan = PlanFactory(round=rnd, hwb_area=area)
    user = MembershipFactory(hwb_area=area, role=Membership.Role.COMMISSIONER).user
    definition = selectors.definition_for_plan(plan)
    base = f"{live_server.url}/plans/2025-26/E06000026"
    sign_in(page, live_server.url, user.email, DEMO_PASSWORD)

    page.goto(f"{base}/")
    page.get_by_role("link", name="Capacity and demand for intermediate and short-term care").click()
    page.wait_for_url("**/capacity-demand/")
    assert_no_axe_violations(page, "capacity and demand table")

    expected = {}
    for n, block in enumerate(definition.blocks):
        page.goto(f"{base}/capacity-demand/")
        page.get_by_role("link", name=f"Change the figures for {block.label}").click()
        page.wait_for_url(f"**/capacity-demand/{block.key}/")
        if n == 0:
            assert_no_axe_violations(page, "capacity and demand form")
        for r, row in enumerate(block.rows):
            for m, period in enumerate(definition.periods):
                demand, capacity = 20 + r + m, 21 + r - m  # capacity falls short from the third month
                page.get_by_label(f"{definition.demand_label} for {row.label}, {period}", exact=True).fill(str(demand))
                page.get_by_label(f"{definition.capacity_label} for {row.label}, {period}", exact=True).fill(
                    str(capacity)
                )
                expected[(row.key, period)] = (demand, capacity)
        page.get_by_role("button", name="Save figures").click()
        page.wait_for_url("**/capacity-demand/")
        assert f"The figures for ‘{block.label}’ have been saved." in page.inner_text(".govuk-notification-banner")

    assert selectors.figures_for_plans([plan.pk])[plan.pk] == expected
    table = page.locator("#capacity-discharge")
    assert table.locator(".app-capacity-short").count() > 0
    first = definition.blocks[0].rows[0]
    row_total = sum(20 + m for m in range(len(definition.periods)))
    assert str(row_total) in table.locator("tr", has_text=first.label).first.inner_text()
    assert_no_axe_violations(page, "capacity and demand table, filled")

    page.goto(f"{base}/")
    section = page.locator("li", has_text="Capacity and demand for intermediate and short-term care").first
    assert "In progress" in section.inner_text()


def test_a_figure_that_is_not_a_whole_number_is_shown_against_its_cell(live_server, page):
    rnd = load_round(rounds_dir() / "2025-26.yaml")
    area = HwbArea.objects.get(ons_code="E06000026")
    PlanFactory(round=rnd, hwb_area=area)
    user = MembershipFactory(hwb_area=area, role=Membership.Role.COMMISSIONER).user
    sign_in(page, live_server.url, user.email, DEMO_PASSWORD)

    page.goto(f"{live_server.url}/plans/2025-26/E06000026/capacity-demand/community/")
    label = "Demand (people referred) for Urgent community response, May 2025"
    page.get_by_label(label, exact=True).fill("twelve")
    page.get_by_role("button", name="Save figures").click()
    page.wait_for_load_state()

    assert "There is a problem" in page.inner_text(".govuk-error-summary")
    assert f"Enter {label} as a whole number from 0 to 1,000,000" in page.inner_text(".govuk-error-message")
    assert page.get_by_label(label, exact=True).input_value() == "twelve"
    assert_no_axe_violations(page, "capacity and demand form with an error")
