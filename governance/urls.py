"""Workflow URLs: plan-scoped pages under plans/<round>/<area>/governance/, plus assurance/ and national/,
and a plan's exports under plans/<round>/<area>/exports/ (their paths unchanged since exports lived in plans)."""

from django.urls import include, path

from . import export_views, national_views, views

app_name = "governance"

plan_patterns = [
    path("", views.plan_status, name="plan_status"),
    path("step/<slug:name>/", views.transition, name="transition"),
    path("sign/<slug:slot_code>/", views.sign, name="sign"),
    path("submit/", views.submit, name="submit"),
    path("review/", views.review, name="review"),
    path("versions/", views.versions, name="versions"),
    # Before "download": its <slug:kind> would match these words too.
    path("submissions/<int:version>/progress/", views.submission_progress, name="submission_progress"),
    path("submissions/<int:version>/retry/", views.submission_retry, name="submission_retry"),
    path("submissions/<int:version>/<slug:kind>/", views.download, name="download"),
    path("submissions/<int:version>/decision-letter.pdf", views.decision_letter, name="decision_letter"),
]

export_patterns = [
    path("<slug:kind>/", export_views.request_export, name="export_request"),
    path("<int:job_id>/status/", export_views.export_status, name="export_status"),
    path("<int:job_id>/download/", export_views.export_download, name="export_download"),
]

urlpatterns = [
    path("plans/<slug:round_slug>/<str:ons_code>/governance/", include(plan_patterns)),
    path("plans/<slug:round_slug>/<str:ons_code>/exports/", include(export_patterns)),
    path("assurance/", views.assurance_dashboard, name="assurance_dashboard"),
    path("national/", views.national_dashboard, name="national_dashboard"),
    # The national dataset (national/<round>/dataset.xlsx) is served by monitoring.national_views, which adds the returns.
    # National administration: rounds, reference data import, every area's progress (governance.national_views).
    path("national/rounds/", national_views.rounds, name="national_rounds"),
    path("national/rounds/<slug:round_slug>/", national_views.round_setup, name="national_round"),
    path("national/rounds/<slug:round_slug>/open/", national_views.round_open, name="national_round_open"),
    path("national/rounds/<slug:round_slug>/create-plans/", national_views.create_plans, name="national_create_plans"),
    path("national/rounds/<slug:round_slug>/progress/", national_views.round_progress, name="national_progress"),
    path("national/import/", national_views.import_reference_data, name="national_import"),
    path("national/import/confirm/", national_views.import_reference_data_confirm, name="national_import_confirm"),
]
