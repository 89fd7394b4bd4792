"""Any change to a signed plan's content voids every signature and returns the plan to Draft."""

from decimal import Decimal

import pytest
from django.core import mail

from finance import services as finance_services
from finance.models import ExpenditureAmount, IncomeLine
from governance import services
from governance.models import PlanEvent, SignOff
from metrics import services as metric_services
from metrics.models import MetricAmbition
from plans import editing as plan_editing
from plans import services as plan_services
from plans.models import Plan, SectionProgress
from rounds.models import CodeListEntry, Question, Section
from schemes import services as scheme_services
from schemes.models import Scheme
from tests.governance.conftest import sign_all

S = Plan.Status


def _assert_voided_and_draft(cast):
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.DRAFT
    signoffs = SignOff.objects.filter(plan=cast.plan)
    assert signoffs.count() == 3
    assert all(s.voided_at is not None for s in signoffs), "every signature is void"
    assert services.unsigned_slots(cast.plan) == list(cast.plan.round.signoff_slots.order_by("order"))
    event = PlanEvent.objects.filter(plan=cast.plan, action="void_signatures").get()
    assert (event.from_status, event.to_status) == (S.SIGNED_OFF, S.DRAFT)
    return event


def test_signature_is_void_after_plan_edit(signed_plan, django_capture_on_commit_callbacks):
    """The commissioner edits an answer through the authoring service after the plan is signed off."""
    cast = signed_plan
    assert cast.plan.status == S.SIGNED_OFF
    question = Question.objects.get(section__round=cast.plan.round, key="vision")
    answer = cast.plan.answers.get(question=question)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.save_section(
            user=cast.commissioner,
            plan=cast.plan,
            section=question.section,
            answers={"vision": plan_services.AnswerEdit("A new vision, agreed after sign-off.", answer.version)},
        )
    event = _assert_voided_and_draft(cast)
    assert event.actor == cast.commissioner
    told = {m.to[0] for m in mail.outbox if m.subject.startswith("Your signature was removed")}
    assert told == {u.email for u in cast.signatories.values()}


def test_signatures_are_void_after_a_finance_service_edit(signed_plan):
    cast = signed_plan
    line = IncomeLine.objects.filter(plan=cast.plan).order_by("id").first()
    finance_services.save_income_line(
        user=cast.commissioner,
        plan=cast.plan,
        line=line,
        version=line.version,
        funding_stream=line.funding_stream,
        organisation=line.organisation,
        year=line.year,
        amount=line.amount + 1,
    )
    _assert_voided_and_draft(cast)


# Each content change goes through its app's service, which sends plans.events.content_changed.


def _edit_answer(cast):
    answer = cast.plan.answers.select_related("question__section").first()
    plan_services.save_section(
        user=cast.commissioner,
        plan=cast.plan,
        section=answer.question.section,
        answers={answer.question.key: plan_services.AnswerEdit(answer.text + " Changed.", answer.version)},
    )


def _add_risk(cast):
    rating = CodeListEntry.objects.get(round=cast.plan.round, list="risk_rating", code="high")
    values = {"description": "Winter pressures", "rating_id": rating.pk, "mitigating_actions": "", "owner": ""}
    plan_services.save_risk(user=cast.commissioner, plan=cast.plan, risk_id=None, values=values, version=0)


def _add_document(cast):
    values = {"ref": "", "title": "Joint strategic needs assessment", "synopsis": "", "url": ""}
    plan_services.save_document(user=cast.commissioner, plan=cast.plan, document_id=None, values=values, version=0)


def _rename_scheme(cast):
    scheme = Scheme.objects.filter(plan=cast.plan).first()
    values = {name: getattr(scheme, name) for name in scheme_services.LABELS}
    scheme_services.save_scheme(
        user=cast.commissioner,
        plan=cast.plan,
        scheme_id=scheme.pk,
        values={**values, "name": scheme.name + " (renamed)"},
        version=scheme.version,
    )


def _save_line(cast, line, **changes):
    amounts = {amount.year: amount.amount for amount in line.amounts.select_related("year")}
    finance_services.save_expenditure_line(
        user=cast.commissioner,
        plan=cast.plan,
        line=line,
        version=line.version,
        **{
            "scheme_reference": line.scheme.reference,
            "scheme_type": line.scheme_type,
            "area_of_spend": line.area_of_spend,
            "commissioner": line.commissioner,
            "percent_nhs": line.percent_nhs,
            "percent_la": line.percent_la,
            "provider": line.provider,
            "funding_stream": line.funding_stream,
            "is_new": line.is_new,
            "amounts": amounts,
            **changes,
        },
    )


