"""The plan's life as one explicit table of transitions, and who may make each.

Services in governance/services.py are the only code that moves a plan between states; each
looks its transition up here, so the table below is the whole workflow in one place.
"""

from dataclasses import dataclass

from accounts.models import Membership, User
from accounts.permissions import is_national_admin, memberships_of
from plans.models import Plan
from plans.permissions import AREA_READER_ROLES

S = Plan.Status

# Who may act, by the scope of their membership:
COMMISSIONER = "commissioner"  # a commissioner of the plan's HWB area
SIGNATORY = "signatory"  # a signatory of the plan's area holding one of the round's slots
ASSURER = "assurer"  # an assurer of the plan's NHS England region with no role in the plan's area
NATIONAL_ADMIN = "national_admin"  # a national administrator (whatever else they hold)
SYSTEM = "system"  # the portal itself, e.g. when an edit voids the signatures


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str  # "" when the service picks the target (the assurer's outcome)
    actors: frozenset[str]
    new_version: bool = False  # the plan reopens as a new version


def _t(name, label, sources, target, actors, new_version=False) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(actors), new_version)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("send_for_signoff", "Send for sign-off", [S.DRAFT], S.READY_FOR_SIGNOFF, [COMMISSIONER]),
        # Made by the signatory whose signature fills the last slot.
        _t("complete_signoff", "Complete sign-off", [S.READY_FOR_SIGNOFF], S.SIGNED_OFF, [SIGNATORY]),
        _t("withdraw_from_signoff", "Return to draft", [S.READY_FOR_SIGNOFF, S.SIGNED_OFF], S.DRAFT, [COMMISSIONER]),
        _t("void_signatures", "Plan changed after sign-off", [S.READY_FOR_SIGNOFF, S.SIGNED_OFF], S.DRAFT, [SYSTEM]),
        _t("submit", "Submit", [S.SIGNED_OFF], S.SUBMITTED, [COMMISSIONER]),
        _t("start_review", "Start assurance", [S.SUBMITTED], S.IN_ASSURANCE, [ASSURER]),
        _t(
            "return_for_changes",
            "Return for changes",
            [S.SUBMITTED, S.IN_ASSURANCE],
            S.DRAFT,
            [ASSURER],
            new_version=True,
        ),
        _t(
            "decide",
            "Record the outcome",
            [S.IN_ASSURANCE],
            "",
            [ASSURER],
        ),
        # An approved plan moves on to its round's next phase (a planning update against it): a new
        # version, in draft, with its own sign-off and submission; the approved submission stays as it is.
        # Made by a national administrator, or by the portal when the phase opens (the round's opens date).
        _t(
            "start_next_phase",
            "Start the next phase",
            [S.APPROVED, S.APPROVED_WITH_CONDITIONS],
            S.DRAFT,
            [NATIONAL_ADMIN, SYSTEM],
            new_version=True,
        ),
        _t(
            "reopen_for_resubmission",
            "Start a new version",
            [S.NOT_APPROVED],
            S.DRAFT,
            [COMMISSIONER],
            new_version=True,
        ),
    ]
}

DECISION_STATUSES = frozenset({S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.NOT_APPROVED})
# A plan is with NHS England (assurers see and comment on it) from submission onwards.
ASSURANCE_STATUSES = frozenset({S.SUBMITTED, S.IN_ASSURANCE}) | DECISION_STATUSES
# Signatures and edits are possible only before submission.
SIGNING_STATUSES = frozenset({S.READY_FOR_SIGNOFF, S.SIGNED_OFF})


def roles_for(user: User | None, plan: Plan) -> set[str]:
    """The workflow roles the user holds for this plan (none for national admins or viewers)."""
    if user is None:
        return {SYSTEM}
    if not user.is_authenticated:
        return set()
    roles = set()
    memberships = memberships_of(user)
    for m in memberships:
        if m.role == Membership.Role.COMMISSIONER and m.hwb_area_id == plan.hwb_area_id:
            roles.add(COMMISSIONER)
        elif m.role == Membership.Role.SIGNATORY and m.hwb_area_id == plan.hwb_area_id:
            roles.add(SIGNATORY)
        elif m.role == Membership.Role.ASSURER and m.region_id == plan.hwb_area.region_id:
            roles.add(ASSURER)
    # An assurer who also holds any role in the area (plans.permissions.holds_role_in_area) does
    # not assure its plans: another assurer of the region must.
    if any(m.role in AREA_READER_ROLES and m.hwb_area_id == plan.hwb_area_id for m in memberships):
        roles.discard(ASSURER)
    if is_national_admin(user):
        roles.add(NATIONAL_ADMIN)
    return roles


def slot_codes_for(user: User, plan: Plan) -> set[str]:
    """The sign-off slot codes the user holds in the plan's area."""
    if not user.is_authenticated:
        return set()
    return {
        m.signoff_slot_code
        for m in memberships_of(user)
        if m.role == Membership.Role.SIGNATORY and m.hwb_area_id == plan.hwb_area_id
    }


def may(user: User | None, transition: Transition, plan: Plan) -> bool:
    return bool(roles_for(user, plan) & transition.actors)


def target_for_outcome(outcome) -> str:
    """The plan status an assurer's outcome category leads to (the round's categories are data)."""
    if not outcome.is_approval:
        return S.NOT_APPROVED
    return S.APPROVED_WITH_CONDITIONS if outcome.requires_conditions else S.APPROVED


def available(user: User, plan: Plan) -> list[Transition]:
    """Transitions the user could make from the plan's current state (for showing buttons)."""
    return [t for t in TRANSITIONS.values() if plan.status in t.sources and t.actors != {SYSTEM} and may(user, t, plan)]
