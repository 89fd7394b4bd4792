"""URL wiring. Each app owns its own urls module."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

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
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
