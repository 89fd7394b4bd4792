"""Signing content one has not seen, in Chromium (issue 14, item 4).

A signatory opens the sign page; meanwhile a commissioner edits the plan and sends it for
sign-off again (through the services). The signatory's old form signs nothing: the page says
the plan changed, shows what changed, keeps what they typed, and they sign again.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from governance import services
from governance.models import SignOff
from governance.snapshots import plan_content_hash
from plans import services as plan_services
from rounds.models import Question
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.factories import DEMO_PASSWORD
from tests.governance.workflow_plans import build_workflow_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A vision of real length: six paragraphs, one of which the commissioner rewrites.
PARAGRAPHS = [
    "By 2019 people in Barking and Dagenham will be supported to live independently in their own homes for "
    "longer, with health and care services built around them rather than around organisations.",
    "Three locality teams will bring together GPs, community nurses, social workers and therapists, each "
    "serving a population of about 70,000 and sharing one care record.",
    "Hospital discharge will be planned from the day of admission, with reablement available seven days a "
    "week so that no one waits in a hospital bed for care that could be given at home.",
    "Carers will be identified early, offered an assessment of their own needs and given short breaks, "
    "advice and training so they can go on caring without harm to their own health.",
    "Housing, leisure and the voluntary sector are partners in the plan: adaptations funded by the Disabled "
    "Facilities Grant will be fitted within twelve weeks of assessment.",
    "Progress will be reported to the Health and Wellbeing Board each quarter against the national metrics "
    "and our local measure of people's experience of joined-up care.",
]
REWRITTEN = (
    "Hospital discharge will be planned from the day of admission, with reablement and home care starting "
    "within 24 hours, every day of the year, so that no one waits in a hospital bed."
)


def _vision(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def _fill_date(page, name, date):
    for part, value in (("day", date.day), ("month", date.month), ("year", date.year)):
        page.locator(f"input[name='{name}_{part}']").fill(str(value))


def _edit_vision_and_send_again(cast) -> None:
    """The commissioner rewrites one paragraph through the authoring service and sends the plan again."""
    question = Question.objects.get(section__round=cast.plan.round, key="vision")
    answer = cast.plan.answers.get(question=question)
    edited = [REWRITTEN if p.startswith("Hospital discharge") else p for p in PARAGRAPHS]
    plan_services.save_section(
        user=cast.commissioner,
        plan=cast.plan,
        section=question.section,
        answers={"vision": plan_services.AnswerEdit(_vision(edited), answer.version)},
        complete=True,
    )
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)


def test_signing_content_one_has_not_seen_shows_what_changed_and_signs_again(page, live_server):
    cast = build_workflow_plan()
    cast.plan.answers.filter(question__key="vision").update(text=_vision(PARAGRAPHS))
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    base = live_server.url
    sign_path = f"/plans/{cast.plan.round.slug}/{cast.plan.hwb_area.ons_code}/governance/sign/hwb/"

    chair = cast.signatories["hwb"]
    sign_in(page, base, chair.email, DEMO_PASSWORD)
    page.goto(base + sign_path)
    expect(page.get_by_role("heading", name="Signed on behalf of the Health and Wellbeing Board")).to_be_visible()
    page.get_by_label("Position").fill("Cabinet Member for Social Care and Health Integration")
    _fill_date(page, "signed_on", timezone.localdate())

    # While the page is open, another user changes the plan and sends it for sign-off again.
    _edit_vision_and_send_again(cast)

    page.get_by_role("button", name="Sign the plan").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The plan has changed since you opened this page")
    changes = page.locator("#plan-changes")
    expect(changes.get_by_role("heading", name="What has changed since you opened this page")).to_be_visible()
    section = changes.locator("section.app-diff")
    expect(section).to_have_count(1)
    expect(section.get_by_role("heading")).to_contain_text("Vision for health and care services")
    expect(section.locator("tr.app-diff--removed")).to_contain_text(PARAGRAPHS[2])
    expect(section.locator("tr.app-diff--added")).to_contain_text(REWRITTEN)
    expect(section.locator("tbody tr")).to_have_count(2)  # only what changed, not the whole answer
    # Nothing the signatory typed is lost.
    expect(page.get_by_label("Position")).to_have_value("Cabinet Member for Social Care and Health Integration")
    assert not SignOff.objects.filter(plan=cast.plan).exists()
    assert_no_axe_violations(page, "sign form after the plan changed")
    save_screenshot(page, "sign-after-plan-changed")

    page.get_by_role("button", name="Sign the plan").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("You have signed the plan")
    signoff = SignOff.objects.get(plan=cast.plan, slot__code="hwb", voided_at__isnull=True)
    assert signoff.content_hash == plan_content_hash(cast.plan)
    assert signoff.position == "Cabinet Member for Social Care and Health Integration"
