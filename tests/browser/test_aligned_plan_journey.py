"""Aligned plans in Chromium (issue 19): three demo boroughs write one shared narrative.

A national administrator sets up the Barking and Dagenham, Havering and Redbridge group on the
group page (two plans at once); Redbridge joins by its own commissioner entering an invitation code.
Havering's commissioner writes the shared vision once; it shows in all three plans and all three
Part 1 PDFs (real WeasyPrint, read with pypdf), and the change voids the signatures of all three.
Redbridge adds a local addendum that only its own plan shows. Finance and sign-off stay per area.
"""

import io
import re

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import User
from demo.loader import load_demo
from finance.models import IncomeLine
from governance.models import SignOff
from governance.pdf import render_plan_pdf
from governance.snapshots import plan_content_hash
from plans import groups
from plans.models import Plan, PlanGroup, SharedAnswer
from rounds.models import SignOffSlot
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.browser.people import sign_the_plan
from tests.factories import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUND = "2017-19"
BARKING, HAVERING, REDBRIDGE = "E09000002", "E09000016", "E09000026"
GROUP_NAME = "BHR aligned plan 2017–19"
SHARED_VISION = (
    "Barking and Dagenham, Havering and Redbridge will run one integrated care partnership by 2019, "
    "with three borough pools aligned under one joint commissioning board."
)
ADDENDUM = "Redbridge adds a carers' hub in Ilford to the shared model."


def _pdf_text(plan: Plan) -> str:
    pdf = render_plan_pdf(plan)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", text)


def _switch_user(page, base, email):
    page.context.clear_cookies()
    sign_in(page, base, email, DEMO_PASSWORD)


def _plans() -> dict[str, Plan]:
    return {
        p.hwb_area.ons_code: p
        for p in Plan.objects.filter(round__slug=ROUND).select_related("hwb_area", "round", "group")
    }


def _sign_every_plan(plans):
    """Each board's chair has signed their own plan's current content (as the workflow records it)."""
    for plan in plans.values():
        Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.READY_FOR_SIGNOFF)
        slot = SignOffSlot.objects.get(round=plan.round, code="hwb")
        SignOff.objects.create(
            plan=plan,
            slot=slot,
            signatory_name="Chair",
            position="Chair of the Health and Wellbeing Board",
            content_hash=plan_content_hash(plan),
        )


