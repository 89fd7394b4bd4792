"""Monitoring returns: a plan's returns (plans/<round>/<area>/returns/) and the national roll-up (national/returns/)."""

from django.urls import path

from . import views

app_name = "monitoring"

RETURN = "plans/<slug:round_slug>/<str:ons_code>/returns/<slug:period_key>/"

urlpatterns = [
    # Return pages (monitoring/views.py)
    path("plans/<slug:round_slug>/<str:ons_code>/returns/", views.returns, name="returns"),
    path(RETURN, views.task_list, name="task_list"),
    path(RETURN + "history/", views.history, name="history"),
    path(RETURN + "autosave/", views.autosave, name="autosave"),
    path(RETURN + "<slug:part_key>/", views.part, name="part"),
    # Workbook export and import (monitoring/workbook_views.py)
    # Sign-off, submission, PDF and assurance (monitoring/signoff_views.py)
    # National roll-up (monitoring/national_views.py)
]
