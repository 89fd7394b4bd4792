"""Monitoring returns: a plan's returns (plans/<round>/<area>/returns/) and the national roll-up (national/returns/)."""

from django.urls import path

from . import national_views, signoff_views, views, workbook_views

app_name = "monitoring"

RETURN = "plans/<slug:round_slug>/<str:ons_code>/returns/<slug:period_key>/"

urlpatterns = [
    # Return pages (monitoring/views.py)
    path("plans/<slug:round_slug>/<str:ons_code>/returns/", views.returns, name="returns"),
    path(RETURN, views.task_list, name="task_list"),
    path(RETURN + "history/", views.history, name="history"),
    path(RETURN + "autosave/", views.autosave, name="autosave"),
    # Workbook export and import (monitoring/workbook_views.py)
    path(f"{RETURN}workbook.xlsx", workbook_views.export, name="export"),
    path(f"{RETURN}import/", workbook_views.import_workbook, name="import"),
    path(f"{RETURN}import/confirm/", workbook_views.import_confirm, name="import_confirm"),
    # National roll-up (monitoring/national_views.py). The national dataset is served here, at the
    # path governance served it from, because it now carries the returns too (governance cannot read them).
    path("national/returns/<slug:round_slug>/<slug:period_key>/", national_views.national_returns, name="national"),
    path("national/<slug:round_slug>/dataset.xlsx", national_views.national_dataset, name="national_dataset"),
    # Sign-off, submission, PDF and assurance (monitoring/signoff_views.py)
    path(RETURN + "sign-off/", signoff_views.signoff, name="signoff"),
    path(RETURN + "return.pdf", signoff_views.return_pdf, name="pdf"),
    path(RETURN + "review/", signoff_views.review, name="review"),
    path(RETURN + "submitted/<int:version>/<slug:kind>", signoff_views.submission_file, name="submission_file"),
    path("national/returns/assurance/", signoff_views.assurance, name="assurance"),
    # Last: a part's key is any slug, so every fixed path of a return must come before it.
    path(RETURN + "<slug:part_key>/", views.part, name="part"),
]
