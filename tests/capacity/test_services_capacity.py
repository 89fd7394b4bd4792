"""Saving capacity and demand figures: totals and gaps, the stale-edit check, signatures and section status."""

import pytest

from capacity import selectors, services
from capacity.models import CapacityDemandFigure
from plans.editing import StaleEdit
from plans.models import SectionProgress
from rounds.models import CapacityBlock, CapacityDemand, CapacityRow, Section
from tests.capacity.conftest import full_figures

pytestmark = pytest.mark.django_db


def test_totals_per_row_and_period_and_the_gap_are_computed():
    rows = (CapacityRow("a", "Reablement at home", "1"), CapacityRow("b", "Bed-based rehabilitation", "2"))
    definition = CapacityDemand(
        periods=("Apr", "May"),
        blocks=(CapacityBlock("discharge", "Hospital discharge", rows),),
        demand_label="Demand",
        capacity_label="Capacity",
        gap_label="Gap",
        pathway_label="Pathway",
    )
    tables = selectors.capacity_tables(
        definition, {("a", "Apr"): (10, 8), ("a", "May"): (5, 9), ("b", "Apr"): (3, None)}
    )
    [block] = tables.blocks
    a, b = block.rows
    assert [(c.demand, c.capacity, c.gap) for c in a.cells] == [(10, 8, -2), (5, 9, 4)]
    assert a.cells[0].short and not a.cells[1].short
    assert (a.total.demand, a.total.capacity, a.total.gap) == (15, 17, 2)
    assert (b.cells[0].gap, b.cells[1].demand, b.total.demand, b.total.capacity) == (None, None, 3, None)
    assert [(c.demand, c.capacity, c.gap) for c in block.period_totals] == [(13, 8, -5), (5, 9, 4)]
    assert (block.total.demand, block.total.capacity, block.total.gap) == (18, 17, -1)


def test_saving_a_block_stores_its_figures_starts_the_section_and_voids_signatures(cd_plan):
    from tests.factories import SignOffFactory

    plan, user = cd_plan
    signature = SignOffFactory(plan=plan, content_hash="a" * 64)
    definition = selectors.definition_for_plan(plan)
    block = definition.block("discharge")
    figures = {k: v for k, v in full_figures(definition).items() if k[0] in {r.key for r in block.rows}}
    figures[("bed-rehab", "May 2030")] = (None, None)

    changed = services.save_block(
        user=user, plan=plan, block=block, fingerprint=selectors.block_fingerprint(block, {}), figures=figures
    )

    assert changed
    assert CapacityDemandFigure.objects.filter(plan=plan).count() == 5  # the blank cell has no row
    signature.refresh_from_db()
    assert signature.voided_at is not None
    section = Section.objects.get(round=plan.round, table=Section.Table.CAPACITY_DEMAND)
    assert SectionProgress.objects.get(plan=plan, section=section).status == SectionProgress.Status.IN_PROGRESS


def test_a_save_over_a_colleagues_newer_save_is_refused_and_writes_nothing(cd_plan):
    plan, user = cd_plan
    block = selectors.definition_for_plan(plan).block("community")
    shown = selectors.block_fingerprint(block, {})
    services.save_block(
        user=user, plan=plan, block=block, fingerprint=shown, figures={("urgent-response", "Apr 2030"): (40, 35)}
    )

    with pytest.raises(StaleEdit):
        services.save_block(
            user=user, plan=plan, block=block, fingerprint=shown, figures={("urgent-response", "Apr 2030"): (1, 1)}
        )

    assert CapacityDemandFigure.objects.get(plan=plan, row_key="urgent-response").demand == 40


def test_an_unchanged_save_changes_nothing_and_sends_no_event(cd_plan):
    from tests.factories import SignOffFactory

    plan, user = cd_plan
    block = selectors.definition_for_plan(plan).block("community")
    figures = {("urgent-response", "Apr 2030"): (40, 35)}
    services.save_block(
        user=user, plan=plan, block=block, fingerprint=selectors.block_fingerprint(block, {}), figures=figures
    )
    signature = SignOffFactory(plan=plan, content_hash="a" * 64)
    stored = selectors.figures_for_plans([plan.pk])[plan.pk]

    assert not services.save_block(
        user=user, plan=plan, block=block, fingerprint=selectors.block_fingerprint(block, stored), figures=figures
    )
    signature.refresh_from_db()
    assert signature.voided_at is None


def test_the_section_is_completed_only_when_every_row_and_period_has_both_figures(cd_plan):
    from django.core.exceptions import ValidationError

    from plans import services as plan_services
    from tests.factories import AnswerFactory

    plan, user = cd_plan
    section = Section.objects.get(round=plan.round, table=Section.Table.CAPACITY_DEMAND)
    AnswerFactory(plan=plan, question=section.questions.get(), text="From last year's referrals, plus 3%.")
    definition = selectors.definition_for_plan(plan)
    for block in definition.blocks:
        services.save_block(
            user=user,
            plan=plan,
            block=block,
            fingerprint=selectors.block_fingerprint(block, {}),
            figures={k: v for k, v in full_figures(definition).items() if k[0] in {r.key for r in block.rows}},
        )
    CapacityDemandFigure.objects.filter(plan=plan, row_key="urgent-response", period="Jun 2030").update(capacity=None)

    with pytest.raises(ValidationError) as error:
        plan_services.complete_section(user=user, plan=plan, section=section)
    assert error.value.messages == [
        "Enter demand and capacity for ‘Urgent community response’ (Referrals from the community): Jun 2030"
    ]

    CapacityDemandFigure.objects.filter(plan=plan, row_key="urgent-response", period="Jun 2030").update(capacity=3)
    plan_services.complete_section(user=user, plan=plan, section=section)
    assert SectionProgress.objects.get(plan=plan, section=section).status == SectionProgress.Status.COMPLETED
