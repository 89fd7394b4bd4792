"""Every transition attempted by a role that may not make it is refused and recorded.

One test per role walks a plan through its life (Draft → Ready for sign-off → Signed off →
Submitted → In assurance → Not approved) with the right people, and at each state has the
role under test attempt every transition open from that state that it may not make.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from governance import services, workflow
from governance.models import PlanEvent
from plans.models import Plan
from rounds.models import KeyLineOfEnquiry, OutcomeCategory
from tests.governance.conftest import sign_all, submit_signed

S = Plan.Status


def _attempts(cast):
    approved = OutcomeCategory.objects.get(round=cast.plan.round, code="approved")
    signature = services.Signature(signatory_name="Someone", position="Director", signed_on=timezone.localdate())
    return {
        "send_for_signoff": lambda user: services.send_for_signoff(user=user, plan=cast.plan),
        "complete_signoff": lambda user: services.sign_plan(
            user=user,
            plan=cast.plan,
            slot_code="hwb",
            signature=signature,
            seen_content_hash=services.plan_content_hash(cast.plan),
        ),
        "withdraw_from_signoff": lambda user: services.withdraw_from_signoff(user=user, plan=cast.plan),
        "submit": lambda user: services.submit_plan(user=user, plan=cast.plan),
        "start_review": lambda user: services.start_review(user=user, plan=cast.plan),
        "return_for_changes": lambda user: services.return_for_changes(user=user, plan=cast.plan, comment="No."),
        "decide": lambda user: services.decide(user=user, plan=cast.plan, outcome=approved),
        "reopen_for_resubmission": lambda user: services.reopen_for_resubmission(user=user, plan=cast.plan),
    }


def _steps(cast):
    """The legitimate path through every state, one step at a time."""

    def not_approved():
        ratings = {k.pk: ("not_met", "") for k in KeyLineOfEnquiry.objects.filter(round=cast.plan.round)}
        services.rate_kloes(user=cast.assurer, plan=cast.plan, ratings=ratings)
        outcome = OutcomeCategory.objects.get(round=cast.plan.round, code="not-approved")
        services.decide(user=cast.assurer, plan=cast.plan, outcome=outcome)

    return [
        lambda: services.send_for_signoff(user=cast.commissioner, plan=cast.plan),
        lambda: sign_all(cast),
        lambda: submit_signed(cast),
        lambda: services.start_review(user=cast.assurer, plan=cast.plan),
        not_approved,
    ]


def _walk_and_attempt(cast, user) -> list[str]:
    """Attempt, in each state, every open transition the user may not make; return what was attempted."""
    attempts = _attempts(cast)
    attempted = []
    steps = iter(_steps(cast))
    while True:
        cast.plan.refresh_from_db()
        state = cast.plan.status
        for name, transition in workflow.TRANSITIONS.items():
            if state not in transition.sources or workflow.SYSTEM in transition.actors:
                continue
            if workflow.may(user, transition, cast.plan):
                continue
            before = PlanEvent.objects.filter(action="transition_refused").count()
            with pytest.raises(PermissionDenied):
                attempts[name](user)
            cast.plan.refresh_from_db()
            assert cast.plan.status == state, f"{name} changed the plan although refused"
            refusal = PlanEvent.objects.filter(action="transition_refused").latest("id")
            assert PlanEvent.objects.filter(action="transition_refused").count() == before + 1
            assert refusal.plan_id == cast.plan.pk
            assert refusal.actor_id == user.pk
            assert refusal.detail["transition"] == name
            assert refusal.from_status == state
            attempted.append(f"{state}:{name}")
        step = next(steps, None)
        if step is None:
            return attempted
        step()


def test_commissioner_is_refused_signing_and_assurance(cast):
    attempted = _walk_and_attempt(cast, cast.commissioner)
    assert set(attempted) == {
        "ready_for_signoff:complete_signoff",
        "submitted:start_review",
        "submitted:return_for_changes",
        "in_assurance:return_for_changes",
        "in_assurance:decide",
    }


def test_signatory_is_refused_everything_but_signing(cast):
    attempted = _walk_and_attempt(cast, cast.signatories["hwb"])
    assert set(attempted) == {
        "draft:send_for_signoff",
        "ready_for_signoff:withdraw_from_signoff",
        "signed_off:withdraw_from_signoff",
        "signed_off:submit",
        "submitted:start_review",
        "submitted:return_for_changes",
        "in_assurance:return_for_changes",
        "in_assurance:decide",
        "not_approved:reopen_for_resubmission",
    }


def test_assurer_is_refused_the_areas_own_steps(cast):
    attempted = _walk_and_attempt(cast, cast.assurer)
    assert set(attempted) == {
        "draft:send_for_signoff",
        "ready_for_signoff:complete_signoff",
        "ready_for_signoff:withdraw_from_signoff",
        "signed_off:withdraw_from_signoff",
        "signed_off:submit",
        "not_approved:reopen_for_resubmission",
    }


ALL_OPEN = {
    "draft:send_for_signoff",
    "ready_for_signoff:complete_signoff",
    "ready_for_signoff:withdraw_from_signoff",
    "signed_off:withdraw_from_signoff",
    "signed_off:submit",
    "submitted:start_review",
    "submitted:return_for_changes",
    "in_assurance:return_for_changes",
    "in_assurance:decide",
    "not_approved:reopen_for_resubmission",
}


def test_viewer_is_refused_every_transition(cast):
    assert set(_walk_and_attempt(cast, cast.viewer)) == ALL_OPEN


def test_national_admin_is_refused_every_transition(cast):
    assert set(_walk_and_attempt(cast, cast.national_admin)) == ALL_OPEN


def test_another_areas_commissioner_is_refused_every_transition(cast):
    assert set(_walk_and_attempt(cast, cast.foreign_commissioner)) == ALL_OPEN


def test_another_regions_assurer_is_refused_every_transition(cast):
    assert set(_walk_and_attempt(cast, cast.foreign_assurer)) == ALL_OPEN


def test_a_transition_from_the_wrong_state_is_refused_and_recorded(cast):
    with pytest.raises(PermissionDenied, match="while the plan is draft"):
        services.submit_plan(user=cast.commissioner, plan=cast.plan)
    refusal = PlanEvent.objects.get(action="transition_refused")
    assert (refusal.actor, refusal.from_status, refusal.detail["transition"]) == (cast.commissioner, S.DRAFT, "submit")


def test_a_signatory_cannot_sign_a_slot_they_do_not_hold(cast):
    services.send_for_signoff(user=cast.commissioner, plan=cast.plan)
    signature = services.Signature(signatory_name="Chris Naylor", position="Chief Executive")
    with pytest.raises(PermissionDenied):
        services.sign_plan(
            user=cast.signatories["council"],
            plan=cast.plan,
            slot_code="hwb",
            signature=signature,
            seen_content_hash=services.plan_content_hash(cast.plan),
        )
    assert PlanEvent.objects.filter(action="transition_refused", actor=cast.signatories["council"]).exists()
