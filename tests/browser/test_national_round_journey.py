"""A national administrator sets up a round for 150 areas in the browser (Chromium), every page scanned with axe.

They import the areas, their organisations and the round's allocations from CSV files the test generates,
read the row-addressed messages for a file with five deliberate mistakes, import the corrected file, open
the round and create every area's plan, then see every area skipped on a second run. Then the first
area's people join: the admin invites its lead commissioner, who accepts from the email in the test outbox,
sets a password and invites a colleague and a signatory for each of the round's three slots; the lead sends
the plan for sign-off and a signatory signs after accepting.

`set_up_round_in_the_browser` leaves the round open with a plan for each area, so later journeys (inviting
each area's lead commissioner) can carry on from it.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Membership
from governance.models import SignOff
from plans.models import Plan
from rounds.loader import load_reference
from rounds.models import Allocation, HwbArea, Organisation, PlanningRound, SignOffSlot
from tests.browser.conftest import assert_no_axe_violations, save_screenshot, sign_in
from tests.browser.people import accept, invitation_path, invite, sign_the_plan
from tests.factories import (
    DEMO_PASSWORD,
    FundingStreamFactory,
    MembershipFactory,
    PlanningRoundFactory,
    RoundYearFactory,
    UserFactory,
)
from tests.governance import national_files as files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEARS = ("2023/24", "2024/25")
SLOTS = [
    ("icb", "Signed on behalf of the Integrated Care Board", "icb"),
    ("council", "Signed on behalf of the Council", "local_authority"),
    ("hwb_chair", "Chair of the Health and Wellbeing Board", ""),
]
COMMISSIONER = "Commissioner: writes the area's plan"
SIGNATORY = "Signatory: signs the plan off for one organisation"


@dataclass
class RoundReady:
    planning_round: PlanningRound
    admin_email: str
    areas: list[str]  # ONS codes of the round's areas


def new_round() -> PlanningRound:
    """A closed round with two years and the CCG minimum stream, as a national team would have loaded it."""
    load_reference()  # regions (and the shipped reference areas)
    rnd = PlanningRoundFactory(
        slug="2023-25",
        name="Better Care Fund 2023 to 2025",
        is_open=False,
        final_deadline=timezone.now() + datetime.timedelta(days=45),
    )
    for order, label in enumerate(YEARS):
        RoundYearFactory(round=rnd, label=label, order=order)
    FundingStreamFactory(round=rnd, key="ccg-minimum", name="Minimum CCG contribution", contributor="nhs", order=0)
    for order, (code, title, kind) in enumerate(SLOTS):
        SignOffSlot.objects.create(round=rnd, code=code, title=title, organisation_kind=kind, order=order)
    return rnd


def national_admin() -> str:
    user = UserFactory(email="national.team@example.org", full_name="Nadia National", is_staff=True)
    MembershipFactory(user=user, role=Membership.Role.NATIONAL_ADMIN, hwb_area=None)
    return user.email


def _allocations(rows) -> str:
    return files._csv(files.ALLOCATION_HEADER, rows)


def _upload(page: Page, base: str, tmp_path, what: str, name: str, text: str, round_slug: str = "") -> None:
    path = tmp_path / name
    path.write_text(text)
    page.goto(f"{base}/national/import/")
    page.check(f"input[name='what'][value='{what}']")
    if round_slug:
        page.select_option("select[name='round']", round_slug)
    page.set_input_files("input[name='file']", str(path))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()


def _import(page: Page, base: str, tmp_path, what: str, name: str, text: str, counts: str, round_slug: str = ""):
    _upload(page, base, tmp_path, what, name, text, round_slug)
    expect(page.locator("#change-counts")).to_contain_text(counts)
    assert_no_axe_violations(page, f"import preview ({what})")
    page.get_by_role("button", name="Import these changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"imported from {name}")


def set_up_round_in_the_browser(page: Page, base: str, tmp_path, *, screenshots: bool = False) -> RoundReady:
    """As a national administrator: import the reference data, open the round and create every area's plan."""
    rnd = new_round()
    email = national_admin()
    sign_in(page, base, email, DEMO_PASSWORD)

    page.goto(f"{base}/national/import/")
    expect(page.get_by_role("heading", name="Import reference data")).to_be_visible()
    assert_no_axe_violations(page, "import page")
    _import(page, base, tmp_path, "areas", "areas.csv", files.areas_csv(), "150 added, 0 changed, 0 removed")
    _import(
        page,
        base,
        tmp_path,
        "organisations",
        "organisations.csv",
        files.organisations_csv(),
        "315 added, 0 changed, 0 removed",
    )

    # Five deliberate mistakes: each is reported by row and column, and nothing is imported.
    rows = files.allocation_rows(years=YEARS)
    bad = [list(r) for r in rows]
    bad[0][0] = "E06999998"  # row 2: an unknown area
    bad[1][1] = "ccg_minimum"  # row 3: the wrong separator
    bad[2][2] = "2017/18"  # row 4: a year of another round
    bad[3][3] = "-5000"  # row 5: a negative amount
    bad.append(list(bad[10]))  # the last row: a duplicate of row 12
    _upload(page, base, tmp_path, "allocations", "allocations.csv", _allocations(bad), rnd.slug)
    expect(page.get_by_text("The file was not imported")).to_be_visible()
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(5)
    expected = [
        ("2", "A (ons_code)", "No HWB area has the ONS code ‘E06999998’"),
        ("3", "B (key)", "‘ccg_minimum’ is not an allocation of Better Care Fund 2023 to 2025"),
        ("4", "C (year)", "‘2017/18’ is not a year of Better Care Fund 2023 to 2025. Enter one of: 2023/24, 2024/25"),
        ("5", "D (amount)", "Enter an amount of £0 or more"),
        (str(len(bad) + 1), "B (key)", "is already in row 12"),
    ]
    for i, (row, column, message) in enumerate(expected):
        cells = errors.nth(i).locator("td")
        expect(cells.nth(0)).to_have_text(row)
        expect(cells.nth(1)).to_have_text(column)
        expect(cells.nth(2)).to_contain_text(message)
    assert_no_axe_violations(page, "import errors")
    if screenshots:
        save_screenshot(page, "national-import-errors")
    assert not Allocation.objects.filter(round=rnd).exists()

    # Corrected, the file imports.
    _import(
        page,
        base,
        tmp_path,
        "allocations",
        "allocations.csv",
        _allocations(rows),
        "600 added, 0 changed, 0 removed",
        rnd.slug,
    )

    # Open the round and create every area's plan.
    page.get_by_role("link", name="Rounds", exact=True).click()
    assert_no_axe_violations(page, "rounds list")
    page.get_by_role("link", name=rnd.name, exact=True).click()
    expect(page.locator("#round-status")).to_have_text("Closed")
    expect(page.locator("#area-count")).to_have_text("150")
    assert_no_axe_violations(page, "round set-up")
    page.get_by_role("button", name="Open the round").click()
    expect(page.locator("#round-status")).to_have_text("Open")
    page.get_by_role("button", name="Create every area's plan").click()
    expect(page.locator("#plans-created")).to_contain_text("150 plans created")
    expect(page.locator("#plans-created")).to_contain_text("0 areas already had a plan")
    assert_no_axe_violations(page, "plans created")
    return RoundReady(planning_round=rnd, admin_email=email, areas=[files.ons(i) for i in range(1, 151)])


