"""URL wiring. Each app owns its own urls module."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from plans.audit_views import audit_log

from .health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="plans:your_plans", permanent=False)),
    path("sign-in/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("plans/", include("plans.urls")),
    path("plans/<slug:round_slug>/<str:ons_code>/schemes/", include("schemes.urls")),
    path("plans/<slug:round_slug>/<str:ons_code>/finance/", include("finance.urls")),
    path("plans/<slug:round_slug>/<str:ons_code>/metrics/", include("metrics.urls")),
    # Sign-off, submission and assurance (plans/<round>/<area>/governance/), assurance/ and national/.
    path("", include("governance.urls")),
    path("audit/", audit_log, name="audit_log"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

if settings.OIDC_ENABLED:
    # Single sign-on callback and start (mozilla-django-oidc), only when configured.
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
