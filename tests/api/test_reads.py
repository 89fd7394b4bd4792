"""Filters, cursor pages, CSV, ETag/If-None-Match, and what a plan shows of its aligned-plan group."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from finance.models import IncomeLine
from plans.models import Plan

pytestmark = pytest.mark.django_db


def areas(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return sorted(row["area"] for row in response.json()["results"])


def test_filters_by_round_region_area_status_and_updated_since(country):
    client = country.client("national_admin")
    plans = reverse("api:plan-list")
    lines = reverse("api:income-line-list")
    assert areas(client.get(plans, {"region": "RN"})) == ["E06000001", "E06000002"]
    assert areas(client.get(lines, {"region": "RS"})) == ["E06000003"]
    assert areas(client.get(lines, {"area": "E06000002"})) == ["E06000002"]
    assert areas(client.get(plans, {"status": ["approved", "submitted"]})) == ["E06000002", "E06000003"]
    assert areas(client.get(lines, {"round": "api-2030-31"})) == ["E06000001", "E06000002", "E06000003"]
    assert areas(client.get(lines, {"round": "no-such-round"})) == []
    assert client.get(plans, {"status": "nonsense"}).status_code == 400

    since = timezone.now()
    Plan.objects.filter(pk=country.plans["foreign_submitted"].pk).update(
        updated_at=since + datetime.timedelta(seconds=1)
    )
    assert areas(client.get(lines, {"updated_since": since.isoformat()})) == ["E06000003"]
    # Filters only narrow: an assurer asking for another region's plans gets none.
    assert areas(country.client("assurer").get(plans, {"region": "RS"})) == []


def test_a_content_edit_moves_the_plans_updated_at(country):
    from plans.editing import plan_edit

    plan = country.plans["own_draft"]
    before = Plan.objects.get(pk=plan.pk).updated_at
    line = IncomeLine.objects.get(plan=plan)
    with plan_edit(user=country.users["commissioner"], plan=plan) as edit:
        line.note = "Changed"
        edit.save(line)
    assert Plan.objects.get(pk=plan.pk).updated_at > before


def test_cursor_pages_visit_every_row_once_in_a_stable_order(country):
    client = country.client("national_admin")
    url, seen, pages = reverse("api:income-line-list") + "?page_size=1", [], 0
    while url:
        response = client.get(url)
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
        if url:
            assert response["Link"] == f'<{url}>; rel="next"'
    assert pages == 3
    assert seen == sorted(IncomeLine.objects.values_list("pk", flat=True))


def test_list_endpoints_answer_in_csv_too(country):
    client = country.client("national_admin")
    response = client.get(reverse("api:expenditure-line-list"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["area"] for r in rows] == ["E06000001", "E06000002", "E06000003"]
    assert rows[0]["amounts.2025/26"] == "250000.00" and rows[0]["total"] == "250000.00"

    by_accept = client.get(reverse("api:plan-list"), HTTP_ACCEPT="text/csv")
    assert by_accept["Content-Type"].startswith("text/csv")
    plan_rows = list(csv.DictReader(io.StringIO(by_accept.content.decode())))
    assert {r["group.name"] for r in plan_rows} == {"Northern alliance", ""}


def test_csv_cells_that_look_like_formulas_stay_text(country):
    IncomeLine.objects.filter(plan=country.plans["own_draft"]).update(note='=HYPERLINK("http://x")')
    response = country.client("commissioner").get(reverse("api:income-line-list"), {"format": "csv"})
    row = next(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["note"] == '\'=HYPERLINK("http://x")'


def test_a_second_request_with_the_etag_of_the_first_gets_304(country):
    client = country.client("national_admin")
    url = reverse("api:income-line-list")
    first = client.get(url)
    etag = first["ETag"]
    assert etag and "Authorization" in first["Vary"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag

    IncomeLine.objects.filter(plan=country.plans["own_draft"]).update(note="A new note")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag

    detail = reverse("api:plan-detail", kwargs={"plan_id": country.plans["own_draft"].pk})
    tag = client.get(detail)["ETag"]
    assert client.get(detail, HTTP_IF_NONE_MATCH=tag).status_code == 304
    # Another caller's copy is not theirs: a different view of the data has a different tag.
    assert country.client("assurer").get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_plan_shows_its_aligned_plan_group(country):
    client = country.client("commissioner")
    plan = client.get(reverse("api:plan-detail", kwargs={"plan_id": country.plans["own_draft"].pk})).json()
    assert plan["group"] == {
        "id": country.plans["own_draft"].group_id,
        "name": "Northern alliance",
        "members": ["E06000001", "E06000002"],
    }
    assert plan["status"] == "draft" and plan["version"] == 1 and plan["round"] == "api-2030-31"
    foreign = country.client("foreign_commissioner").get(reverse("api:plan-list")).json()["results"]
    assert foreign[0]["group"] is None


def test_rounds_carry_their_configuration(country):
    data = country.client("viewer").get(reverse("api:round-detail", kwargs={"round_slug": "api-2030-31"})).json()
    assert data["years"] == [{"label": "2025/26", "order": 1}]
    assert [s["key"] for s in data["funding_streams"]] == ["nhs-minimum"]
    assert [o["code"] for o in data["outcomes"]] == ["approved"]
    assert len(data["return_periods"]) == 1


def test_assurance_outcomes_show_only_decided_reviews_with_conditions(country):
    rows = country.client("national_admin").get(reverse("api:assurance-outcome-list")).json()["results"]
    assert len(rows) == 2
    assert {r["outcome"] for r in rows} == {"approved"}
    assert rows[0]["conditions"] == [{"text": "Report on discharge.", "due_date": "2026-03-31"}]
    submissions = country.client("national_admin").get(reverse("api:submission-list")).json()["results"]
    assert {len(s["snapshot_sha256"]) for s in submissions} == {64}


def test_no_names_or_emails_of_people(country):
    client = country.client("national_admin")
    people = list(country.users.values())
    for name in ("plan", "submission", "assurance-outcome", "return", "condition-response"):
        body = client.get(reverse(f"api:{name}-list"), {"format": "csv"}).content.decode()
        for person in people:
            assert person.email not in body and person.full_name not in body, name


def test_list_endpoints_read_in_a_fixed_number_of_queries(country, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ExpenditureAmountFactory, IncomeLineFactory, PlannedValueFactory

    client = country.client("national_admin")
    names = ["plan", "income-line", "expenditure-line", "scheme", "metric-ambition"]
    names += ["condition-response", "submission", "assurance-outcome", "return", "round", "area"]

    def counts():
        found = {}
        for name in names:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse(f"api:{name}-list")).status_code == 200
            # Savepoints are the test's own transaction around the audit row's atomic block, not queries
            # a production request sends; the token lookup and the audit insert do count.
            found[name] = sum(1 for q in captured.captured_queries if "SAVEPOINT" not in q["sql"])
        return found

    counts()  # warm per-process caches (the first request of a run reads a few more)
    before = counts()
    plan = country.plans["neighbour_approved"]
    line = IncomeLine.objects.filter(plan=plan).first()
    for _ in range(5):
        IncomeLineFactory(plan=plan, year=line.year, funding_stream=line.funding_stream)
        amount = ExpenditureAmountFactory(line__plan=plan, line__funding_stream=line.funding_stream, year=line.year)
        PlannedValueFactory(ambition__plan=plan, period="2026/27")
        assert amount.pk
    after = counts()
    assert after == before
    assert max(after.values()) <= 10, after
