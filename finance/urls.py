"""URLs under /plans/<round>/<area>/finance/; every view fetches the plan with plans.selectors.get_plan_for_user."""

from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("income/", views.income, name="income"),
    path("income/add/", views.income_line, name="income_add"),
    path("income/<int:pk>/change/", views.income_line, name="income_change"),
    path("income/<int:pk>/remove/", views.income_remove, name="income_remove"),
    path("expenditure/", views.expenditure, name="expenditure"),
    path("expenditure/add/", views.expenditure_line, name="expenditure_add"),
    path("expenditure/<int:pk>/change/", views.expenditure_line, name="expenditure_change"),
    path("expenditure/<int:pk>/remove/", views.expenditure_remove, name="expenditure_remove"),
    path("summary/", views.summary, name="summary"),
    path("import/", views.import_workbook, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
]
