"""URLs under /plans/<round>/<area>/finance/; every view fetches the plan with plans.selectors.get_plan_for_user."""

from django.urls import path  # noqa: F401

app_name = "finance"

urlpatterns: list = []
