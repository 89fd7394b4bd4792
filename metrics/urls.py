"""URLs under /plans/<round>/<area>/metrics/; every view fetches the plan with plans.selectors.get_plan_for_user."""

from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("", views.ambitions, name="ambitions"),
    path("national/<slug:metric_key>/", views.ambition_form, name="ambition"),
    path("local/add/", views.ambition_form, name="local_add"),
    path("local/<int:pk>/change/", views.ambition_form, name="local_change"),
]
