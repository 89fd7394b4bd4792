"""For 150 seeded plans (bench/seed.py), the API's money totals per round, region and area equal the
national dataset's (governance/dataset.py, the xlsx national admins download) and a direct database
aggregate. The dataset holds submitted plans only, so the API is asked for those by its status filter;
over every plan, the API and the database agree too."""

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import Membership, User
from api.tokens import issue_token
from bench.seed import ROUND_SLUG, seed_national_dataset
from finance.models import ExpenditureAmount, IncomeLine
from governance.dataset import national_dataset
from plans.permissions import ASSURER_VISIBLE_STATUSES
from rounds.models import PlanningRound, Region

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

AREAS = 150


def pull(client, name: str, **params) -> list[dict]:
    """Every row of a list endpoint, following the cursor."""
    rows, url, query = [], reverse(f"api:{name}-list"), {"page_size": 1000, **params}
    while url:
        body = client.get(url, query).json()
        rows += body["results"]
        url, query = body["next"], None
    return rows


def totals(pairs) -> dict[str, Counter]:
    """(round, region, area, amount) → totals per round, per region and per area."""
    by = {"round": Counter(), "region": Counter(), "area": Counter()}
    for round_slug, region, area, amount in pairs:
        by["round"][round_slug] += Decimal(amount)
        by["region"][region] += Decimal(amount)
        by["area"][area] += Decimal(amount)
    return by


def dataset_totals(workbook, round_slug: str, sheet_name: str, amount_header: str) -> dict[str, Counter]:
    region_codes = dict(Region.objects.values_list("name", "code"))
    sheet = workbook[sheet_name]
    rows = sheet.iter_rows(values_only=True)
    headers = list(next(rows))
    region, area, amount = headers.index("Region"), headers.index("ONS code"), headers.index(amount_header)
    return totals((round_slug, region_codes[row[region]], row[area], row[amount]) for row in rows if row[0] != "Total")


@pytest.fixture
def national(shipped_rounds):
    seeded = seed_national_dataset(password="bench-password-1", areas=AREAS)
    admin = User.objects.create(email="analyst@bench.local")
    Membership.objects.create(user=admin, role=Membership.Role.NATIONAL_ADMIN)
    _, key = issue_token(user=admin, name="totals")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client, seeded["plans"]


def test_api_totals_equal_the_national_dataset_and_the_database(national):
    client, plans = national
    planning_round = PlanningRound.objects.get(slug=ROUND_SLUG)
    submitted = [s.value for s in ASSURER_VISIBLE_STATUSES]
    assert sum(p.status in submitted for p in plans) >= AREAS // 3

    def api_income(**params):
        return totals((r["round"], r["region"], r["area"], r["amount"]) for r in pull(client, "income-line", **params))

    def api_expenditure(**params):
        return totals(
            (r["round"], r["region"], r["area"], r["total"]) for r in pull(client, "expenditure-line", **params)
        )

    def db(queryset, plan_path: str, amount: str):
        rows = queryset.values(
            f"{plan_path}round__slug", f"{plan_path}hwb_area__region__code", f"{plan_path}hwb_area__ons_code"
        ).annotate(total=Sum(amount))
        return totals(tuple(row.values()) for row in rows)

    income_db = IncomeLine.objects.filter(plan__round=planning_round)
    spend_db = ExpenditureAmount.objects.filter(line__plan__round=planning_round)

    # Submitted plans: API = dataset = database.
    dataset = load_workbook(io.BytesIO(national_dataset(planning_round)), read_only=True)
    api = api_income(round=ROUND_SLUG, status=submitted)
    assert api == dataset_totals(dataset, ROUND_SLUG, "Income", "Amount (£)")
    assert api == db(income_db.filter(plan__status__in=submitted), "plan__", "amount")
    api = api_expenditure(round=ROUND_SLUG, status=submitted)
    assert api == dataset_totals(dataset, ROUND_SLUG, "Expenditure", "Total (£)")
    assert api == db(spend_db.filter(line__plan__status__in=submitted), "line__plan__", "amount")

    # Every plan: API = database, for all 150 areas.
    api = api_income(round=ROUND_SLUG)
    assert api == db(income_db, "plan__", "amount")
    assert len(api["area"]) == len({p.hwb_area_id for p in plans}) >= AREAS
    assert api_expenditure(round=ROUND_SLUG) == db(spend_db, "line__plan__", "amount")
