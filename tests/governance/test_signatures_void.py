"""Any change to a signed plan's content voids every signature and returns the plan to Draft."""

from decimal import Decimal

import pytest
from django.core import mail

from finance import services as finance_services
from finance.models import ExpenditureAmount, IncomeLine
from governance import services
from governance.models import PlanEvent, SignOff
from metrics.models import MetricAmbition, PlannedValue
from plans import editing as plan_editing
from plans import services as plan_services
from plans.models import Plan, RelatedDocument, Risk, SectionProgress
from rounds.models import CodeListEntry, Question, Section
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


def _edit_answer(cast):
    answer = cast.plan.answers.first()
    answer.text += " Changed."
    answer.save()


def _add_risk(cast):
    rating = CodeListEntry.objects.get(round=cast.plan.round, list="risk_rating", code="high")
    Risk.objects.create(plan=cast.plan, description="Winter pressures", rating=rating)


def _add_document(cast):
    RelatedDocument.objects.create(plan=cast.plan, title="Joint strategic needs assessment")


def _rename_scheme(cast):
    scheme = Scheme.objects.filter(plan=cast.plan).first()
    scheme.name += " (renamed)"
    scheme.save()


def _change_expenditure_amount(cast):
    amount = ExpenditureAmount.objects.filter(line__plan=cast.plan).first()
    amount.amount -= 1
    amount.save()


def _change_expenditure_line(cast):
    line = cast.plan.expenditure_lines.first()
    line.is_new = not line.is_new
    line.save()


def _delete_income_line(cast):
    IncomeLine.objects.filter(plan=cast.plan).order_by("-id").first().delete()


def _change_ambition(cast):
    ambition = MetricAmbition.objects.filter(plan=cast.plan).first()
    ambition.rationale += " Revised."
    ambition.save()


def _add_planned_value(cast):
    ambition = MetricAmbition.objects.filter(plan=cast.plan).first()
    PlannedValue.objects.create(ambition=ambition, period="2018/19", value=Decimal("650.1"))


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


def test_an_edit_while_awaiting_signatures_voids_those_given(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast, slots=("hwb",))
    _edit_answer(cast)
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.DRAFT
    assert not SignOff.objects.filter(plan=cast.plan, voided_at__isnull=True).exists()


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
    """Even a change that slips past the receivers (a bulk update) leaves the signatures invalid."""
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
