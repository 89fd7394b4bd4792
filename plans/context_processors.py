"""Template context every page needs: the service name, the phase and which menus to show."""

from functools import cache

from django.conf import settings
from django.urls import reverse
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


@cache
def _page_urls() -> dict[str, str]:
    """The links in every page's header, reversed once per process rather than on every page."""
    return {"home_url": reverse("plans:your_plans"), "sign_out_url": reverse("logout")}


def service(request):
    user = getattr(request, "user", None)
    common = {"service_name": settings.SERVICE_NAME, "phase": settings.PHASE, **_page_urls()}
    if user is None:
        return {**common, "nav_roles": set(), "nav_roles_key": ""}
    # Lazy: read only on pages that draw the menu.
    roles = SimpleLazyObject(lambda: _roles(user))
    return {
        **common,
        "nav_roles": roles,
        # The menu is cached per set of roles (templates/base.html): the same roles, the same menu.
        "nav_roles_key": SimpleLazyObject(lambda: ",".join(sorted(roles))),
    }
