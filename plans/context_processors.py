"""Template context every page needs: the service name, the phase, which menus to show, and the
parts of every page that are the same for everyone with the same roles."""

from functools import cache, lru_cache

from django.conf import settings
from django.template.loader import render_to_string
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
def _page_parts() -> dict[str, str]:
    """The header's links, the head's stylesheet and icon, and the footer: the same on every page, so
    reversed and rendered once per process (drawing them on every page cost the signed-in floor page
    a tenth of its time)."""
    return {
        "home_url": reverse("plans:your_plans"),
        "sign_out_url": reverse("logout"),
        "page_head": render_to_string("includes/page_head.html"),
        "page_footer": render_to_string("includes/page_footer.html"),
    }


@lru_cache(maxsize=64)
def _menu(roles: tuple[str, ...], is_staff: bool) -> str:
    """The header's menu for one set of roles, rendered once per process."""
    return render_to_string("includes/page_menu.html", {"nav_roles": set(roles), "is_staff": is_staff})


def service(request):
    user = getattr(request, "user", None)
    common = {"service_name": settings.SERVICE_NAME, "phase": settings.PHASE, **_page_parts()}
    if user is None:
        return {**common, "nav_roles": set(), "page_menu": ""}
    # Lazy: read only on pages that draw the menu.
    roles = SimpleLazyObject(lambda: _roles(user))
    return {
        **common,
        "nav_roles": roles,
        "page_menu": SimpleLazyObject(lambda: _menu(tuple(sorted(roles)), user.is_staff)),
    }
