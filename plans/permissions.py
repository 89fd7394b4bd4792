"""Who may do what to a plan: the portal's object-level rules (django-rules), deny unless a rule allows.

Every permission is a named rule below. Views and services ask through the helpers at the end
(`can_read_plan`, `can_edit_plan`, ...), or `allowed` (accounts.permissions), which test the rule
itself rather than `user.has_perm`, because Django's has_perm lets a superuser do anything and
here a superuser is only a national administrator (who reads everything and edits no plan).

Querysets are scoped by `readable_plans_filter`, written from the same role lists and status
sets as the predicates; tests/security/test_permissions.py proves the two agree for every role.
"""

from __future__ import annotations

from typing import NamedTuple

import rules
from django.db.models import Q

from accounts.models import Membership, User
from accounts.permissions import active, allowed, area_ids_of, assured_region_ids, holds, is_national_admin, roles_of

from .models import Plan

Role = Membership.Role
S = Plan.Status

# Roles held in an HWB area that let the holder read that area's plans at any stage.
AREA_READER_ROLES = (Role.COMMISSIONER, Role.SIGNATORY, Role.VIEWER)
# Assurers see a plan only once it has been submitted to them.
ASSURER_VISIBLE_STATUSES = (S.SUBMITTED, S.IN_ASSURANCE, S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.NOT_APPROVED)
# Editing a plan awaiting or holding signatures is allowed: the edit voids the signatures and
# returns it to Draft (plans.events, which governance listens to). Submitted and later plans are read-only.
EDITABLE_STATUSES = (S.DRAFT, S.READY_FOR_SIGNOFF, S.SIGNED_OFF)


class SlotOfPlan(NamedTuple):
    """The object of the sign_slot rule: one sign-off slot (by code) of one plan."""

    plan: Plan
    slot_code: str


def _holds_in_area(user, plan, roles) -> bool:
    if not active(user) or plan is None:
        return False
    return holds(user, roles, hwb_area_id=plan.hwb_area_id)


# --- Predicates ---------------------------------------------------------------------------


@rules.predicate
def is_commissioner_of_area(user, plan) -> bool:
    return _holds_in_area(user, plan, [Role.COMMISSIONER])


@rules.predicate
def is_signatory_of_area(user, plan) -> bool:
    return _holds_in_area(user, plan, [Role.SIGNATORY])


@rules.predicate
def is_viewer_of_area(user, plan) -> bool:
    return _holds_in_area(user, plan, [Role.VIEWER])


@rules.predicate
def holds_role_in_area(user, plan) -> bool:
    """Any role in the plan's own area: such a user may not assure its plans (no marking one's own homework)."""
    return _holds_in_area(user, plan, AREA_READER_ROLES)


@rules.predicate
def is_assurer_of_region(user, plan) -> bool:
    if not active(user) or plan is None:
        return False
    return holds(user, [Role.ASSURER], region_id=plan.hwb_area.region_id)


@rules.predicate
def is_assurer(user) -> bool:
    return active(user) and Role.ASSURER in roles_of(user)


@rules.predicate
def is_submitted(user, plan) -> bool:
    return plan is not None and plan.status in ASSURER_VISIBLE_STATUSES


@rules.predicate
def is_editable(user, plan) -> bool:
    return plan is not None and plan.status in EDITABLE_STATUSES


@rules.predicate
def is_signatory_of_slot(user, target) -> bool:
    if not isinstance(target, SlotOfPlan) or not active(user):
        return False
    return holds(user, [Role.SIGNATORY], hwb_area_id=target.plan.hwb_area_id, slot_code=target.slot_code)


# A plan group's rules look at its member plans' areas (plans.groups: aligned plans).


def _member_plans(group):
    return list(group.plans.select_related("hwb_area")) if group is not None else []


@rules.predicate
def is_commissioner_of_member_area(user, group) -> bool:
    if not active(user) or group is None:
        return False
    return user.memberships.filter(role=Role.COMMISSIONER, hwb_area__plans__group=group).exists()


@rules.predicate
def may_read_a_member_plan(user, group) -> bool:
    return any(may_read_plan.test(user, plan) for plan in _member_plans(group))


# --- Rules ----------------------------------------------------------------------------------

may_read_plan = (
    is_national_admin
    | is_commissioner_of_area
    | is_signatory_of_area
    | is_viewer_of_area
    | (is_assurer_of_region & is_submitted)
)

PERMISSIONS = {
    # Reading a plan, its pages, its history and its exports.
    "plans.view_plan": may_read_plan,
    "plans.export_plan": may_read_plan,
    # A submission's files are rendered after it is committed; its readers may ask again for a failed render.
    "plans.retry_submission_files": may_read_plan,
    # Changing a plan's content: its own area's commissioners, until it is submitted.
    "plans.change_plan": is_commissioner_of_area & is_editable,
    # Sign-off: a signatory of the area signs only the slot they hold.
    "plans.sign_plan": is_signatory_of_area,
    "plans.sign_slot": is_signatory_of_slot,
    # Assurance: assurers of the plan's region, on submitted plans, unless they also hold a role
    # in its area (they wrote, signed or watched it); they write only reviews.
    "plans.review_plan": is_assurer_of_region & is_submitted & ~holds_role_in_area,
    # Aligned plans: a group is read by anyone who may read one of its plans; its shared text is
    # written, and areas invited, by a commissioner of any member area (a national admin also manages).
    "plans.view_group": is_national_admin | may_read_a_member_plan,
    "plans.change_shared_text": is_commissioner_of_member_area,
    "plans.manage_group": is_national_admin | is_commissioner_of_member_area,
    # National views (the security audit log's rule is accounts.permissions').
    "plans.view_national_picture": is_national_admin | is_assurer,
}
for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)  # set, not add: a module reload must not fail


def can_read_plan(user, plan: Plan) -> bool:
    return allowed(user, "plans.view_plan", plan)


def can_edit_plan(user, plan: Plan) -> bool:
    return allowed(user, "plans.change_plan", plan)


def can_sign_slot(user, plan: Plan, slot_code: str) -> bool:
    return allowed(user, "plans.sign_slot", SlotOfPlan(plan, slot_code))


def can_read_group(user, group) -> bool:
    return allowed(user, "plans.view_group", group)


def can_edit_shared_text(user, group) -> bool:
    return allowed(user, "plans.change_shared_text", group)


def can_manage_group(user, group) -> bool:
    return allowed(user, "plans.manage_group", group)


def can_review_plan(user, plan: Plan) -> bool:
    return allowed(user, "plans.review_plan", plan)


# --- Querysets --------------------------------------------------------------------------------


NO_PLANS = Q(pk__in=[])


def readable_plans_filter(user: User) -> Q | None:
    """The plans `may_read_plan` allows, as a filter: None means every plan, NO_PLANS none.

    Written from the same roles and statuses as the predicates above, with the user's areas and
    regions as plain lists (memberships_of has read them), so the plan query stays simple.
    """
    if not active(user):
        return NO_PLANS
    if is_national_admin(user):
        return None
    areas, regions = sorted(area_ids_of(user, AREA_READER_ROLES)), sorted(assured_region_ids(user))
    if not areas and not regions:
        return NO_PLANS
    # Only the parts the user holds: most people have areas or regions, not both, and an empty part
    # would still be built and compiled on every plan page.
    own = Q(hwb_area_id__in=areas) if areas else None
    assured = Q(hwb_area__region_id__in=regions, status__in=ASSURER_VISIBLE_STATUSES) if regions else None
    if own is not None and assured is not None:
        return own | assured
    return own if own is not None else assured
