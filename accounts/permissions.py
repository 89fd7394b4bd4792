"""Rules about people rather than plans (django-rules): who is a national administrator, who may read
the audit log, and the one way every app asks a rule (`allowed`), deny unless a rule allows.

The rules about plans build on these in plans.permissions.
"""

from __future__ import annotations

from typing import NamedTuple

import rules

from .models import Membership


def active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


class Held(NamedTuple):
    """One membership, as the rules read it."""

    role: str
    hwb_area_id: int | None
    region_id: int | None
    is_lead: bool
    signoff_slot_code: str


def memberships_of(user) -> tuple[Held, ...]:
    """Every membership the user holds, read in one query once per user object.

    The signed-in user comes with them already read (accounts.backends, from the cache until the
    user or a membership changes), so every rule a page asks and its menu share one read, and a
    membership changed in another request is seen on the next. Code that
    changes a user's memberships and then asks a rule about the same user object calls
    `forget_memberships` first.
    """
    try:
        return user._memberships_held
    except AttributeError:
        rows = user.memberships.values_list("role", "hwb_area_id", "region_id", "is_lead", "signoff_slot_code")
        user._memberships_held = tuple(Held(*row) for row in rows)
        return user._memberships_held


def forget_memberships(user) -> None:
    user.__dict__.pop("_memberships_held", None)


def roles_of(user) -> frozenset[str]:
    """The roles the user holds in any area or region."""
    return frozenset(m.role for m in memberships_of(user))


def area_ids_of(user, roles) -> set[int]:
    """The HWB areas in which the user holds one of `roles`."""
    return {m.hwb_area_id for m in memberships_of(user) if m.role in roles and m.hwb_area_id is not None}


def assured_region_ids(user) -> set[int]:
    """The regions the user assures."""
    return {m.region_id for m in memberships_of(user) if m.role == Membership.Role.ASSURER}


def holds(user, roles, *, hwb_area_id=None, region_id=None, slot_code=None, lead=False) -> bool:
    """Whether the user holds one of `roles` in that area (or region, or sign-off slot)."""
    return any(
        m.role in roles
        and (hwb_area_id is None or m.hwb_area_id == hwb_area_id)
        and (region_id is None or m.region_id == region_id)
        and (slot_code is None or m.signoff_slot_code == slot_code)
        and (m.is_lead or not lead)
        for m in memberships_of(user)
    )


@rules.predicate
def is_national_admin(user) -> bool:
    return active(user) and (user.is_superuser or Membership.Role.NATIONAL_ADMIN in roles_of(user))


@rules.predicate
def is_lead_commissioner_of(user, hwb_area) -> bool:
    return (
        active(user)
        and hwb_area is not None
        and holds(user, [Membership.Role.COMMISSIONER], hwb_area_id=hwb_area.pk, lead=True)
    )


@rules.predicate
def is_commissioner_of(user, hwb_area) -> bool:
    return (
        active(user) and hwb_area is not None and holds(user, [Membership.Role.COMMISSIONER], hwb_area_id=hwb_area.pk)
    )


PERMISSIONS = {
    # The security audit log (/audit/).
    "accounts.view_audit_log": is_national_admin,
    # An area's team page (who holds which role) and managing it: inviting, resending, withdrawing,
    # ending memberships. The object is the HwbArea.
    "accounts.view_team": is_national_admin | is_commissioner_of,
    "accounts.manage_team": is_national_admin | is_lead_commissioner_of,
    # Roles beyond an area's: assurers of a region, and lead commissioners.
    "accounts.grant_any_role": is_national_admin,
}
for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)  # set, not add: a module reload must not fail


def allowed(user, permission: str, obj=None) -> bool:
    """Test one named rule; an unknown name is denied (deny unless a rule allows).

    The rule itself is tested rather than `user.has_perm`, because Django's has_perm lets a
    superuser do anything and here a superuser is only a national administrator.
    """
    return rules.perm_exists(permission) and rules.has_perm(permission, user, obj)
