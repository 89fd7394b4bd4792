"""The national dataset's Returns sheet: one row per line of every submitted return, per period, from its submission."""

import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Sum
from django.urls import reverse

from accounts.models import Membership
from monitoring.models import Return, ReturnLine
from monitoring.national import RETURNS_HEADERS
from rounds.models import ReturnPeriod
from tests.factories import MembershipFactory
from tests.monitoring.conftest_nat import filled_return, submit_return
from tests.monitoring.test_national_returns import nation  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

COL = {name: i for i, name in enumerate(RETURNS_HEADERS)}


def dataset(client, user) -> openpyxl.Workbook:
    client.force_login(user)
    response = client.get(reverse("monitoring:national_dataset", kwargs={"round_slug": "2014-15"}))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('bcf-national-dataset-2014-15.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(response.content))


def returns_rows(wb) -> list[tuple]:
    rows = list(wb["Returns"].values)
    assert list(rows[0]) == RETURNS_HEADERS
    return rows[1:]


@pytest.fixture
def two_periods(nation):  # noqa: F811
    """Northam also submits its Q2 return, so the sheet has rows for two periods."""
    q2 = ReturnPeriod.objects.get(round=nation["round"], key="q2-2015-16")
    plan = nation["areas"]["on_time"]
    commissioner = plan.hwb_area.memberships.get(role=Membership.Role.COMMISSIONER).user
    actuals = {"Stream 1": Decimal("190000"), "Stream 2": Decimal("99000"), "Scheme 1": Decimal("150000"),
               "Scheme 2": Decimal("48000")}  # fmt: skip
    submit_return(filled_return(plan, commissioner, q2, actuals=actuals), commissioner)
    return nation


def test_returns_rows_sum_to_the_database_totals_per_area_and_period(client, two_periods):
    rows = returns_rows(dataset(client, two_periods["admin"]))
    sheet = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        key = (row[COL["ONS code"]], row[COL["Period"]], row[COL["Kind"]].lower())
        sheet[key][0] += Decimal(str(row[COL["Planned to period end (£)"]]))
        sheet[key][1] += Decimal(str(row[COL["Actual (£)"]]))
    database = {
        (r["ret__plan__hwb_area__ons_code"], r["ret__period__name"], r["kind"]): [r["planned"], r["actual"]]
        for r in ReturnLine.objects.filter(ret__status=Return.Status.SUBMITTED)
        .values("ret__plan__hwb_area__ons_code", "ret__period__name", "kind")
        .annotate(planned=Sum("planned"), actual=Sum("actual"))
    }
    assert dict(sheet) == database
    assert {row[COL["Period"]] for row in rows} == {"Quarter 1 2015/16", "Quarter 2 2015/16"}
    assert len(rows) == ReturnLine.objects.filter(ret__status=Return.Status.SUBMITTED).count() == 4 * 4


def test_draft_returns_are_left_out_of_the_dataset(client, nation):  # noqa: F811
    rows = returns_rows(dataset(client, nation["admin"]))
    areas = {row[COL["HWB area"]] for row in rows}
    assert areas == {"Northam", "Lateby", "Southwold"}
    assert Decimal(1) not in {Decimal(str(row[COL["Actual (£)"]])) for row in rows}


def test_each_row_says_when_the_return_was_submitted_and_whether_it_was_late(client, nation):  # noqa: F811
    rows = returns_rows(dataset(client, nation["admin"]))
    late = {row[COL["HWB area"]]: row[COL["Late"]] for row in rows}
    assert late == {"Northam": "No", "Lateby": "Yes", "Southwold": "No"}
    lateby = next(r for r in rows if r[COL["HWB area"]] == "Lateby" and r[COL["Line"]] == "Scheme 1")
    assert lateby[COL["Region"]] == "North test"
    assert lateby[COL["Kind"]] == "Expenditure"
    assert lateby[COL["Planned to period end (£)"]] == 75000
    assert lateby[COL["Actual (£)"]] == 80000
    assert lateby[COL["Variance (%)"]] == pytest.approx(6.7)
    assert lateby[COL["Submitted at"]].date() == nation["period"].deadline.date() + timedelta(days=2)


def test_the_dataset_reads_the_submission_not_the_live_rows(client, nation):  # noqa: F811
    """A submitted return's snapshot is the record: a live row changed behind the workflow's back does not show."""
    ReturnLine.objects.filter(ret__plan=nation["areas"]["south"]).update(actual=Decimal("1.23"))
    rows = returns_rows(dataset(client, nation["admin"]))
    southwold = [Decimal(str(r[COL["Actual (£)"]])) for r in rows if r[COL["HWB area"]] == "Southwold"]
    assert Decimal("1.23") not in southwold and sum(southwold) == Decimal("255000")


def test_the_plan_sheets_are_still_there(client, nation):  # noqa: F811
    wb = dataset(client, nation["admin"])
    assert wb.sheetnames[:2] == ["Income", "Expenditure"] and wb.sheetnames[-1] == "Returns"


def test_the_dataset_is_for_national_admins_only(client, nation):  # noqa: F811
    commissioner = nation["areas"]["on_time"].hwb_area.memberships.get(role=Membership.Role.COMMISSIONER).user
    for user in (nation["assurer"], commissioner, MembershipFactory(role=Membership.Role.COMMISSIONER).user):
        client.force_login(user)
        response = client.get(reverse("monitoring:national_dataset", kwargs={"round_slug": "2014-15"}))
        assert response.status_code == 403
