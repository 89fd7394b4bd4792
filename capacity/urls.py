"""URLs under /plans/<round>/<area>/capacity-demand/; every view fetches the plan with plans.selectors.get_plan_for_user."""

from django.urls import path

from . import views

app_name = "capacity"

urlpatterns = [
    path("", views.tables, name="tables"),
    path("<slug:block_key>/", views.block_form, name="block"),
]
