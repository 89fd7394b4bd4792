from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.your_plans, name="your_plans"),
    path("<slug:round_slug>/<str:ons_code>/", views.plan_overview, name="plan_overview"),
]
