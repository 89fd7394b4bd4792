"""The national dataset is as large as the benchmark issue sets out, and its cached configuration is fresh."""

import pytest

from bench.seed import seed_national_dataset
from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from finance.selectors import part_two_for_plan
from plans.models import Plan, Risk
from schemes.models import Scheme


@pytest.mark.django_db
def test_each_bench_plan_has_40_schemes_120_lines_and_20_risks(shipped_rounds):
    plans = seed_national_dataset(password="bench-password-1", areas=2)["plans"]
    for plan in plans:
        assert Scheme.objects.filter(plan=plan).count() == 40
        income, expenditure = IncomeLine.objects.filter(plan=plan).count(), ExpenditureLine.objects.filter(plan=plan)
        assert income + expenditure.count() == 120
        assert ExpenditureAmount.objects.filter(line__in=expenditure).count() == 2 * expenditure.count()
        assert Risk.objects.filter(plan=plan).count() == 20


@pytest.mark.django_db
def test_bulk_seeding_renews_the_cached_configuration(shipped_rounds):
    """Bulk inserts send no signals; the seed renews the round configuration itself."""
    seeded = seed_national_dataset(password="bench-password-1", areas=1)
    plan = Plan.objects.select_related("round").get(pk=seeded["plans"][0].pk)
    part = part_two_for_plan(plan)
    assert len(part.organisations) == 3
    assert [a.key for a in part.allocations] == ["minimum_pool", "minimum_pool"]
