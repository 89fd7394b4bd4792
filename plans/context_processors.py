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
    return {
        "service_name": settings.SERVICE_NAME,
        "phase": settings.PHASE,
        # Lazy: the query runs only on pages that draw the menu.
        "nav_roles": SimpleLazyObject(lambda: _roles(user)) if user is not None else set(),
    }
