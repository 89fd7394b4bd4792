"""URL wiring. Each app owns its own urls module."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView, TemplateView

from .health import healthz

# Read when a page renders, not when the URLs load, so the setting can change (tests, a reload).
_contact = {"contact_email": lazy(lambda: settings.SUPPORT_EMAIL, str)()}

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="plans:your_plans", permanent=False)),
    # Sign-in, sign-out and the audit log (/audit/); their URL names are not namespaced.
    path("", include("accounts.urls")),
    path("plans/", include("plans.urls")),
    path("plans/<slug:round_slug>/<str:ons_code>/schemes/", include("schemes.urls")),
    path("plans/<slug:round_slug>/<str:ons_code>/finance/", include("finance.urls")),
    path("plans/<slug:round_slug>/<str:ons_code>/metrics/", include("metrics.urls")),
    path("plans/<slug:round_slug>/<str:ons_code>/capacity-demand/", include("capacity.urls")),
    # Sign-off, submission and assurance (plans/<round>/<area>/governance/), assurance/ and national/.
    path("", include("governance.urls")),
    # Quarterly and year-end returns (plans/<round>/<area>/returns/) and their national roll-up (national/returns/).
    path("", include("monitoring.urls")),
    # The national data API (api/v1/) and API token pages (account/api-tokens/).
    path("", include("api.urls")),
    # Published rounds' approved plans and open datasets, public (open-data/).
    path("", include("opendata.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Public pages every service has, linked from every page's footer.
    *[
        path(f"{page}/", TemplateView.as_view(template_name=f"pages/{page}.html", extra_context=_contact), name=page)
        for page in ("accessibility", "cookies", "privacy")
    ],
]

if settings.OIDC_ENABLED:
    # Single sign-on callback and start (mozilla-django-oidc), only when configured.
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
