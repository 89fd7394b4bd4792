"""The national roll-up of a period's returns: statuses, late flags, and totals from submitted returns only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from accounts.models import Membership
from monitoring.models import Return, ReturnLine
from rounds.models import PlanningRound, ReturnPeriod
from tests.factories import MembershipFactory, RegionFactory, UserFactory
from tests.monitoring.conftest_nat import approved_plan, filled_return, plan_content, submit_return

pytestmark = pytest.mark.django_db

R = Membership.Role
YEAR = "2015/16"


@pytest.fixture
def nation(shipped_rounds):
    """Two regions: North has one return on time, one late and one in progress; South one submitted,
    one approved plan with no return, and one plan not yet approved."""
    rnd = PlanningRound.objects.get(slug="2014-15")
    period = ReturnPeriod.objects.get(round=rnd, key="q1-2015-16")
    north, south = RegionFactory(name="North test", code="RNT"), RegionFactory(name="South test", code="RST")
    content = plan_content(YEAR, income=["400000.00", "200000.00"], spend=["300000.00", "100000.00"])
    # A quarter of each year's amount is planned by the end of Q1: income 100,000 + 50,000, spend 75,000 + 25,000.
    actuals = {
        "on_time": {"Stream 1": Decimal("90000"), "Stream 2": Decimal("50000"), "Scheme 1": Decimal("56250"),
                    "Scheme 2": Decimal("25000")},
        "late": {"Stream 1": Decimal("100000"), "Stream 2": Decimal("40000"), "Scheme 1": Decimal("80000"),
                 "Scheme 2": Decimal("30000")},
        "draft": {"Stream 1": Decimal("1"), "Stream 2": Decimal("2"), "Scheme 1": Decimal("3"),
                  "Scheme 2": Decimal("4")},
        "south": {"Stream 1": Decimal("110000"), "Stream 2": Decimal("55000"), "Scheme 1": Decimal("70000"),
                  "Scheme 2": Decimal("20000")},
    }  # fmt: skip
    areas = {}
    for key, region, name in [
        ("on_time", north, "Northam"),
        ("late", north, "Lateby"),
        ("draft", north, "Draftwick"),
        ("south", south, "Southwold"),
        ("no_return", south, "Quietford"),
    ]:
        plan, commissioner = approved_plan(rnd, region, name=name, content=content)
        areas[key] = plan
        if key == "no_return":
            continue
        ret = filled_return(plan, commissioner, period, actuals=actuals[key], on_track=(True, key != "late"))
        if key != "draft":
            submit_return(ret, commissioner, late=key == "late")
    unapproved, _ = approved_plan(rnd, south, name="Pendingham", content=content)
    unapproved.submissions.get().reviews.update(outcome=None, decided_at=None)
    type(unapproved).objects.filter(pk=unapproved.pk).update(status=type(unapproved).Status.SUBMITTED)
    areas["unapproved"] = unapproved
    admin = MembershipFactory(role=R.NATIONAL_ADMIN, hwb_area=None).user
    assurer = MembershipFactory(role=R.ASSURER, hwb_area=None, region=north).user
    return {"round": rnd, "period": period, "areas": areas, "north": north, "south": south, "admin": admin,
            "assurer": assurer}  # fmt: skip


def url(nation, period=None):
    return reverse(
        "monitoring:national", kwargs={"round_slug": "2014-15", "period_key": (period or nation["period"]).key}
    )


def db_totals(**where) -> dict:
    """Planned and actual by kind, summed over the live rows of submitted returns matching `where`."""
    rows = ReturnLine.objects.filter(ret__status=Return.Status.SUBMITTED, **where)
    totals = {}
    for kind in ReturnLine.Kind.values:
        sums = rows.filter(kind=kind).aggregate(planned=Sum("planned"), actual=Sum("actual"))
        totals[kind] = (sums["planned"] or Decimal(0), sums["actual"] or Decimal(0))
    return totals


def figures(f) -> dict:
    return {"income": (f.planned_income, f.actual_income), "expenditure": (f.planned_spend, f.actual_spend)}


def test_national_and_regional_totals_equal_the_submitted_returns_rows(client, nation):
    client.force_login(nation["admin"])
    response = client.get(url(nation))
    assert response.status_code == 200
    page = response.context
    assert figures(page["england"]) == db_totals(ret__period=nation["period"])
    by_region = {r.region.pk: r for r in page["regions"]}
    for region in (nation["north"], nation["south"]):
        expected = db_totals(ret__period=nation["period"], ret__plan__hwb_area__region=region)
        assert figures(by_region[region.pk].figures) == expected
    # North: on time 140,000 + late 140,000 income; the draft's 1 + 2 never count.
    assert by_region[nation["north"].pk].figures.actual_income == Decimal("280000")
    assert page["england"].actual_spend == Decimal("56250") + Decimal("25000") + Decimal("80000") + Decimal(
        "30000"
    ) + Decimal("70000") + Decimal("20000")
    assert page["england"].planned_spend == 3 * Decimal("100000")


def test_drafts_are_left_out_of_the_totals_and_shown_in_progress(client, nation):
    client.force_login(nation["admin"])
    page = client.get(url(nation)).context
    north = next(r for r in page["regions"] if r.region == nation["north"])
    assert north.figures.submitted == 2
    rows = {row.area.name: row for region in page["regions"] for row in region.rows}
    assert rows["Draftwick"].status_label == "In progress"
    assert rows["Quietford"].status_label == "Not started"
    assert rows["Pendingham"].status_label == "Plan not approved"
    assert rows["Northam"].status_label == rows["Southwold"].status_label == "Submitted"


def test_metrics_on_track_are_counted_per_region_from_submitted_returns(client, nation):
    client.force_login(nation["admin"])
    page = client.get(url(nation)).context
    north = next(r for r in page["regions"] if r.region == nation["north"])
    south = next(r for r in page["regions"] if r.region == nation["south"])
    # Northam: both on track; Lateby: one on, one off; Southwold: both on (the draft's are not counted).
    assert (north.figures.on_track, north.figures.off_track) == (3, 1)
    assert (south.figures.on_track, south.figures.off_track) == (2, 0)
    assert (page["england"].on_track, page["england"].off_track) == (5, 1)


def test_a_late_return_is_flagged_and_so_is_one_not_submitted_by_the_deadline(client, nation):
    client.force_login(nation["admin"])
    response = client.get(url(nation))
    rows = {row.area.name: row for region in response.context["regions"] for row in region.rows}
    assert rows["Lateby"].is_late and rows["Lateby"].days_late == 2
    assert not rows["Northam"].is_late
    assert rows["Northam"].submitted_at == nation["period"].deadline - timedelta(days=1)
    # The Q1 2015/16 deadline passed long ago: a return not yet submitted is late too.
    assert rows["Draftwick"].is_late and rows["Quietford"].is_late
    assert not rows["Pendingham"].is_late  # no approved plan, so no return is due
    body = response.content.decode()
    assert "Submitted 2 days late" in body
    assert {row.area.name for row in response.context["late"]} == {"Lateby", "Draftwick", "Quietford"}


def test_the_page_draws_charts_with_a_table_of_their_figures(client, nation):
    client.force_login(nation["admin"])
    body = client.get(url(nation)).content.decode()
    assert body.count("<svg") == 3
    assert 'id="spend-table"' in body and 'id="metrics-table"' in body
    assert "£191,250.00" in body  # North's actual expenditure: 56,250 + 25,000 + 80,000 + 30,000


def test_an_assurer_sees_only_their_region_and_no_drafts_progress(client, nation):
    client.force_login(nation["assurer"])
    response = client.get(url(nation))
    assert response.status_code == 200
    page = response.context
    assert [r.region for r in page["regions"]] == [nation["north"]]
    assert figures(page["england"]) == db_totals(
        ret__period=nation["period"], ret__plan__hwb_area__region=nation["north"]
    )
    rows = {row.area.name: row for row in page["regions"][0].rows}
    assert rows["Draftwick"].status_label == "Not submitted"
    body = response.content.decode()
    assert "Southwold" not in body and "South test" not in body
    assert "dataset.xlsx" not in body  # the national dataset is for national admins
    # A submitted return links to its pages; a draft, which the assurer may not read, does not.
    period = nation["period"]
    for name, row in rows.items():
        link = f'href="/plans/{period.round.slug}/{row.area.ons_code}/returns/{period.key}/"'
        assert (link in body) == (row.status == "submitted"), name


def test_an_assurer_of_another_region_sees_none_of_these_areas(client, nation):
    other = MembershipFactory(role=R.ASSURER, hwb_area=None, region=RegionFactory(name="Elsewhere")).user
    client.force_login(other)
    response = client.get(url(nation))
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("Northam", "Lateby", "Draftwick", "Southwold"):
        assert name not in body
    assert response.context["england"].submitted == 0


def test_a_commissioner_is_refused(client, nation):
    commissioner = nation["areas"]["on_time"].hwb_area.memberships.get(role=R.COMMISSIONER).user
    for user in (commissioner, UserFactory()):
        client.force_login(user)
        assert client.get(url(nation)).status_code == 403


def test_a_commissioner_of_another_area_is_refused_and_sees_nothing(client, nation):
    outsider = MembershipFactory(role=R.COMMISSIONER).user
    client.force_login(outsider)
    response = client.get(url(nation))
    assert response.status_code in (403, 404)
    assert "Northam" not in response.content.decode()


def test_an_unknown_period_is_not_found(client, nation):
    client.force_login(nation["admin"])
    response = client.get(reverse("monitoring:national", kwargs={"round_slug": "2014-15", "period_key": "q9-1999"}))
    assert response.status_code == 404


def test_the_national_view_links_to_each_return_period(client, nation):
    client.force_login(nation["admin"])
    body = client.get(reverse("governance:national_dashboard") + "?round=2014-15").content.decode()
    assert url(nation) in body
    assert reverse("monitoring:national_dataset", kwargs={"round_slug": "2014-15"}) in body


def test_the_assurance_dashboard_links_an_assurer_to_each_return_period(client, nation):
    client.force_login(nation["assurer"])
    body = client.get(reverse("governance:assurance_dashboard")).content.decode()
    assert url(nation) in body
