"""Reads for the schemes pages."""

from plans.fragments import content_key
from plans.models import Plan
from rounds.config import round_config

from .models import Scheme

CODE_FIELDS = ("scheme_type", "sub_type", "lead_commissioner", "area_of_spend")


def schemes_for_plan(plan: Plan) -> list[Scheme]:
    """A plan's schemes with their code-list entries, in one query.

    The entries come from the round's cached configuration rather than a join: building four
    related objects per scheme took three quarters of the schemes page's database time.
    """
    code_by_id = round_config(
        plan.round_id, plan.round.config_version if Plan.round.is_cached(plan) else None
    ).code_by_id
    schemes = list(Scheme.objects.filter(plan=plan).order_by("order", "reference"))
    for scheme in schemes:
        for name in CODE_FIELDS:
            Scheme._meta.get_field(name).set_cached_value(scheme, code_by_id.get(getattr(scheme, f"{name}_id")))
    return schemes


def schemes_table_key(schemes: list[Scheme]) -> str:
    """A key for the schemes table's rows: every stored field of each scheme and its code-list labels."""
    fields = Scheme._meta.concrete_fields
    return content_key(
        [
            (
                [getattr(scheme, field.attname) for field in fields],
                [getattr(getattr(scheme, name), "label", None) for name in CODE_FIELDS],
            )
            for scheme in schemes
        ]
    )
