"""A 2023-25 plan's 2024/25 planning update through the pages, in Chromium.

Barking and Dagenham's plan in the shipped 2023-25 round is approved through the services (for
speed); from there every step is in the browser: a national administrator starts the 2024/25
planning update, the commissioner finds the update's sections pre-filled from the approved plan,
fills and completes them and sends the update for sign-off, the three signatories sign it, the
commissioner submits it, and the assurer rates it and records the outcome. The plan's page then
lists both submissions, the plan and its update.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import SignOff, Submission
from plans.models import Plan
from rounds.models import KeyLineOfEnquiry
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.factories import DEMO_PASSWORD
from tests.governance.phased_plans import SLOT_ROLES, approved_2023_25_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _switch_user(page, base, email):
    page.context.clear_cookies()
    sign_in(page, base, email, DEMO_PASSWORD)


def _complete_every_section_of_the_update(page, base, overview):
    """Each task-list item: write in any empty answer, then mark the section completed."""
    page.goto(overview)
    hrefs = [link.get_attribute("href") for link in page.locator("a.govuk-task-list__link").all()]
    assert len(hrefs) == 5
    for href in hrefs:
        page.goto(base + href)
        for field in page.locator("main textarea:visible").all():
            if not field.input_value().strip():
                field.fill("Two more reablement teams from October 2024, and a step-up bed base.")
        if not page.get_by_role("button", name="Mark this section as completed").count():
            key = href.rstrip("/").rsplit("/", 1)[-1]
            page.goto(f"{overview}sections/{key}/")  # a Part 2 page without its own button
        page.get_by_role("button", name="Mark this section as completed").click()
        page.wait_for_load_state()
        expect(page.locator(".govuk-error-summary")).to_have_count(0)
    page.goto(overview)
    expect(page.locator("#completed-count")).to_contain_text("5 of 5 sections completed")


def test_an_approved_2023_25_plan_moves_to_its_planning_update_which_is_signed_submitted_and_assured(page, live_server):
    cast, update = approved_2023_25_plan()
    plan = cast.plan
    base = live_server.url
    overview = f"{base}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/"
    status_url = f"{overview}governance/"
    today = timezone.localdate()

    # A national administrator starts the update.
    _switch_user(page, base, cast.national_admin.email)
    page.goto(status_url)
    expect(page.locator("#plan-phase")).to_have_text("Plan")
    page.get_by_role("button", name="Start the 2024/25 planning update").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("moved to its next phase")
    expect(page.locator("#plan-phase")).to_have_text("2024/25 planning update")
    expect(page.locator("#plan-status")).to_contain_text("Draft")
    assert_no_axe_violations(page, "plan status (planning update started)")

    # The commissioner fills in the update's sections, which start from the approved plan.
    _switch_user(page, base, cast.commissioner.email)
    page.goto(overview)
    expect(page.locator("#phase-note")).to_contain_text("2024/25 planning update")
    expect(page.locator("#completed-count")).to_contain_text("0 of 5 sections completed")
    assert_no_axe_violations(page, "planning update task list")
    page.get_by_role("link", name="What has changed for 2024/25").click()
    expect(page.get_by_label("Executive summary", exact=True)).to_have_value(
        "Home first: people stay well and independent at home."
    )
    _complete_every_section_of_the_update(page, base, overview)
    page.goto(status_url)
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.locator("#plan-status")).to_contain_text("Ready for sign-off")

    # The signatories sign the update.
    for code, position in SLOT_ROLES.items():
        _switch_user(page, base, cast.signatories[code].email)
        page.goto(status_url)
        page.get_by_role("link", name="Read and sign the plan").click()
        page.get_by_label("Position").fill(position)
        for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
            page.locator(f"input[name='signed_on_{part}']").fill(str(value))
        page.get_by_role("button", name="Sign the plan").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed the plan")
    expect(page.locator("#plan-status")).to_contain_text("Signed off")
    signatures = SignOff.objects.filter(plan=plan, voided_at__isnull=True)
    assert signatures.count() == 3 and len({s.content_hash for s in signatures}) == 1

    # The commissioner submits the update: version 2, beside the approved version 1.
    _switch_user(page, base, cast.commissioner.email)
    page.goto(status_url)
    page.get_by_role("link", name="Submit the plan").click()
    page.get_by_role("button", name="Submit the plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Version 2 of the plan has been submitted"
    )
    expect(page.locator("#submissions tbody tr")).to_have_count(2)

    # The assurer reviews the update and records the outcome.
    _switch_user(page, base, cast.assurer.email)
    page.goto(f"{status_url}review/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 2")
    ratings = page.locator("#ratings-form")
    for kloe in KeyLineOfEnquiry.objects.filter(round=plan.round).order_by("order"):
        ratings.locator("fieldset", has_text=f"{kloe.code} {kloe.title}").get_by_label("Met", exact=True).check()
    ratings.get_by_role("button", name="Save ratings").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your ratings have been saved")
    decision = page.locator("#decision-form")
    decision.get_by_label("Approved", exact=True).check()
    decision.get_by_label("Summary for the decision letter").fill("The update keeps the plan on track.")
    decision.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Approved")

    page.goto(status_url)
    expect(page.locator("#plan-status")).to_contain_text("Approved")
    rows = page.locator("#submissions tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("2024/25 planning update")
    expect(rows.nth(0)).to_contain_text("Approved")
    expect(rows.nth(1)).to_contain_text("Plan")
    assert_no_axe_violations(page, "plan status (update approved)")

    plan.refresh_from_db()
    assert (plan.status, plan.version, plan.phase) == (Plan.Status.APPROVED, 2, update)
    kept = {s.version: s for s in Submission.objects.filter(plan=plan)}
    assert (kept[1].phase, kept[2].phase) == (None, update)
    assert kept[1].snapshot["plan"]["phase_name"] == "Plan"
    assert kept[2].snapshot["plan"]["phase_name"] == "2024/25 planning update"
