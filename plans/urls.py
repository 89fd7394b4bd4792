from django.urls import path

from . import api_views, views

app_name = "plans"

urlpatterns = [
    path("", views.your_plans, name="your_plans"),
    path("<slug:round_slug>/<str:ons_code>/", views.plan_overview, name="plan_overview"),
    path("<slug:round_slug>/<str:ons_code>/autosave/", api_views.autosave, name="autosave"),
    path("<slug:round_slug>/<str:ons_code>/markdown-preview/", api_views.markdown_preview, name="markdown_preview"),
]
