"""The national data API (/api/v1/) and the pages where users manage their API tokens."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"

router = SimpleRouter()
router.register("rounds", views.RoundViewSet, basename="round")
router.register("regions", views.RegionViewSet, basename="region")
router.register("areas", views.AreaViewSet, basename="area")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("income-lines", views.IncomeLineViewSet, basename="income-line")
router.register("expenditure-lines", views.ExpenditureLineViewSet, basename="expenditure-line")
router.register("schemes", views.SchemeViewSet, basename="scheme")
router.register("metric-ambitions", views.MetricAmbitionViewSet, basename="metric-ambition")
router.register("condition-responses", views.ConditionResponseViewSet, basename="condition-response")
router.register("submissions", views.SubmissionViewSet, basename="submission")
router.register("assurance-outcomes", views.AssuranceOutcomeViewSet, basename="assurance-outcome")
router.register("returns", views.ReturnViewSet, basename="return")

urlpatterns = [
    # The OpenAPI 3 document (docs/api/openapi.yaml is this, committed) and Swagger UI, served from
    # this site (drf-spectacular-sidecar) with its script as a file, so the CSP needs no inline script.
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("api/v1/", include(router.urls)),
]
