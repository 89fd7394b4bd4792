"""Metric ambitions: rates per 100,000, % change from baseline, editing with the version check, local metrics."""

from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import MetricAmbition
from metrics.selectors import ambitions_for_plan, percent_change
from rounds.units import UNITS, Measure
from tests.finance.demo_plans import build_barking_and_dagenham, build_plymouth

pytestmark = pytest.mark.django_db
KW = {"round_slug": "2017-19", "ons_code": "E09000002"}


@pytest.fixture
def bd(db):
    return build_barking_and_dagenham()


def test_rate_per_100k_from_numerator_and_population():
    # B&D residential admissions baseline: 130 admissions, 65+ population 19,337
    rate = Measure(UNITS["rate_per_100k"], 1)
    assert rate.compute(Decimal(130), Decimal(19337)) == Decimal("672.2863")
    assert rate.format(rate.compute(Decimal(130), Decimal(19337))) == "672.3 per 100,000"
    assert rate.compute(None, Decimal(19337)) is None
    assert rate.compute(Decimal(130), Decimal(0)) is None


def test_percent_change_from_baseline():
    assert percent_change(Decimal("672.3"), Decimal("650.5")) == Decimal("-3.2")
    assert percent_change(Decimal(0), Decimal(5)) is None


def test_metrics_page_lists_every_round_metric_with_computed_rate(bd, client, django_assert_max_num_queries):
    plan, user = bd
    client.force_login(user)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("metrics:ambitions", kwargs=KW))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Non-elective admissions" in html and "Permanent admissions of older people to residential care" in html
    assert "672.3 per 100,000" in html


def test_setting_an_ambition_computes_rate_and_change(bd, client):
    plan, user = bd
    client.force_login(user)
    ambition = MetricAmbition.objects.get(plan=plan, metric__key="residential")
    response = client.post(
        reverse("metrics:ambition", kwargs={**KW, "metric_key": "residential"}),
        {
            "version": ambition.version,
            "baseline_period": "2016/17",
            "baseline_value": "672.3",
            "baseline_numerator": "130",
            "baseline_denominator": "19337",
            "planned_0_value": "650.5",
            "planned_0_numerator": "126",
            "planned_0_denominator": "19370",
            "rationale": "Hold admissions as the population grows.",
        },
    )
    assert response.status_code == 302
    row = next(r for r in ambitions_for_plan(plan) if r.metric and r.metric.key == "residential")
    planned = row.planned[0]
    assert planned.period == "2017/18"
    assert planned.value == Decimal("650.5") and planned.change == Decimal("-3.2")
    assert planned.shown == "650.5 per 100,000"
    assert row.planned[1].value is None


def test_stale_ambition_edit_is_refused_and_keeps_input(bd, client):
    plan, user = bd
    client.force_login(user)
    ambition = MetricAmbition.objects.get(plan=plan, metric__key="residential")
    opened = ambition.version
    ambition.rationale = "Changed by a colleague"
    ambition.version += 1
    ambition.save()
    response = client.post(
        reverse("metrics:ambition", kwargs={**KW, "metric_key": "residential"}),
        {"version": opened, "baseline_value": "999", "rationale": "Mine"},
    )
    assert response.status_code == 409
    assert "Someone else changed this metric" in response.content.decode()
    assert 'value="999"' in response.content.decode()
    ambition.refresh_from_db()
    assert ambition.rationale == "Changed by a colleague"


def test_local_metric_can_be_added(bd, client):
    plan, user = bd
    client.force_login(user)
    response = client.post(
        reverse("metrics:local_add", kwargs=KW),
        {
            "local_name": "Falls injuries 65+",
            "local_unit": "rate_per_100k",
            "baseline_value": "2100",
            "new_period": "2017/18",
            "version": "",
        },
    )
    assert response.status_code == 302
    local = MetricAmbition.objects.get(plan=plan, metric__isnull=True)
    assert local.local_name == "Falls injuries 65+"
    assert [p.period for p in local.planned_values.all()] == ["2017/18"]


def test_other_areas_commissioner_gets_404_on_metrics(bd, client):
    plan, _ = bd
    _, outsider = build_plymouth()
    client.force_login(outsider)
    for address in [
        reverse("metrics:ambitions", kwargs=KW),
        reverse("metrics:ambition", kwargs={**KW, "metric_key": "residential"}),
        reverse("metrics:local_add", kwargs=KW),
    ]:
        response = client.get(address)
        assert response.status_code == 404
        assert b"672.3" not in response.content
