"""Rules about people rather than plans (django-rules): who is a national administrator, who may read
the audit log, and the one way every app asks a rule (`allowed`), deny unless a rule allows.

The rules about plans build on these in plans.permissions.
"""

from __future__ import annotations

import rules

from .models import Membership


def active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def roles_of(user) -> frozenset[str]:
    """The roles the user holds in any area or region, read once per user object.

    A view's user is read afresh for each request, so the page's rules and its menu share one
    query, and a membership changed in another request is seen on the next.
    """
    try:
        return user._membership_roles
    except AttributeError:
        user._membership_roles = frozenset(user.memberships.values_list("role", flat=True))
        return user._membership_roles


@rules.predicate
def is_national_admin(user) -> bool:
    return active(user) and (user.is_superuser or Membership.Role.NATIONAL_ADMIN in roles_of(user))


@rules.predicate
def is_lead_commissioner_of(user, hwb_area) -> bool:
    return (
        active(user)
        and hwb_area is not None
        and user.memberships.filter(role=Membership.Role.COMMISSIONER, is_lead=True, hwb_area=hwb_area).exists()
    )


@rules.predicate
def is_commissioner_of(user, hwb_area) -> bool:
    return (
        active(user)
        and hwb_area is not None
        and user.memberships.filter(role=Membership.Role.COMMISSIONER, hwb_area=hwb_area).exists()
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
