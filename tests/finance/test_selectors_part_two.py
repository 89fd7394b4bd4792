"""The Part 2 read: each plan's own rows, in the models' order, as an immutable snapshot, in fixed queries."""

import dataclasses

import pytest

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from finance.selectors import part_two_for_plan
from metrics.models import MetricAmbition, PlannedValue
from plans.models import ConditionResponse, Plan, Risk
from rounds.models import Organisation
from schemes.models import Scheme

# Income; expenditure lines with each line's scheme reference and name, joined to their amounts;
# ambitions, planned values, condition responses, risks: one query each, however many rows.
PART_TWO_QUERIES = 6


def _ids(rows) -> list[int]:
    return [row.pk for row in rows]


def test_part_two_has_this_plans_rows_in_the_models_order(bd_plan, plymouth_plan):
    for plan, _ in (bd_plan, plymouth_plan):
        part = part_two_for_plan(plan)

        assert _ids(part.expenditure_lines) == _ids(ExpenditureLine.objects.filter(plan=plan).order_by("order", "id"))
        assert _ids(part.income_lines) == _ids(IncomeLine.objects.filter(plan=plan))  # Meta.ordering
        assert _ids(part.ambitions) == _ids(MetricAmbition.objects.filter(plan=plan))
        assert _ids(part.risks) == _ids(Risk.objects.filter(plan=plan))
        for ambition in part.ambitions:
            assert _ids(part.planned[ambition.pk]) == _ids(PlannedValue.objects.filter(ambition_id=ambition.pk))
        stored = {(a.line_id, a.year.label): a.amount for a in ExpenditureAmount.objects.filter(line__plan=plan)}
        read = {
            (line_id, year): amount for line_id, by_year in part.amounts.items() for year, amount in by_year.items()
        }
        assert read == stored
        assert part.organisations == list(Organisation.objects.filter(hwb_areas=plan.hwb_area))
        responses = {r.question_id: (r.pk, r.status, r.narrative) for r in ConditionResponse.objects.filter(plan=plan)}
        assert {q: (r.pk, r.status, r.narrative) for q, r in part.condition_responses.items()} == responses
        for line in part.expenditure_lines:
            model = ExpenditureLine.objects.select_related("scheme").get(pk=line.pk)
            assert (line.scheme.reference, line.scheme.name) == (model.scheme.reference, model.scheme.name)
            assert (line.scheme_type, line.funding_stream, line.version) == (
                model.scheme_type,
                model.funding_stream,
                model.version,
            )


def test_the_snapshot_cannot_be_changed(bd_plan):
    plan, _ = bd_plan
    part = part_two_for_plan(plan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        part.income_lines[0].amount = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        part.risks = ()
    assert isinstance(part.expenditure_lines, tuple)


def test_income_keeps_an_organisation_no_longer_linked_to_the_area(bd_plan):
    """Lines take their organisation from the area's list; one removed from the area is still fetched."""
    plan, _ = bd_plan
    line = IncomeLine.objects.filter(plan=plan).first()
    line.organisation.hwb_areas.remove(plan.hwb_area)

    part = part_two_for_plan(Plan.objects.select_related("round").get(pk=plan.pk))  # as the next request reads it

    assert line.organisation not in part.organisations
    assert next(i for i in part.income_lines if i.pk == line.pk).organisation.name == line.organisation.name


def _grow(plan: Plan, extra: int) -> None:
    """More schemes, expenditure lines (with amounts), risks and planned values."""
    line = ExpenditureLine.objects.filter(plan=plan).first()
    amounts = list(line.amounts.all())
    scheme = line.scheme
    for n in range(extra):
        copy = Scheme.objects.get(pk=scheme.pk)
        copy.pk, copy.reference = None, f"GROW{n}"
        copy.save()
        new = ExpenditureLine.objects.get(pk=line.pk)
        new.pk, new.scheme, new.order = None, copy, 500 + n
        new.save()
        ExpenditureAmount.objects.bulk_create(
            [ExpenditureAmount(line=new, year_id=a.year_id, amount=a.amount) for a in amounts]
        )
        Risk.objects.create(plan=plan, description=f"Risk {n}", rating=line.scheme_type, order=500 + n)
    ambition = MetricAmbition.objects.filter(plan=plan).first()
    PlannedValue.objects.bulk_create(
        [PlannedValue(ambition=ambition, period=f"Grow {n}", order=500 + n) for n in range(extra)]
    )


@pytest.mark.parametrize("extra", [0, 40])
def test_part_two_reads_in_a_fixed_number_of_queries_at_any_size(bd_plan, extra, django_assert_max_num_queries):
    plan, _ = bd_plan
    _grow(plan, extra)
    plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
    part_two_for_plan(plan)  # the round's configuration is cached per process, as in a running server
    with django_assert_max_num_queries(PART_TWO_QUERIES) as captured:
        part = part_two_for_plan(plan)
    assert len(captured) == PART_TWO_QUERIES
    assert len(part.expenditure_lines) == ExpenditureLine.objects.filter(plan=plan).count()
    assert len(part.risks) == Risk.objects.filter(plan=plan).count()


def test_the_finance_pages_read_two_queries(bd_plan, django_assert_num_queries):
    plan, _ = bd_plan
    plan = Plan.objects.select_related("round", "hwb_area").get(pk=plan.pk)
    part_two_for_plan(plan, finance_only=True)
    # The income, and the expenditure lines joined to their amounts.
    with django_assert_num_queries(2):
        part_two_for_plan(plan, finance_only=True)
