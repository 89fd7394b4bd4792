"""The Part 2 read gives each plan its own rows, in the models' order, however they were fetched."""

from finance.models import ExpenditureAmount, ExpenditureLine, IncomeLine
from finance.selectors import part_two_for_plan
from metrics.models import MetricAmbition, PlannedValue
from plans.models import ConditionResponse, Plan, Risk
from rounds.models import Organisation
from schemes.models import Scheme


def test_part_two_has_this_plans_rows_in_the_models_order(bd_plan, plymouth_plan):
    for plan, _ in (bd_plan, plymouth_plan):
        part = part_two_for_plan(plan)

        assert part.expenditure_lines == list(ExpenditureLine.objects.filter(plan=plan).order_by("order", "id"))
        assert part.income_lines == list(IncomeLine.objects.filter(plan=plan))  # Meta.ordering
        assert part.ambitions == list(MetricAmbition.objects.filter(plan=plan))
        assert part.risks == list(Risk.objects.filter(plan=plan))
        for ambition in part.ambitions:
            assert part.planned[ambition.pk] == list(PlannedValue.objects.filter(ambition=ambition))
        stored = {(a.line_id, a.year.label): a.amount for a in ExpenditureAmount.objects.filter(line__plan=plan)}
        read = {
            (line_id, year): amount for line_id, by_year in part.amounts.items() for year, amount in by_year.items()
        }
        assert read == stored
        assert part.organisations == list(Organisation.objects.filter(hwb_areas=plan.hwb_area))
        assert part.condition_responses == {r.question_id: r for r in ConditionResponse.objects.filter(plan=plan)}
        for line in part.expenditure_lines:
            stored = Scheme.objects.get(pk=line.scheme_id)
            assert (line.scheme.reference, line.scheme.name) == (stored.reference, stored.name)


def test_a_schemes_other_fields_still_load_when_asked_for(bd_plan):
    """Part 2 reads only a scheme's reference and name; anything else is fetched on first use."""
    plan, _ = bd_plan
    line = part_two_for_plan(plan).expenditure_lines[0]
    assert line.scheme.description == Scheme.objects.get(pk=line.scheme_id).description


def test_income_keeps_an_organisation_no_longer_linked_to_the_area(bd_plan):
    """Lines take their organisation from the area's list; one removed from the area is still fetched."""
    plan, _ = bd_plan
    line = IncomeLine.objects.filter(plan=plan).first()
    line.organisation.hwb_areas.remove(plan.hwb_area)

    part = part_two_for_plan(Plan.objects.select_related("round").get(pk=plan.pk))  # as the next request reads it

    assert line.organisation not in part.organisations
    assert next(i for i in part.income_lines if i.pk == line.pk).organisation.name == line.organisation.name
