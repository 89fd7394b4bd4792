"""Starting a return from the approved plan, and the one edit path: conflicts, bounds, completion, signatures."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from monitoring import services
from monitoring.models import Return, ReturnEvent, ReturnPartProgress
from plans.editing import StaleEdit
from tests import factories as f
from tests.monitoring.conftest import add_return_template, part

pytestmark = pytest.mark.django_db


def test_start_return_prefills_lines_metrics_and_conditions_from_the_approved_submission(approved_plan, q1_return):
    content = q1_return.approved_submission.snapshot["content"]
    spend = [x for x in content["expenditure"] if "2017/18" in x["amounts"]]
    income = [x for x in content["income"] if x["year"] == "2017/18"]
    assert q1_return.lines.filter(kind="expenditure").count() == len(spend)
    assert q1_return.lines.filter(kind="income").count() == len(income)
    first = q1_return.lines.get(kind="expenditure", source_key="expenditure-1")
    assert first.planned_year == Decimal(spend[0]["amounts"]["2017/18"])
    assert first.planned == (first.planned_year / 4).quantize(Decimal("0.01"))
    assert q1_return.metrics.count() == len(content["metrics"])
    assert list(q1_return.conditions.values_list("number", flat=True)) == [1, 2]
    assert ReturnEvent.objects.filter(ret=q1_return, action="started").count() == 1


def test_start_return_is_idempotent(approved_plan, q1_return):
    again = services.start_return(user=approved_plan.commissioner, plan=approved_plan.plan, period=q1_return.period)
    assert again.pk == q1_return.pk
    assert Return.objects.filter(plan=approved_plan.plan).count() == 1
    assert q1_return.lines.count() == again.lines.count()


def test_start_return_is_refused_before_approval(db):
    from tests.governance.workflow_plans import build_workflow_plan

    cast = build_workflow_plan()
    q1 = add_return_template(cast.plan.round)
    with pytest.raises(ValidationError):
        services.start_return(user=cast.commissioner, plan=cast.plan, period=q1)
    with pytest.raises(PermissionDenied):
        services.start_return(user=cast.viewer, plan=cast.plan, period=q1)
    assert not Return.objects.exists()


def _line_change(line, **values):
    base = {"actual": line.actual, "forecast": line.forecast, "explanation": line.explanation}
    return services.LineChange(pk=line.pk, version=line.version, **{**base, **values})


def test_save_lines_raises_stale_edit_over_a_newer_save(approved_plan, q1_return):
    line = q1_return.lines.first()
    services.save_lines(
        user=approved_plan.commissioner, ret=q1_return, changes=[_line_change(line, actual=line.planned)]
    )
    with pytest.raises(StaleEdit):
        services.save_lines(
            user=approved_plan.commissioner, ret=q1_return, changes=[_line_change(line, actual=Decimal(1))]
        )
    line.refresh_from_db()
    assert line.actual == line.planned and line.version == 2


@pytest.mark.parametrize("amount", [Decimal("-1"), Decimal("100000000.01")])
def test_amounts_outside_the_rounds_bounds_are_refused(approved_plan, q1_return, amount):
    line = q1_return.lines.first()
    with pytest.raises(ValidationError):
        services.save_lines(user=approved_plan.commissioner, ret=q1_return, changes=[_line_change(line, actual=amount)])
    line.refresh_from_db()
    assert line.actual is None and line.version == 1


def test_an_explanation_longer_than_a_workbook_cell_holds_is_refused_and_nothing_is_saved(approved_plan, q1_return):
    line = q1_return.lines.first()
    too_long = "x" * 32_768  # one more than an Excel cell holds: the return's workbook could not carry it
    with pytest.raises(ValidationError, match="32,767 characters or fewer"):
        services.save_lines(
            user=approved_plan.commissioner,
            ret=q1_return,
            changes=[_line_change(line, actual=line.planned, explanation=too_long)],
        )
    line.refresh_from_db()
    assert line.actual is None and line.explanation == "" and line.version == 1


def _fill_finance(user, ret, *, under_line=None, explanation=""):
    changes = []
    for line in ret.lines.all():
        actual = line.planned * Decimal("0.75") if line == under_line else line.planned
        changes.append(
            _line_change(
                line, actual=actual, forecast=line.planned_year, explanation=explanation if line == under_line else ""
            )
        )
    services.save_lines(user=user, ret=ret, changes=changes)


def test_completing_finance_is_refused_with_a_25_percent_variance_unexplained_and_allowed_once_explained(
    approved_plan, q1_return
):
    user, finance = approved_plan.commissioner, part(q1_return, "finance")
    under = q1_return.lines.filter(kind="expenditure").first()
    _fill_finance(user, q1_return, under_line=under)
    with pytest.raises(ValidationError) as refused:
        services.set_part_completed(user=user, ret=q1_return, part=finance, completed=True)
    assert any(under.label in m and "10%" in m for m in refused.value.messages)
    assert not ReturnPartProgress.objects.filter(ret=q1_return, completed=True).exists()

    under.refresh_from_db()
    services.save_lines(
        user=user, ret=q1_return, changes=[_line_change(under, explanation="The service started a month late.")]
    )
    services.set_part_completed(user=user, ret=q1_return, part=finance, completed=True)
    assert ReturnPartProgress.objects.get(ret=q1_return, part=finance).completed


def test_editing_voids_the_returns_signatures_and_puts_it_back_to_draft(approved_plan, q1_return):
    Return.objects.filter(pk=q1_return.pk).update(status=Return.Status.SIGNED_OFF)
    q1_return.refresh_from_db()
    signature = f.ReturnSignOffFactory(ret=q1_return)
    line = q1_return.lines.first()
    services.save_lines(user=approved_plan.commissioner, ret=q1_return, changes=[_line_change(line, actual=Decimal(5))])
    signature.refresh_from_db()
    q1_return.refresh_from_db()
    assert signature.voided_at is not None
    assert q1_return.status == Return.Status.DRAFT
    assert ReturnEvent.objects.filter(ret=q1_return, action="signatures_voided").exists()


def test_lines_sharing_a_name_are_told_apart_by_their_detail_in_the_checks(approved_plan, q1_return):
    first, second = q1_return.lines.filter(kind="expenditure").order_by("order")[:2]
    second.label = first.label  # one scheme split across two funding streams
    second.save()
    from monitoring import selectors

    messages = [p.message for p in selectors.return_problems(q1_return)["finance"]]
    assert f"Enter the actual amount for {first.label} ({first.detail})" in messages
    assert f"Enter the actual amount for {second.label} ({second.detail})" in messages


def test_a_national_metric_is_pre_filled_with_the_rounds_unit(approved_plan, q1_return):
    from rounds.units import UNITS

    units = {m.unit for m in q1_return.metrics.all()}
    assert units and units <= {u.label for u in UNITS.values()}
