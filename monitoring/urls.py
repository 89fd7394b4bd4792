"""Monitoring returns: a plan's returns (plans/<round>/<area>/returns/) and the national roll-up (national/returns/)."""

from django.urls import path  # noqa: F401

app_name = "monitoring"

RETURN = "plans/<slug:round_slug>/<str:ons_code>/returns/<slug:period_key>/"

urlpatterns = [
    # Return pages (monitoring/views.py)
    # Workbook export and import (monitoring/workbook_views.py)
    # Sign-off, submission, PDF and assurance (monitoring/signoff_views.py)
    # National roll-up (monitoring/national_views.py)
]
