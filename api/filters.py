"""The API's list filters (django-filter): round, region, area, status and updated_since.

A plan's rows (lines, schemes, ambitions, ...) filter by their plan, so `?area=E06000026` means the
same on every endpoint. `updated_since` compares the plan's `updated_at`, which every content edit
moves (plans.events.content_changed), so a nightly pull can ask only for plans changed since its last run.
"""

import django_filters
from django.db.models import Model

from monitoring.models import Return
from plans.models import Plan
from rounds.models import HwbArea


def plan_filterset(model: type[Model], plan_path: str) -> type[django_filters.FilterSet]:
    """A FilterSet for `model`, whose plan is reached by `plan_path` ("" for Plan itself)."""
    prefix = f"{plan_path}__" if plan_path else ""
    declared = {
        "round": django_filters.CharFilter(field_name=f"{prefix}round__slug", help_text="The round's slug."),
        "region": django_filters.CharFilter(field_name=f"{prefix}hwb_area__region__code", help_text="A region code."),
        "area": django_filters.CharFilter(field_name=f"{prefix}hwb_area__ons_code", help_text="An area's ONS code."),
        "status": django_filters.MultipleChoiceFilter(
            field_name=f"{prefix}status", choices=Plan.Status.choices, help_text="The plan's status (repeatable)."
        ),
        "updated_since": django_filters.IsoDateTimeFilter(
            field_name=f"{prefix}updated_at",
            lookup_expr="gte",
            help_text="Only plans changed at or after this time (ISO 8601).",
        ),
    }
    meta = type("Meta", (), {"model": model, "fields": []})
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), {**declared, "Meta": meta})


PlanFilter = plan_filterset(Plan, "")


class ReturnFilter(plan_filterset(Return, "plan")):
    # A return has its own status and period; `status` here is the return's, not its plan's.
    status = django_filters.MultipleChoiceFilter(choices=Return.Status.choices, help_text="The return's status.")
    period = django_filters.CharFilter(field_name="period__key", help_text="A return period's key.")
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Only returns changed at or after this time."
    )

    class Meta:
        model = Return
        fields: list = []


class AreaFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code", help_text="A region code.")

    class Meta:
        model = HwbArea
        fields: list = []