def test_a_national_admin_sets_up_a_round_for_150_areas_and_its_people_join_and_sign(page, live_server, tmp_path):
    base = live_server.url
    ready = set_up_round_in_the_browser(page, base, tmp_path, screenshots=True)
    rnd = ready.planning_round

    assert HwbArea.objects.filter(ons_code__in=ready.areas).count() == 150
    assert Organisation.objects.filter(hwb_areas__ons_code__in=ready.areas).distinct().count() == 315
    assert Allocation.objects.filter(round=rnd).count() == 600
    assert Plan.objects.filter(round=rnd, status=Plan.Status.DRAFT).count() == 150
    rnd.refresh_from_db()
    assert rnd.is_open

    # A second run creates nothing and lists every area as skipped.
    page.get_by_role("link", name=f"Back to {rnd.name}").click()
    page.get_by_role("button", name="Create every area's plan").click()
    expect(page.locator("#plans-created")).to_contain_text("0 plans created")
    expect(page.locator("#skipped-areas li")).to_have_count(150)
    expect(page.locator("#skipped-areas")).to_contain_text("Testshire 001 (E06100001)")
    assert Plan.objects.filter(round=rnd).count() == 150

    # Every area's progress against the deadline, by region.
    page.goto(f"{base}/national/rounds/{rnd.slug}/progress/")
    expect(page.locator(".app-region-progress tbody tr")).to_have_count(150)
    expect(page.get_by_text("No area is late.")).to_be_visible()
    assert_no_axe_violations(page, "progress")
    save_screenshot(page, "national-progress")

    # The national admin invites the first area's lead commissioner from its team page.
    area = ready.areas[0]
    plan = Plan.objects.get(round=rnd, hwb_area__ons_code=area)
    page.goto(f"{base}/areas/{area}/team/")
    invite(page, email="lead@area1.example", name="Lena Lead", role_label=COMMISSIONER, lead=True)

    # The lead accepts from the email in the outbox, sets a password and builds the team.
    accept(page, base, invitation_path("lead@area1.example"), "Lena-leads-the-plan-1")
    page.goto(f"{base}/areas/{area}/team/")
    invite(page, email="colleague@area1.example", name="Colin League", role_label=COMMISSIONER)
    for n, (code, _, _) in enumerate(SLOTS):
        invite(
            page,
            email=f"signatory{n}@area1.example",
            name=f"Signatory {n}",
            role_label=SIGNATORY,
            job_title=f"Director {n}",
            slot=code,
        )
    expect(page.locator("#team-invitations")).to_contain_text("signatory2@area1.example")
    assert_no_axe_violations(page, "team page of a new area")

    # The round asks for no sections of its own here, so the lead can send the new plan for sign-off.
    status_url = f"{base}/plans/{rnd.slug}/{area}/governance/"
    page.goto(status_url)
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.locator("#plan-status")).to_contain_text("Ready for sign-off")

    # The ICB's signatory accepts and signs.
    accept(page, base, invitation_path("signatory0@area1.example"), "Signing-it-off-2027")
    page.goto(status_url)
    sign_the_plan(page, name="Signatory 0", position="Director 0")
    signoff = SignOff.objects.get(plan=plan, voided_at__isnull=True)
    assert (signoff.slot.code, signoff.signed_by.email) == ("icb", "signatory0@area1.example")
