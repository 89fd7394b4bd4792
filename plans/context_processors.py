"""Template context every page needs: the service name, the phase and which menus to show."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership
from accounts.permissions import roles_of


def _roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    roles = set(roles_of(user))
    if user.is_superuser:
        roles.add(Membership.Role.NATIONAL_ADMIN)
    return roles


def service(request):
    user = getattr(request, "user", None)
    if user is None:
        return {"service_name": settings.SERVICE_NAME, "phase": settings.PHASE, "nav_roles": set(), "nav_roles_key": ""}
    # Lazy: read only on pages that draw the menu.
    roles = SimpleLazyObject(lambda: _roles(user))
    return {
        "service_name": settings.SERVICE_NAME,
        "phase": settings.PHASE,
        "nav_roles": roles,
        # The menu is cached per set of roles (templates/base.html): the same roles, the same menu.
        "nav_roles_key": SimpleLazyObject(lambda: ",".join(sorted(roles))),
    }
