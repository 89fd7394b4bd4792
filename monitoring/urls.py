"""Monitoring returns: a plan's returns (plans/<round>/<area>/returns/) and the national roll-up (national/returns/)."""

from django.urls import path

from . import signoff_views

app_name = "monitoring"

RETURN = "plans/<slug:round_slug>/<str:ons_code>/returns/<slug:period_key>/"

urlpatterns = [
    # Return pages (monitoring/views.py)
    # Workbook export and import (monitoring/workbook_views.py)
    # Sign-off, submission, PDF and assurance (monitoring/signoff_views.py)
    path(RETURN + "sign-off/", signoff_views.signoff, name="signoff"),
    path(RETURN + "return.pdf", signoff_views.return_pdf, name="pdf"),
    path(RETURN + "review/", signoff_views.review, name="review"),
    path(RETURN + "submitted/<int:version>/<slug:kind>", signoff_views.submission_file, name="submission_file"),
    path("national/returns/assurance/", signoff_views.assurance, name="assurance"),
    # National roll-up (monitoring/national_views.py)
]
