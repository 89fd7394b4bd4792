"""Who may do what to a monitoring return: the plan's rules, applied to the return's plan and status.

A return belongs to its plan's area. Its area's people read it at any stage; assurers of the
region read it once submitted; commissioners edit it until it is submitted; a signatory signs
only the slot they hold; assurers who hold no role in the area review it.
"""

from __future__ import annotations

from typing import NamedTuple

import rules
from django.db.models import Q

from accounts.models import Membership, User
from accounts.permissions import active, allowed, area_ids_of, assured_region_ids, holds, is_national_admin
from plans import permissions as plan_rules

from .models import Return

Role = Membership.Role
S = Return.Status

EDITABLE_STATUSES = (S.DRAFT, S.READY_FOR_SIGNOFF, S.SIGNED_OFF)
ASSURER_VISIBLE_STATUSES = (S.SUBMITTED, S.REVIEWED)


class SlotOfReturn(NamedTuple):
    ret: Return
    slot_code: str


@rules.predicate
def is_commissioner_of_area(user, ret) -> bool:
    return ret is not None and plan_rules.is_commissioner_of_area(user, ret.plan)


@rules.predicate
def is_area_reader(user, ret) -> bool:
    return ret is not None and plan_rules._holds_in_area(user, ret.plan, plan_rules.AREA_READER_ROLES)


@rules.predicate
def is_assurer_of_region(user, ret) -> bool:
    return ret is not None and plan_rules.is_assurer_of_region(user, ret.plan)


@rules.predicate
def is_submitted(user, ret) -> bool:
    return ret is not None and ret.status in ASSURER_VISIBLE_STATUSES


@rules.predicate
def is_editable(user, ret) -> bool:
    return ret is not None and ret.status in EDITABLE_STATUSES


@rules.predicate
def is_signatory_of_slot(user, target) -> bool:
    if not isinstance(target, SlotOfReturn) or not active(user):
        return False
    return holds(user, [Role.SIGNATORY], hwb_area_id=target.ret.plan.hwb_area_id, slot_code=target.slot_code)


PERMISSIONS = {
    "monitoring.view_return": is_national_admin | is_area_reader | (is_assurer_of_region & is_submitted),
    "monitoring.change_return": is_commissioner_of_area & is_editable,
    "monitoring.sign_slot": is_signatory_of_slot,
    "monitoring.review_return": is_assurer_of_region & is_submitted & ~is_area_reader,
}
for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)


def can_read_return(user, ret: Return) -> bool:
    return allowed(user, "monitoring.view_return", ret)


def can_edit_return(user, ret: Return) -> bool:
    return allowed(user, "monitoring.change_return", ret)


def can_sign_slot(user, ret: Return, slot_code: str) -> bool:
    return allowed(user, "monitoring.sign_slot", SlotOfReturn(ret, slot_code))


def can_review_return(user, ret: Return) -> bool:
    return allowed(user, "monitoring.review_return", ret)


def readable_returns_filter(user: User) -> Q | None:
    """The returns `monitoring.view_return` allows, as a filter: None means every return."""
    if not active(user):
        return Q(pk__in=[])
    if is_national_admin(user):
        return None
    return Q(plan__hwb_area_id__in=sorted(area_ids_of(user, plan_rules.AREA_READER_ROLES))) | Q(
        plan__hwb_area__region_id__in=sorted(assured_region_ids(user)), status__in=ASSURER_VISIBLE_STATUSES
    )


# --- The national roll-up ---------------------------------------------------------------------
# National admins see every region's returns; assurers see their own regions' (submitted ones only,
# as for a single return). Anyone else is refused.
rules.set_perm("monitoring.view_national_returns", is_national_admin | plan_rules.is_assurer)


def can_view_national_returns(user) -> bool:
    return allowed(user, "monitoring.view_national_returns")


def national_region_ids(user: User) -> list[int] | None:
    """The regions whose returns the user sees in the national roll-up: None means every region."""
    if is_national_admin(user):
        return None
    return sorted(assured_region_ids(user))
