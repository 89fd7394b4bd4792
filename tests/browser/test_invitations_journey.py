"""People join through invitations, in Chromium.

A national admin invites a lead commissioner; the lead accepts from the email in the test outbox, sets a
password, invites a colleague and a signatory for each of the round's sign-off slots, and sends the plan
for sign-off; a signatory accepts their invitation and signs. Every new page is scanned with axe-core.
"""

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation, Membership, SecurityEvent
from governance.models import SignOff
from rounds.models import SignOffSlot
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.browser.people import accept, invitation_path, invite, sign_the_plan
from tests.factories import DEMO_PASSWORD, MembershipFactory
from tests.governance.workflow_plans import build_workflow_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
R = Membership.Role


def test_a_lead_commissioner_builds_the_team_and_a_signatory_signs_after_accepting(page, live_server):
    cast = build_workflow_plan()
    plan, area, base = cast.plan, cast.plan.hwb_area, live_server.url
    # The area starts with no one: the team is built by invitation.
    Membership.objects.filter(hwb_area=area).delete()
    admin = MembershipFactory(role=R.NATIONAL_ADMIN, hwb_area=None).user
    team_url = f"{base}/areas/{area.ons_code}/team/"
    status_url = f"{base}/plans/{plan.round.slug}/{area.ons_code}/governance/"

    # The national admin invites the lead commissioner.
    sign_in(page, base, admin.email, DEMO_PASSWORD)
    page.goto(team_url)
    assert_no_axe_violations(page, "team page (empty)")
    page.get_by_role("button", name="Invite someone").click()
    assert_no_axe_violations(page, "invite page")
    page.go_back()
    invite(
        page, email="lead@lbbd.example", name="Lena Lead", role_label="Commissioner: writes the area's plan", lead=True
    )

    # The lead accepts from the email, sets a password and is signed in.
    path = invitation_path("lead@lbbd.example")
    page.context.clear_cookies()
    page.goto(base + path)
    assert_no_axe_violations(page, "accept invitation")
    page.get_by_label("Create a password").fill("short")
    page.get_by_label("Confirm your password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("too short")
    assert_no_axe_violations(page, "accept invitation with errors")
    accept(page, base, path, "Lena-leads-the-plan-1")

    # From their account page to their team; they invite a colleague and the three signatories.
    page.get_by_role("link", name="Your account").click()
    expect(page.locator("#your-roles")).to_contain_text("Lead commissioner")
    assert_no_axe_violations(page, "account page")
    page.get_by_role("link", name="Team for Barking and Dagenham").click()
    invite(page, email="colleague@lbbd.example", name="Colin League", role_label="Commissioner: writes the area's plan")
    slots = list(SignOffSlot.objects.filter(round=plan.round).order_by("order"))
    assert len(slots) == 3
    for n, slot in enumerate(slots):
        invite(
            page,
            email=f"signatory{n}@lbbd.example",
            name=f"Signatory {n}",
            role_label="Signatory: signs the plan off for one organisation",
            job_title=f"Director {n}",
            slot=slot.code,
        )
    expect(page.locator("#team-invitations")).to_contain_text("signatory2@lbbd.example")
    assert_no_axe_violations(page, "team page with invitations")
    # A lead cannot grant the national or assurer roles, or reach another area's team.
    assert page.locator("input[value='assurer']").count() == 0
    other = page.request.get(f"{base}/areas/E08000001/team/")  # Bolton, in another region
    assert other.status == 403

    # The lead sends the plan for sign-off.
    page.goto(status_url)
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.locator("#plan-status")).to_contain_text("Ready for sign-off")

    # The first slot's signatory accepts and signs.
    accept(page, base, invitation_path("signatory0@lbbd.example"), "Signing-it-off-2027")
    page.goto(status_url)
    sign_the_plan(page, name="Signatory 0", position="Director 0")

    signoff = SignOff.objects.get(plan=plan, voided_at__isnull=True)
    assert (signoff.slot, signoff.signed_by.email) == (slots[0], "signatory0@lbbd.example")
    assert Membership.objects.filter(hwb_area=area, role=R.COMMISSIONER).count() == 1  # the colleague has not accepted
    assert Invitation.objects.filter(hwb_area=area, accepted_at__isnull=True).count() == 3
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.INVITATION_ACCEPTED).count() == 2
