"""URLs under /plans/<round>/<area>/schemes/; every view fetches the plan with plans.selectors.get_plan_for_user."""

from django.urls import path

from . import views

app_name = "schemes"

urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("add/", views.scheme_form, name="add"),
    path("<int:pk>/change/", views.scheme_form, name="change"),
    path("<int:pk>/remove/", views.scheme_remove, name="remove"),
]
