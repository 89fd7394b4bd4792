"""The plan's whole life through the pages, in Chromium.

A commissioner's plan is complete (its sections were completed through the services, for speed);
from there every step is done in the browser: the commissioner sends it for sign-off, the three
signatories sign (one under delegation), the commissioner submits, an assurer rates every key
line of enquiry, comments on a section and approves with conditions, and the commissioner sees
the outcome, the conditions and the comment. Every workflow page is scanned with axe-core.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import KloeRating, PlanEvent, SignOff, Submission
from plans.models import Plan
from rounds.models import KeyLineOfEnquiry
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD
from tests.governance.workflow_plans import build_workflow_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watched_page(page):
    """Fail the test on any uncaught script error or console error (CSP violations report there)."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(f"console {message.type}: {message.text}") if message.type == "error" else None,
    )
    yield page
    assert not problems, "\n".join(problems)


def _switch_user(page, base, email):
    page.context.clear_cookies()
    sign_in(page, base, email, DEMO_PASSWORD)


def _fill_date(page, name, day, month, year):
    for part, value in (("day", day), ("month", month), ("year", year)):
        page.locator(f"input[name='{name}_{part}']").fill(value)


def test_plan_is_signed_submitted_assured_and_approved_with_conditions(watched_page, live_server):
    page = watched_page
    cast = build_workflow_plan()
    plan = cast.plan
    base = live_server.url
    status_url = f"{base}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/governance/"
    today = timezone.localdate()  # no one signs before the plan existed, or in the future
    due = today + datetime.timedelta(days=90)  # a condition falls due after the decision

    # The commissioner sends the completed plan for sign-off.
    _switch_user(page, base, cast.commissioner.email)
    page.goto(status_url)
    expect(page.locator("#plan-status")).to_contain_text("Draft")
    assert_no_axe_violations(page, "plan status (draft)")
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("sent for sign-off")
    expect(page.locator("#plan-status")).to_contain_text("Ready for sign-off")

    # The three signatories sign their own slots; the HWB chair signs under delegation.
    for code, position in (("hwb", "Chair"), ("council", "Chief Executive"), ("ccg", "Accountable Officer")):
        signatory = cast.signatories[code]
        _switch_user(page, base, signatory.email)
        page.goto(status_url)
        sign_links = page.locator("#signoffs a", has_text="Sign")
        expect(sign_links).to_have_count(1)
        sign_links.click()
        expect(page.get_by_label("Full name")).to_have_value(signatory.full_name)
        if code == "hwb":
            assert_no_axe_violations(page, "sign form")
        page.get_by_label("Position").fill(position)
        _fill_date(page, "signed_on", str(today.day), str(today.month), str(today.year))
        if code == "hwb":
            page.get_by_label("Yes").check()
            page.get_by_role("button", name="Sign the plan").click()
            expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the body that delegated the sign-off")
            assert_no_axe_violations(page, "sign form with errors")
            page.get_by_label("Delegating body").fill("Barking and Dagenham Health and Wellbeing Board")
            _fill_date(page, "delegation_date", str(today.day), str(today.month), str(today.year))
            page.get_by_label("Minute reference").fill("HWB 17/23")
        page.get_by_role("button", name="Sign the plan").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed the plan")

    expect(page.locator("#plan-status")).to_contain_text("Signed off")
    expect(page.locator("#signoffs")).to_contain_text(
        "Under delegation from Barking and Dagenham Health and Wellbeing Board"
    )
    assert SignOff.objects.filter(plan=plan, voided_at__isnull=True).count() == 3

    # The commissioner submits.
    _switch_user(page, base, cast.commissioner.email)
    page.goto(status_url)
    assert_no_axe_violations(page, "plan status (signed off)")
    page.get_by_role("link", name="Submit the plan").click()
    assert_no_axe_violations(page, "submit page")
    page.get_by_role("button", name="Submit the plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Version 1 of the plan has been submitted"
    )
    expect(page.locator("#plan-status")).to_contain_text("Submitted")
    expect(page.locator("#submissions")).to_contain_text("Part 1 PDF")
    submission = Submission.objects.get(plan=plan)

    # The assurer finds the plan on their dashboard, rates every KLOE, comments and decides.
    _switch_user(page, base, cast.assurer.email)
    page.goto(f"{base}/assurance/")
    assert_no_axe_violations(page, "assurance dashboard")
    expect(page.locator("#plans")).to_contain_text("Barking and Dagenham")
    page.locator("#plans").get_by_role("link", name="Barking and Dagenham").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review Barking and Dagenham, version 1")
    assert_no_axe_violations(page, "review page")
    pdf = page.request.get(base + page.get_by_role("link", name="Part 1 PDF").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF-")

    kloes = list(KeyLineOfEnquiry.objects.filter(round=plan.round).order_by("order"))
    ratings_form = page.locator("#ratings-form")
    for kloe in kloes:
        group = ratings_form.locator("fieldset", has_text=f"{kloe.code} {kloe.title}")
        group.get_by_label("Met", exact=True).check()
        ratings_form.get_by_label(f"Comment on {kloe.code}").fill(f"{kloe.code}: the evidence is clear.")
    ratings_form.get_by_role("button", name="Save ratings").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your ratings have been saved")
    assert KloeRating.objects.filter(review__submission=submission, rating="met").count() == len(kloes)

    comment_form = page.locator("#comment-form")
    comment_form.get_by_label("Section").select_option(label="a) Vision for health and care services")
    comment_form.get_by_label("Comment").fill("Say more about how housing services are involved.")
    comment_form.get_by_role("button", name="Add comment").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your comment has been added")

    decision = page.locator("#decision-form")
    decision.get_by_label("Approved with conditions").check()
    decision.get_by_label("Summary for the decision letter").fill("A sound, jointly owned plan.")
    decision.get_by_label("Condition 1", exact=True).fill("Agree the Disabled Facilities Grant plan with housing.")
    _fill_date(page, "condition_1_due", str(due.day), str(due.month), str(due.year))
    decision.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Approved with conditions")

    # The commissioner sees the outcome, the conditions and the assurer's comment.
    _switch_user(page, base, cast.commissioner.email)
    page.goto(status_url)
    expect(page.locator("#plan-status")).to_contain_text("Approved with conditions")
    expect(page.locator("#outcome")).to_contain_text("Approved with conditions")
    expect(page.locator("#conditions")).to_contain_text("Agree the Disabled Facilities Grant plan with housing.")
    expect(page.locator("#conditions")).to_contain_text(f"{due:%-d %B %Y}")
    expect(page.get_by_text("Say more about how housing services are involved.")).to_be_visible()
    assert_no_axe_violations(page, "plan status (approved with conditions)")
    save_screenshot(page, "workflow-outcome")
    letter = page.request.get(
        base + page.get_by_role("link", name="Download the decision letter (PDF)").get_attribute("href")
    )
    assert letter.ok and letter.body().startswith(b"%PDF-")

    plan.refresh_from_db()
    assert plan.status == Plan.Status.APPROVED_WITH_CONDITIONS
    actions = list(PlanEvent.objects.filter(plan=plan).order_by("id").values_list("action", flat=True))
    assert actions == [
        "send_for_signoff",
        "signed",
        "signed",
        "signed",
        "complete_signoff",
        "submit",
        "start_review",
        "kloes_rated",
        "section_commented",
        "decide",
    ]


def test_versions_national_view_and_dashboard_filters_are_accessible(watched_page, live_server):
    """Two submitted versions (made through the services), then the read-only pages in the browser."""
    from governance import services
    from tests.governance.conftest import submit

    page = watched_page
    cast = build_workflow_plan()
    plan = cast.plan
    submit(cast)
    services.return_for_changes(user=cast.assurer, plan=plan, comment="Say more about the vision.")
    answer = plan.answers.get(question__key="vision")
    answer.text += "\nWe will also keep people out of hospital."
    answer.save()
    submit(cast)
    base = live_server.url

    _switch_user(page, base, cast.commissioner.email)
    page.goto(f"{base}/plans/{plan.round.slug}/{plan.hwb_area.ons_code}/governance/")
    page.get_by_role("link", name="Compare versions").click()
    expect(page.locator("ins", has_text="We will also keep people out of hospital.")).to_be_visible()
    assert_no_axe_violations(page, "versions compare")

    _switch_user(page, base, cast.assurer.email)
    page.goto(f"{base}/assurance/")
    page.get_by_label("Status").select_option(label="Approved")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#plans caption")).to_contain_text("0 plans")
    page.get_by_label("Status").select_option(label="Submitted")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#plans")).to_contain_text("Barking and Dagenham")
    assert_no_axe_violations(page, "assurance dashboard filtered")

    _switch_user(page, base, cast.national_admin.email)
    page.goto(f"{base}/national/?round={plan.round.slug}")
    expect(page.locator("#status-by-region")).to_contain_text("London")
    expect(page.locator("#pooled-table")).to_contain_text("£45,994,000")
    expect(page.locator("svg.app-chart__svg").first).to_be_visible()
    assert_no_axe_violations(page, "national view")
    save_screenshot(page, "national-view")
    dataset = page.request.get(
        base + page.get_by_role("link", name="Download the national dataset").get_attribute("href")
    )
    assert dataset.ok and dataset.body().startswith(b"PK")
