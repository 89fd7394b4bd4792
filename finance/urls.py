"""URLs under /plans/<round>/<area>/finance/; every view fetches the plan with plans.selectors.get_plan_for_user."""

from django.urls import path

from . import views

app_name = "finance"


def _line_urls(kind: str, page, line, remove) -> list:
    """Income and expenditure lines have the same four pages: the list, add, change and remove."""
    return [
        path(f"{kind}/", page, name=kind),
        path(f"{kind}/add/", line, name=f"{kind}_add"),
        path(f"{kind}/<int:pk>/change/", line, name=f"{kind}_change"),
        path(f"{kind}/<int:pk>/remove/", remove, name=f"{kind}_remove"),
    ]


urlpatterns = [
    *_line_urls("income", views.income, views.income_line, views.income_remove),
    *_line_urls("expenditure", views.expenditure, views.expenditure_line, views.expenditure_remove),
    path("summary/", views.summary, name="summary"),
    path("import/", views.import_workbook, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
]
