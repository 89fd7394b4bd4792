"""The plan's snapshot holds its capacity and demand figures, and the PDF prints the table with totals and gaps."""

import pytest

from capacity.models import CapacityDemandFigure
from governance.pdf import render_plan_pdf
from governance.snapshots import read_plan_snapshot
from plans.models import Answer
from rounds.models import Question
from tests.factories import PlanWithContentFactory
from tests.governance.test_pdf import assert_in_order, body_text

pytestmark = pytest.mark.django_db


def fill(plan):
    CapacityDemandFigure.objects.create(plan=plan, row_key="home-reablement", period="Apr 2030", demand=50, capacity=42)
    CapacityDemandFigure.objects.create(plan=plan, row_key="home-reablement", period="May 2030", demand=48, capacity=55)
    CapacityDemandFigure.objects.create(plan=plan, row_key="bed-rehab", period="Apr 2030", demand=7, capacity=10)
    CapacityDemandFigure.objects.create(plan=plan, row_key="urgent-response", period="Jun 2030", demand=31, capacity=30)


def test_the_snapshot_content_holds_the_figures_and_an_edit_changes_its_hash(cd_plan):
    plan, _ = cd_plan
    fill(plan)
    snapshot = read_plan_snapshot(plan)
    content = snapshot.content()["capacity_demand"]
    assert [b["block"] for b in content] == ["discharge", "community"]
    reablement = content[0]["rows"][0]
    assert reablement["service_type"] == "Reablement at home" and reablement["pathway"] == "1"
    assert reablement["figures"][0] == {"period": "Apr 2030", "demand": 50, "capacity": 42}
    assert reablement["figures"][2] == {"period": "Jun 2030", "demand": None, "capacity": None}
    assert snapshot.part_two.capacity_demand.blocks[0].total.gap == 42 + 55 + 10 - 50 - 48 - 7

    CapacityDemandFigure.objects.filter(plan=plan, row_key="bed-rehab").update(capacity=11)
    assert read_plan_snapshot(plan).content_hash != snapshot.content_hash


def test_a_round_without_a_table_keeps_the_content_it_always_had(db):
    plan = PlanWithContentFactory(signoffs=False)
    assert "capacity_demand" not in read_plan_snapshot(plan).content()
    assert read_plan_snapshot(plan).part_two.capacity_demand is None


def test_the_pdf_prints_each_block_with_totals_gaps_and_the_assumptions(cd_plan):
    plan, _ = cd_plan
    fill(plan)
    question = Question.objects.get(section__round=plan.round, key="cd-assumptions")
    Answer.objects.create(plan=plan, question=question, text="Referrals grew by a tenth a year since 2027.")

    text = body_text(render_plan_pdf(plan), plan)

    assert_in_order(
        text,
        [
            "Capacity and demand",
            "Leaving hospital",
            "Service type",
            "Discharge pathway",
            "Apr 2030",
            "Jun 2030",
            "Total",
            "Reablement at home",
            "1",
            "Referrals expected",
            "50",
            "48",
            "98",  # the row's total demand
            "Places available",
            "42",
            "55",
            "97",
            "Gap (capacity minus demand)",
            "-8",
            "7",
            "-1",
            "Rehabilitation in a bed",
            "Total",
            "57",  # April's demand over the block's service types
            "Referrals from the community",
            "Urgent community response",
            "31",
            "30",
            "-1",
            "How we estimated demand and capacity",
            "Referrals grew by a tenth a year since 2027.",
        ],
    )


def test_what_changed_since_a_signatory_saw_the_plan_names_the_service_type(cd_plan):
    from governance.compare import compare_snapshots

    plan, _ = cd_plan
    fill(plan)
    before = read_plan_snapshot(plan).submission_json()
    CapacityDemandFigure.objects.filter(plan=plan, row_key="bed-rehab").update(capacity=11)

    diffs = [d for d in compare_snapshots(before, read_plan_snapshot(plan).submission_json()) if d.changed]

    assert [d.key for d in diffs] == ["care-flow"]
    assert ("-", "Leaving hospital, Rehabilitation in a bed: Apr 2030 7/10; May 2030 -/-; Jun 2030 -/-") in diffs[
        0
    ].lines
    assert ("+", "Leaving hospital, Rehabilitation in a bed: Apr 2030 7/11; May 2030 -/-; Jun 2030 -/-") in diffs[
        0
    ].lines


def test_the_2023_25_table_prints_in_part_1_in_parts_of_six_months(db):
    from rounds.loader import load_round, rounds_dir
    from rounds.models import HwbArea
    from tests.factories import PlanFactory

    rnd = load_round(rounds_dir() / "2023-25.yaml")
    plan = PlanFactory(round=rnd, hwb_area=HwbArea.objects.get(ons_code="E06000026"))
    CapacityDemandFigure.objects.create(
        plan=plan, row_key="d-reablement-home", period="Mar 2025", demand=64, capacity=61
    )

    text = body_text(render_plan_pdf(plan), plan)

    assert_in_order(
        text,
        [
            "Capacity and demand for intermediate and short-term care",
            "Approach to estimating demand and capacity",
            "Hospital discharge (Apr 2023 to Sep 2023)",
            "Hospital discharge (Oct 2024 to Mar 2025)",
            "Reablement at home",
            "64",
            "61",
            "-3",
            "Community (step-up referrals) (Apr 2023 to Sep 2023)",
            "Summary of Part 2",
        ],
    )
