"""Open data: public pages (no sign-in) for published rounds, and the national admin's publish page."""

from django.urls import path

from . import views

app_name = "opendata"

urlpatterns = [
    path("open-data/", views.index, name="index"),
    path("open-data/<slug:round_slug>/", views.round_page, name="round"),
    path("open-data/<slug:round_slug>/data-dictionary/", views.dictionary, name="dictionary"),
    path("open-data/<slug:round_slug>/dataset.xlsx", views.dataset_xlsx, name="dataset_xlsx"),
    path("open-data/<slug:round_slug>/dataset-csv.zip", views.dataset_csv, name="dataset_csv"),
    path("open-data/<slug:round_slug>/<str:ons_code>/part-1.pdf", views.part_one_pdf, name="part_one_pdf"),
    # The national administrator's page, beside the round's other national pages.
    path("national/rounds/<slug:round_slug>/open-data/", views.publish, name="publish"),
]
