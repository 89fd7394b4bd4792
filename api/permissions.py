"""Who may hold, see and revoke personal API tokens (django-rules), and which regions a token may be scoped to.

The data a token reads is decided by the same object rules as the pages (plans.permissions and the
rules above it), applied to the token's user; these rules are only about the tokens themselves.
"""

from __future__ import annotations

import rules

from accounts.models import Membership
from accounts.permissions import active, is_national_admin, roles_of
from rounds.models import Region


@rules.predicate
def holds_a_role(user) -> bool:
    """Anyone signed in with a role may have a token; it reads only what their roles let them read."""
    return active(user) and (user.is_superuser or bool(roles_of(user)))


@rules.predicate
def owns_token(user, token) -> bool:
    return active(user) and token is not None and token.user_id == user.pk


PERMISSIONS = {
    "api.hold_token": holds_a_role,
    # A token is its owner's alone: nobody else sees it in a list, and nobody else revokes it.
    "api.manage_token": owns_token,
}
for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)


def regions_user_may_read(user):
    """The regions a REGION-scoped token of this user may name: every region for a national
    administrator, an assurer's own regions, none for anyone else (their data is one area, not a region)."""
    if is_national_admin(user):
        return Region.objects.order_by("name")
    return (
        Region.objects.filter(memberships__user=user, memberships__role=Membership.Role.ASSURER)
        .distinct()
        .order_by("name")
    )
