"""Round set-up by national administrators: open and close, deadlines, every area's plan, and the progress page."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Membership
from governance import national_progress, national_rounds
from governance.models import Submission
from plans.models import Plan
from rounds.models import PlanningRound
from rounds.reference_import import apply_reference
from tests.factories import MembershipFactory
from tests.governance import national_files as files

pytestmark = pytest.mark.django_db


@pytest.fixture
def rnd(shipped_rounds):
    rnd = PlanningRound.objects.get(slug="2014-15")
    apply_reference("areas", files.areas_csv().encode(), "areas.csv")
    apply_reference("allocations", files.allocations_csv().encode(), "allocations.csv", rnd)
    return rnd


@pytest.fixture
def admin_user():
    return MembershipFactory(role=Membership.Role.NATIONAL_ADMIN, hwb_area=None).user


def test_creating_every_areas_plan_is_idempotent_and_lists_the_skipped(rnd, admin_user):
    had_plan = set(Plan.objects.filter(round=rnd).values_list("hwb_area__ons_code", flat=True))
    first = national_rounds.create_plans_for_round(user=admin_user, planning_round=rnd)
    areas = national_rounds.areas_of_round(rnd).count()
    assert areas >= 150
    assert len(first.created) == areas - len(had_plan)
    assert {a.ons_code for a in first.skipped} == had_plan
    assert Plan.objects.filter(round=rnd).count() == areas
    second = national_rounds.create_plans_for_round(user=admin_user, planning_round=rnd)
    assert second.created == [] and len(second.skipped) == areas
    assert Plan.objects.filter(round=rnd).count() == areas
    assert set(Plan.objects.filter(round=rnd).values_list("status", flat=True)) == {Plan.Status.DRAFT}


def test_only_national_admins_set_up_rounds(rnd):
    commissioner = MembershipFactory(role=Membership.Role.COMMISSIONER).user
    with pytest.raises(PermissionDenied):
        national_rounds.create_plans_for_round(user=commissioner, planning_round=rnd)
    with pytest.raises(PermissionDenied):
        national_rounds.set_round_open(user=commissioner, planning_round=rnd, is_open=False)
    assert not Plan.objects.filter(round=rnd, hwb_area__ons_code__startswith="E061").exists()


def test_the_round_page_opens_closes_sets_deadlines_and_creates_plans(client, rnd, admin_user):
    client.force_login(admin_user)
    url = f"/national/rounds/{rnd.slug}/"
    assert client.get(url).status_code == 200
    client.post(url + "open/", {"open": "no"})
    rnd.refresh_from_db()
    assert not rnd.is_open
    client.post(url + "open/", {"open": "yes"})
    rnd.refresh_from_db()
    assert rnd.is_open

    refused = client.post(
        url,
        {"draft_date_day": "30", "draft_date_month": "9", "draft_date_year": "2014", "final_date_day": "19",
         "final_date_month": "9", "final_date_year": "2014", "final_time": "25:00"},
    )  # fmt: skip
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Enter a time on the 24-hour clock" in page
    assert 'value="30"' in page  # nothing typed is lost
    refused = client.post(
        url,
        {"draft_date_day": "30", "draft_date_month": "9", "draft_date_year": "2014", "final_date_day": "19",
         "final_date_month": "9", "final_date_year": "2014", "final_time": "17:00"},
    )  # fmt: skip
    assert "The draft deadline must be on or before the final deadline" in refused.content.decode()
    saved = client.post(
        url,
        {"draft_date_day": "4", "draft_date_month": "4", "draft_date_year": "2014", "final_date_day": "19",
         "final_date_month": "9", "final_date_year": "2014", "final_time": "17:00"},
    )  # fmt: skip
    assert saved.status_code == 302
    rnd.refresh_from_db()
    assert timezone.localtime(rnd.final_deadline).strftime("%Y-%m-%d %H:%M") == "2014-09-19 17:00"
    assert timezone.localtime(rnd.draft_deadline).strftime("%Y-%m-%d %H:%M") == "2014-04-04 12:00"

    created = client.post(url + "create-plans/")
    assert "plans created" in created.content.decode()
    again = client.post(url + "create-plans/").content.decode()
    assert "0 plans created" in again and "Skipped: these areas already had a plan" in again
    assert "Testshire 001 (E06100001)" in again


def test_the_progress_page_shows_every_area_by_region_and_the_late_ones_in_a_fixed_number_of_queries(
    client, rnd, admin_user, django_assert_max_num_queries
):
    national_rounds.create_plans_for_round(user=admin_user, planning_round=rnd)
    PlanningRound.objects.filter(pk=rnd.pk).update(final_deadline=timezone.now() - datetime.timedelta(days=3, hours=1))
    rnd.refresh_from_db()
    on_time = Plan.objects.get(round=rnd, hwb_area__ons_code=files.ons(1))
    late = Plan.objects.get(round=rnd, hwb_area__ons_code=files.ons(2))
    for plan, when in ((on_time, rnd.final_deadline - datetime.timedelta(days=1)),
                       (late, rnd.final_deadline + datetime.timedelta(days=1, hours=2))):  # fmt: skip
        Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.SUBMITTED)
        Submission.objects.create(
            plan=plan, version=1, snapshot={}, snapshot_sha256="0" * 64, submitted_at=when, submitted_by=admin_user
        )
    page = national_progress.round_progress(rnd)
    rows = {row.area.ons_code: row for region in page["regions"] for row in region["rows"]}
    assert len(rows) >= 150
    assert (rows[files.ons(1)].days_left, rows[files.ons(1)].days_late) == (None, 0)
    assert rows[files.ons(2)].days_late == 2
    assert rows[files.ons(3)].days_late == 4 and rows[files.ons(3)].status_label == "Draft"
    late_codes = {row.area.ons_code for row in page["late"]}
    assert files.ons(2) in late_codes and files.ons(3) in late_codes and files.ons(1) not in late_codes
    assert {r["region"].code for r in page["regions"]} >= set(files.REGIONS)

    client.force_login(admin_user)
    with django_assert_max_num_queries(12):
        response = client.get(f"/national/rounds/{rnd.slug}/progress/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Testshire 150" in body and "Submitted 2 days late" in body and "4 days late" in body


def test_a_round_with_a_future_deadline_counts_the_days_left(rnd, admin_user):
    national_rounds.create_plans_for_round(user=admin_user, planning_round=rnd)
    now = timezone.now()
    PlanningRound.objects.filter(pk=rnd.pk).update(final_deadline=now + datetime.timedelta(days=6, hours=3))
    rnd.refresh_from_db()
    page = national_progress.round_progress(rnd, now=now)
    assert page["late"] == []
    assert {row.days_left for region in page["regions"] for row in region["rows"]} == {7}


def test_the_rounds_list_counts_each_rounds_areas_and_plans(client, rnd, admin_user, django_assert_max_num_queries):
    national_rounds.create_plans_for_round(user=admin_user, planning_round=rnd)
    rounds = {r.slug: r for r in national_progress.rounds_list()}
    areas = national_rounds.areas_of_round(rnd).count()
    assert (rounds["2014-15"].area_count, rounds["2014-15"].plan_count) == (areas, areas)
    assert rounds["2017-19"].plan_count == 0 and rounds["2017-19"].area_count > 0
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):
        page = client.get("/national/rounds/").content.decode()
    assert f'<td class="govuk-table__cell govuk-table__cell--numeric">{areas}</td>' in page
