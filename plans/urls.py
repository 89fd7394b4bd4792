from django.urls import path

from . import api_views, figure_views, group_views, views, word_import_views

app_name = "plans"

urlpatterns = [
    path("", views.your_plans, name="your_plans"),
    path("<slug:round_slug>/<str:ons_code>/", views.plan_overview, name="plan_overview"),
    path("<slug:round_slug>/<str:ons_code>/sections/<slug:section_key>/", views.section, name="section"),
    path(
        "<slug:round_slug>/<str:ons_code>/sections/<slug:section_key>/history/",
        views.section_history,
        name="section_history",
    ),
    path("<slug:round_slug>/<str:ons_code>/group/", group_views.plan_group, name="plan_group"),
    path(
        "<slug:round_slug>/<str:ons_code>/sections/<slug:section_key>/shared/",
        group_views.shared_section,
        name="shared_section",
    ),
    path("<slug:round_slug>/<str:ons_code>/check-your-answers/", views.check_answers, name="check_answers"),
    path("<slug:round_slug>/<str:ons_code>/risks/add/", views.risk_form, name="risk_add"),
    path("<slug:round_slug>/<str:ons_code>/risks/<int:pk>/change/", views.risk_form, name="risk_change"),
    path("<slug:round_slug>/<str:ons_code>/risks/<int:pk>/remove/", views.risk_remove, name="risk_remove"),
    path("<slug:round_slug>/<str:ons_code>/documents/add/", views.document_form, name="document_add"),
    path("<slug:round_slug>/<str:ons_code>/documents/<int:pk>/change/", views.document_form, name="document_change"),
    path("<slug:round_slug>/<str:ons_code>/documents/<int:pk>/remove/", views.document_remove, name="document_remove"),
    path(
        "<slug:round_slug>/<str:ons_code>/documents/<int:pk>/download/",
        views.document_download,
        name="document_download",
    ),
    path("<slug:round_slug>/<str:ons_code>/import-word/", word_import_views.word_import_start, name="word_import"),
    path(
        "<slug:round_slug>/<str:ons_code>/import-word/<int:import_id>/",
        word_import_views.word_import_preview,
        name="word_import_preview",
    ),
    path(
        "<slug:round_slug>/<str:ons_code>/questions/<int:question_id>/figures/add/",
        figure_views.figure_add,
        name="figure_add",
    ),
    path("<slug:round_slug>/<str:ons_code>/figures/<int:pk>/remove/", figure_views.figure_remove, name="figure_remove"),
    path("<slug:round_slug>/<str:ons_code>/figures/<int:pk>/move/", figure_views.figure_move, name="figure_move"),
    path("<slug:round_slug>/<str:ons_code>/figures/<int:pk>/image/", figure_views.figure_image, name="figure_image"),
    path("<slug:round_slug>/<str:ons_code>/autosave/", api_views.autosave, name="autosave"),
    path("<slug:round_slug>/<str:ons_code>/markdown-preview/", api_views.markdown_preview, name="markdown_preview"),
]
