"""Reads for the schemes pages."""

from plans.models import Plan

from .models import Scheme


def schemes_for_plan(plan: Plan) -> list[Scheme]:
    """A plan's schemes with their code-list labels, in one query."""
    return list(
        Scheme.objects.filter(plan=plan)
        .select_related("scheme_type", "sub_type", "lead_commissioner", "area_of_spend")
        .order_by("order", "reference")
    )
