"""The national roll-up and the dataset read 150 areas' returns in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, User
from bench.seed import seed_national_dataset, seed_returns
from monitoring.models import Return

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 10  # the bench's target for every page (bench/run.py targets)


@pytest.fixture
def national_scale(shipped_rounds):
    seeded = seed_national_dataset(password="bench-password-1", areas=150)
    returns = seed_returns(plans=seeded["plans"], users=seeded["users"])
    admin = User.objects.create(email="admin@bench.local")
    Membership.objects.create(user=admin, role=Membership.Role.NATIONAL_ADMIN)
    plan = returns["submitted"][0].plan
    assurer = User.objects.create(email="assurer@bench.local")
    Membership.objects.create(user=assurer, role=Membership.Role.ASSURER, region=plan.hwb_area.region)
    return {"period": returns["period"], "admin": admin, "assurer": assurer, "returns": returns}


def test_the_national_returns_page_reads_150_areas_in_a_fixed_number_of_queries(
    client, national_scale, django_assert_max_num_queries
):
    period = national_scale["period"]
    url = reverse("monitoring:national", kwargs={"round_slug": period.round.slug, "period_key": period.key})
    for user in (national_scale["admin"], national_scale["assurer"]):
        client.force_login(user)
        client.get(url)
        with django_assert_max_num_queries(PAGE_LIMIT):
            response = client.get(url)
        assert response.status_code == 200
    client.force_login(national_scale["admin"])
    page = client.get(url).context
    assert page["area_total"] == 150
    assert page["submitted_total"] == Return.objects.filter(status=Return.Status.SUBMITTED).count() > 30


def test_the_national_dataset_with_returns_is_read_in_a_fixed_number_of_queries(client, national_scale):
    url = reverse("monitoring:national_dataset", kwargs={"round_slug": national_scale["period"].round.slug})
    client.force_login(national_scale["admin"])
    client.get(url)  # the round's configuration is cached per process, as in a running server
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert len(captured) <= 14, "\n".join(q["sql"] for q in captured.captured_queries)