def test_three_boroughs_write_a_shared_vision_once_with_their_own_finance_and_signoff(page, live_server):
    load_demo(workflow=False)
    User.objects.filter(email__endswith=".demo").update(password=make_password(DEMO_PASSWORD))
    admin = User.objects.get(email="admin@bcf.demo")
    # Start from three separate plans: the demo's group is dissolved, each keeping its narrative.
    for plan in _plans().values():
        if plan.group_id:
            groups.leave_group(user=admin, plan=plan)
    PlanGroup.objects.filter(round__slug=ROUND).delete()
    income_before = {
        code: sorted(IncomeLine.objects.filter(plan=p).values_list("pk", "amount")) for code, p in _plans().items()
    }
    base = live_server.url

    # The national administrator sets up the group from Barking and Dagenham's plan, with Havering.
    _switch_user(page, base, "admin@bcf.demo")
    page.goto(f"{base}/plans/{ROUND}/{BARKING}/group/")
    assert_no_axe_violations(page, "group page, not yet grouped")
    page.get_by_label("Name of the group").fill(GROUP_NAME)
    page.get_by_label("Havering").check()
    page.get_by_role("button", name="Set up the group").click()
    expect(page.locator("[data-group-name]")).to_have_text(GROUP_NAME)
    expect(page.locator("[data-group-member]")).to_have_count(2)

    # Barking and Dagenham's commissioner invites Redbridge; Redbridge's own commissioner accepts.
    _switch_user(page, base, "commissioner@barking-dagenham.demo")
    page.goto(f"{base}/plans/{ROUND}/{BARKING}/group/")
    page.get_by_label("Area to invite").select_option(label="Redbridge")
    page.get_by_role("button", name="Get an invitation code").click()
    code = page.locator("[data-invitation-code]").inner_text().strip()
    assert_no_axe_violations(page, "group page with an invitation")
    _switch_user(page, base, "commissioner@redbridge.demo")
    page.goto(f"{base}/plans/{ROUND}/{REDBRIDGE}/group/")
    page.get_by_label("Invitation code").fill(code)
    page.get_by_role("button", name="Join the group").click()
    expect(page.locator("[data-group-member]")).to_have_count(3)
    plans = _plans()
    assert {p.group.name for p in plans.values() if p.group} == {GROUP_NAME} and len(plans) == 3

    # Every plan is signed; Havering's commissioner then changes the shared vision, once.
    _sign_every_plan(plans)
    _switch_user(page, base, "commissioner@havering.demo")
    page.goto(f"{base}/plans/{ROUND}/{HAVERING}/sections/vision/")
    expect(page.locator("[data-shared-answer] [data-shared-with]")).to_contain_text(
        "Shared with Barking and Dagenham, Havering, Redbridge"
    )
    page.get_by_role("link", name="Change the shared text").click()
    assert_no_axe_violations(page, "shared text page")
    page.locator("textarea[name='q_vision']").fill(SHARED_VISION)
    page.get_by_role("button", name="Save the shared text").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("saved for every plan in the group")
    expect(page.locator("[data-shared-text]")).to_contain_text("one integrated care partnership")
    expect(page.locator("[data-shared-changed]")).to_contain_text("Last changed by")
    assert_no_axe_violations(page, "section page with shared text")
    save_screenshot(page, "aligned-plan-shared-section")
    assert SharedAnswer.objects.filter(group__name=GROUP_NAME, question__key="vision").get().text == SHARED_VISION

    # One change voided the signatures of all three plans, and each is a draft again.
    assert not SignOff.objects.filter(plan__in=plans.values(), voided_at__isnull=True).exists()
    assert SignOff.objects.filter(plan__in=plans.values(), voided_at__isnull=False).count() == 3
    assert {p.status for p in _plans().values()} == {Plan.Status.DRAFT}

    # Redbridge adds a local addendum, on its own plan's section page.
    _switch_user(page, base, "commissioner@redbridge.demo")
    page.goto(f"{base}/plans/{ROUND}/{REDBRIDGE}/sections/vision/")
    expect(page.locator("[data-shared-text]")).to_contain_text("one integrated care partnership")
    page.locator("textarea[name='q_vision']").fill(ADDENDUM)
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your changes have been saved")
    page.goto(f"{base}/plans/{ROUND}/{REDBRIDGE}/check-your-answers/")
    expect(page.locator("[data-shared-label]").first).to_contain_text(f"Shared text of {GROUP_NAME}")
    expect(page.locator("main")).to_contain_text(ADDENDUM)

    # The shared text shows in all three plans' pages and Part 1 PDFs; the addendum only in Redbridge's.
    _switch_user(page, base, "admin@bcf.demo")
    for code, plan in _plans().items():
        page.goto(f"{base}/plans/{ROUND}/{code}/sections/vision/")
        expect(page.locator("[data-shared-text]")).to_contain_text("one integrated care partnership")
        text = _pdf_text(plan)
        assert SHARED_VISION in text, f"{plan}: the shared vision is not in its PDF"
        assert (ADDENDUM in text and "Local addendum" in text) == (code == REDBRIDGE), plan

    # The national view names each plan's group.
    page.goto(f"{base}/national/rounds/{ROUND}/progress/")
    expect(page.locator("[data-plan-group]")).to_have_count(3)

    # Finance stays per area: each borough's own income, untouched, on its own pages.
    assert {
        code: sorted(IncomeLine.objects.filter(plan=p).values_list("pk", "amount")) for code, p in _plans().items()
    } == income_before
    page.goto(f"{base}/plans/{ROUND}/{HAVERING}/finance/income/")
    expect(page.locator("main")).to_contain_text("NHS Havering CCG")
    expect(page.locator("main")).not_to_contain_text("NHS Barking and Dagenham CCG")

    # Sign-off stays per area: Havering's chair signs Havering's plan, and no other.
    Plan.objects.filter(pk=plans[HAVERING].pk).update(status=Plan.Status.READY_FOR_SIGNOFF)
    _switch_user(page, base, "hwb.signatory@havering.demo")
    page.goto(f"{base}/plans/{ROUND}/{HAVERING}/governance/")
    sign_the_plan(page, name="Cllr Margaret Ellis", position="Chair of the Health and Wellbeing Board")
    valid = SignOff.objects.filter(plan__in=plans.values(), voided_at__isnull=True)
    assert list(valid.values_list("plan__hwb_area__ons_code", flat=True)) == [HAVERING]
    # Being in one group does not open another member's plan: Havering's chair cannot read Barking's.
    assert page.goto(f"{base}/plans/{ROUND}/{BARKING}/").status == 404
