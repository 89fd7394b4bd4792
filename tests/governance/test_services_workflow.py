"""The plan's life through the services: sign-off, submission, assurance, return and resubmission."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finance import services as finance_services
from governance import services
from governance.models import PlanEvent, SignOff, Submission
from plans.models import Plan, SectionProgress
from rounds.models import KeyLineOfEnquiry, OutcomeCategory
from tests.governance.conftest import sign_all, submit

S = Plan.Status
DUE = timezone.localdate() + datetime.timedelta(days=90)  # a condition falls due after the decision


def test_last_signature_signs_the_plan_off_and_each_binds_the_content_hash(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in cast.signatories.values())
    sign_all(cast, slots=("hwb", "council"))
    assert cast.plan.status == S.READY_FOR_SIGNOFF
    sign_all(cast, slots=("ccg",))
    assert cast.plan.status == S.SIGNED_OFF
    content_hash = services.plan_content_hash(cast.plan)
    assert set(SignOff.objects.filter(plan=cast.plan).values_list("content_hash", flat=True)) == {content_hash}
    assert SignOff.objects.get(slot__code="council").organisation_name == "London Borough of Barking and Dagenham"
    actions = list(PlanEvent.objects.filter(plan=cast.plan).order_by("id").values_list("action", flat=True))
    assert actions == ["send_for_signoff", "signed", "signed", "signed", "complete_signoff"]


def test_signing_under_delegation_records_the_delegating_decision(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    chair = cast.signatories["hwb"]
    signature = services.Signature(
        signatory_name="Anne Officer",
        position="Director of Public Health",
        under_delegation=True,
        delegating_body="Barking and Dagenham Health and Wellbeing Board",
        delegation_date=datetime.date(2017, 7, 11),
        delegation_minute_ref="HWB 17/23",
    )
    signoff = services.sign_plan(
        user=chair,
        plan=cast.plan,
        slot_code="hwb",
        signature=signature,
        seen_content_hash=services.plan_content_hash(cast.plan),
    )
    signoff.refresh_from_db()
    assert (signoff.delegating_body, signoff.delegation_date, signoff.delegation_minute_ref) == (
        "Barking and Dagenham Health and Wellbeing Board",
        datetime.date(2017, 7, 11),
        "HWB 17/23",
    )


def test_signing_under_delegation_needs_the_whole_decision(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    signature = services.Signature(signatory_name="Anne Officer", under_delegation=True, delegating_body="HWB")
    with pytest.raises(ValidationError, match="minute reference"):
        services.sign_plan(
            user=cast.signatories["hwb"],
            plan=cast.plan,
            slot_code="hwb",
            signature=signature,
            seen_content_hash=services.plan_content_hash(cast.plan),
        )


def test_sending_for_signoff_needs_every_section_completed(cast):
    SectionProgress.objects.filter(plan=cast.plan, section__key="vision").update(status="in_progress")
    with pytest.raises(ValidationError, match="Vision for health and care services"):
        services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.DRAFT


def test_submission_is_refused_while_a_part_two_rule_fails(signed_plan):
    cast = signed_plan
    # Moving money after sign-off voids the signatures too; re-sign to isolate the rule failure.
    line = cast.plan.income_lines.order_by("id").first()
    finance_services.save_income_line(
        user=cast.commissioner,
        plan=cast.plan,
        line=line,
        version=line.version,
        funding_stream=line.funding_stream,
        organisation=line.organisation,
        year=line.year,
        amount=1,
    )
    # The save took "Completed" back from the sections the rules now fail; mark them again, so that
    # only submission's own check of the rules stands in the way.
    SectionProgress.objects.filter(plan=cast.plan).update(status=SectionProgress.Status.COMPLETED)
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    sign_all(cast)
    with pytest.raises(ValidationError) as error:
        services.submit_plan(user=cast.commissioner, plan=cast.plan)
    assert any("minimum" in m.lower() or "income" in m.lower() for m in error.value.messages)
    assert not Submission.objects.exists()


def test_submission_freezes_snapshot_pdf_and_workbook_and_flags_lateness(submitted):
    cast, submission = submitted
    assert cast.plan.status == S.SUBMITTED
    assert submission.version == 1
    assert submission.snapshot["plan"]["ons_code"] == "E09000002"
    assert len(submission.snapshot["signoffs"]) == 3
    assert submission.pdf.read(5) == b"%PDF-"
    assert submission.workbook.read(2) == b"PK"
    assert submission.is_late is False  # the factory round's deadline is a month away
    subjects = [m.subject for m in mail.outbox]
    assert any(s.startswith("Submitted:") for s in subjects)
    assert cast.assurer.email in {m.to[0] for m in mail.outbox}


def test_a_submission_after_the_deadline_is_flagged_late(cast):
    Plan.objects.filter(pk=cast.plan.pk)  # noqa: B018 - plan untouched; move the round's deadline
    cast.plan.round.final_deadline = datetime.datetime(2017, 9, 11, 12, tzinfo=datetime.UTC)
    cast.plan.round.save()
    submission = submit(cast)
    assert submission.is_late is True


def _approve_with_conditions(cast):
    ratings = {k.pk: ("met", "Clear evidence.") for k in KeyLineOfEnquiry.objects.filter(round=cast.plan.round)}
    services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved-with-conditions")
    return services.decide(
        user=cast.assurer,
        plan=cast.plan,
        outcome=outcome,
        summary="A sound plan.",
        conditions=[services.Condition("Agree the DFG plan with housing", DUE)],
    )


def test_assurer_rates_every_kloe_and_approves_with_conditions(submitted):
    cast, _ = submitted
    review = _approve_with_conditions(cast)
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.APPROVED_WITH_CONDITIONS
    assert review.ratings.count() == 3
    assert review.conditions.get().due_date == DUE


def test_an_outcome_needs_every_kloe_rated(submitted):
    cast, _ = submitted
    first = KeyLineOfEnquiry.objects.filter(round=cast.plan.round).first()
    services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings={first.pk: ("met", "")})
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="approved")
    with pytest.raises(ValidationError, match="PR2"):
        services.decide(user=cast.assurer, plan=cast.plan, outcome=outcome)


def test_return_for_changes_opens_a_new_draft_version_without_signatures(submitted):
    cast, _ = submitted
    services.return_for_changes(user=cast.assurer, plan=cast.plan, comment="Add the DFG plan.")
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.version) == (S.DRAFT, 2)
    assert not SignOff.objects.filter(plan=cast.plan, voided_at__isnull=True).exists()
    second = submit(cast)
    assert second.version == 2
    assert Submission.objects.filter(plan=cast.plan).count() == 2


def test_a_plan_not_approved_is_resubmitted_as_a_new_version(submitted):
    cast, _ = submitted
    ratings = {k.pk: ("not_met", "") for k in KeyLineOfEnquiry.objects.filter(round=cast.plan.round)}
    services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)
    outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="not-approved")
    services.decide(user=cast.assurer, plan=cast.plan, outcome=outcome)
    cast.plan.refresh_from_db()
    assert cast.plan.status == S.NOT_APPROVED
    services.reopen_for_resubmission(user=cast.commissioner, plan=cast.plan)
    cast.plan.refresh_from_db()
    assert (cast.plan.status, cast.plan.version) == (S.DRAFT, 2)


def test_returned_and_decided_plans_are_emailed_to_the_area(submitted, django_capture_on_commit_callbacks):
    cast, _ = submitted
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.return_for_changes(user=cast.assurer, plan=cast.plan, comment="Add the DFG plan.")
    returned = [m for m in mail.outbox if m.subject.startswith("Returned for changes")]
    assert {m.to[0] for m in returned} == {cast.commissioner.email, *(u.email for u in cast.signatories.values())}
    assert "Add the DFG plan." in returned[0].body
    submit(cast)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _approve_with_conditions(cast)
    decided = [m for m in mail.outbox if m.subject.startswith("Assurance outcome")]
    assert cast.commissioner.email in {m.to[0] for m in decided}
    assert "Approved with conditions" in decided[0].body


def test_snapshot_is_built_in_a_fixed_number_of_queries(cast, django_assert_num_queries):
    from governance.snapshots import plan_content

    plan_content(cast.plan)  # the round's configuration is cached per process, as in a running server
    with CaptureQueriesContext(connection) as captured:
        small = plan_content(cast.plan)
    line = cast.plan.expenditure_lines.first()
    for i in range(5):
        line.pk = None
        line.order = 100 + i
        line.save()
    with django_assert_num_queries(len(captured)):
        bigger = plan_content(cast.plan)
    assert len(bigger["expenditure"]) == len(small["expenditure"]) + 5