def _change_expenditure_amount(cast):
    amount = ExpenditureAmount.objects.filter(line__plan=cast.plan).select_related("line", "year").first()
    amounts = {a.year: a.amount for a in amount.line.amounts.select_related("year")}
    _save_line(cast, amount.line, amounts={**amounts, amount.year: amount.amount - 1})


def _change_expenditure_line(cast):
    line = cast.plan.expenditure_lines.first()
    _save_line(cast, line, is_new=not line.is_new)


def _delete_income_line(cast):
    line = IncomeLine.objects.filter(plan=cast.plan).order_by("-id").first()
    finance_services.remove_income_line(user=cast.commissioner, plan=cast.plan, line=line, version=line.version)


def _save_ambition(cast, ambition, *, rationale=None, extra_planned=()):
    planned = [
        {"period": p.period, "value": p.value, "numerator": p.numerator, "denominator": p.denominator}
        for p in ambition.planned_values.all()
    ]
    values = {name: getattr(ambition, name) for name in metric_services.BASELINE_FIELDS}
    metric_services.save_ambition(
        user=cast.commissioner,
        plan=cast.plan,
        ambition=ambition,
        metric=ambition.metric,
        version=ambition.version,
        values={**values, "rationale": ambition.rationale if rationale is None else rationale},
        planned=planned + list(extra_planned),
    )


def _change_ambition(cast):
    ambition = MetricAmbition.objects.filter(plan=cast.plan).first()
    _save_ambition(cast, ambition, rationale=ambition.rationale + " Revised.")


def _add_planned_value(cast):
    ambition = MetricAmbition.objects.filter(plan=cast.plan).first()
    new = {"period": "2018/19", "value": Decimal("650.1"), "numerator": None, "denominator": None}
    _save_ambition(cast, ambition, extra_planned=[new])


@pytest.mark.parametrize(
    "edit",
    [
        _edit_answer,
        _add_risk,
        _add_document,
        _rename_scheme,
        _change_expenditure_amount,
        _change_expenditure_line,
        _delete_income_line,
        _change_ambition,
        _add_planned_value,
    ],
)
def test_any_content_change_voids_every_signature(signed_plan, edit):
    edit(signed_plan)
    _assert_voided_and_draft(signed_plan)


def test_an_edit_while_awaiting_signatures_voids_those_given_and_tells_every_signatory(
    cast, django_capture_on_commit_callbacks
):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast, slots=("hwb",))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _edit_answer(cast)
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.DRAFT
    assert not SignOff.objects.filter(plan=cast.plan, voided_at__isnull=True).exists()
    # Every signatory of the area is told, not only the one who had signed.
    told = {m.to[0] for m in mail.outbox if m.subject.startswith("Your signature was removed")}
    assert told == {u.email for u in cast.signatories.values()}
    assert len(told) > 1


def test_progress_changes_are_not_content_and_leave_signatures_alone(signed_plan):
    cast = signed_plan
    SectionProgress.objects.filter(plan=cast.plan).exclude(section__table=Section.Table.SIGNOFF).update(
        status="in_progress"
    )
    progress = SectionProgress.objects.filter(plan=cast.plan).first()
    progress.save()
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.SIGNED_OFF
    assert SignOff.objects.filter(plan=cast.plan, voided_at__isnull=True).count() == 3


def test_edits_to_a_draft_plan_record_nothing(cast):
    _edit_answer(cast)
    assert not PlanEvent.objects.filter(plan=cast.plan).exists()


def test_a_signature_is_valid_only_while_the_content_hash_matches(signed_plan):
    """Even a change that bypasses the services (a bulk update) leaves the signatures invalid."""
    cast = signed_plan
    assert len(services.valid_signoffs(cast.plan)) == 3
    IncomeLine.objects.filter(plan=cast.plan).update(note="changed in bulk")
    assert services.valid_signoffs(cast.plan) == {}
    with pytest.raises(services.ValidationError) as error:
        services.submit_plan(user=cast.commissioner, plan=cast.plan)
    assert "Get the plan signed: Signed on behalf of the Health and Wellbeing Board" in error.value.messages


def test_commissioner_may_edit_a_signed_off_plan_but_not_a_submitted_one(signed_plan):
    from django.core.exceptions import PermissionDenied

    cast = signed_plan
    plan_editing.require_edit(user=cast.commissioner, plan=cast.plan)
    services.submit_plan(user=cast.commissioner, plan=cast.plan)
    cast.plan.refresh_from_db()
    with pytest.raises(PermissionDenied):
        plan_editing.require_edit(user=cast.commissioner, plan=cast.plan)
    assert cast.plan.status == S.SUBMITTED
