"""The national data API (/api/v1/) and the pages where users manage their API tokens."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import token_views, views

app_name = "api"


def read_only(plural: str, viewset, name: str, lookup: str) -> list:
    """A list and a detail URL (path(), not a router's regexes: the permission matrix fills named kwargs)."""
    assert viewset.lookup_url_kwarg == lookup.split(":")[-1], viewset
    return [
        path(f"api/v1/{plural}/", viewset.as_view({"get": "list"}), name=f"{name}-list"),
        path(f"api/v1/{plural}/<{lookup}>/", viewset.as_view({"get": "retrieve"}), name=f"{name}-detail"),
    ]


urlpatterns = [
    # The account pages where a user manages their own tokens.
    path("account/api-tokens/", token_views.token_list, name="token_list"),
    path("account/api-tokens/new/", token_views.token_create, name="token_create"),
    path("account/api-tokens/<int:api_token>/revoke/", token_views.token_revoke, name="token_revoke"),
    # Who a token belongs to and what it may do (token authentication only; see api.authentication).
    path("api/v1/me/", token_views.me, name="me"),
    # The OpenAPI 3 document (docs/api/openapi.yaml is this, committed) and Swagger UI, served from
    # this site (drf-spectacular-sidecar) with its script as a file, so the CSP needs no inline script.
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *read_only("rounds", views.RoundViewSet, "round", "slug:round_slug"),
    *read_only("regions", views.RegionViewSet, "region", "str:region_code"),
    *read_only("areas", views.AreaViewSet, "area", "str:ons_code"),
    *read_only("plans", views.PlanViewSet, "plan", "int:plan_id"),
    *read_only("income-lines", views.IncomeLineViewSet, "income-line", "int:income_line_id"),
    *read_only("expenditure-lines", views.ExpenditureLineViewSet, "expenditure-line", "int:expenditure_line_id"),
    *read_only("schemes", views.SchemeViewSet, "scheme", "int:scheme_id"),
    *read_only("metric-ambitions", views.MetricAmbitionViewSet, "metric-ambition", "int:ambition_id"),
    *read_only("condition-responses", views.ConditionResponseViewSet, "condition-response", "int:response_id"),
    *read_only("submissions", views.SubmissionViewSet, "submission", "int:submission_id"),
    *read_only("assurance-outcomes", views.AssuranceOutcomeViewSet, "assurance-outcome", "int:outcome_id"),
    *read_only("returns", views.ReturnViewSet, "return", "int:return_id"),
]
