"""Writes to a plan's schemes: add, change (under the version check) and remove."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from plans import services as plan_services
from plans.models import Plan
from rounds.models import CodeListEntry, Section

from .models import Scheme

LABELS = {
    "reference": "Scheme reference",
    "name": "Scheme name",
    "scheme_type_id": "Scheme type",
    "sub_type_id": "Sub-type",
    "description": "Description",
    "lead_commissioner_id": "Lead commissioner",
    "provider": "Provider",
    "area_of_spend_id": "Area of spend",
    "is_new": "New scheme",
}


def _check_codes(plan: Plan, values: dict) -> None:
    """Every coded value must come from this round's own code lists; a sub-type must belong to its type."""
    wanted = {
        "scheme_type_id": CodeListEntry.List.SCHEME_TYPE,
        "lead_commissioner_id": CodeListEntry.List.COMMISSIONER,
        "area_of_spend_id": CodeListEntry.List.AREA_OF_SPEND,
    }
    if values.get("sub_type_id"):
        wanted["sub_type_id"] = CodeListEntry.List.SCHEME_SUBTYPE
    entries = {
        e.pk: e for e in CodeListEntry.objects.filter(round_id=plan.round_id, pk__in=[values.get(k) for k in wanted])
    }
    for attname, code_list in wanted.items():
        entry = entries.get(values.get(attname))
        if entry is None or entry.list != code_list:
            raise ValidationError(f"Choose the {LABELS[attname].lower()} from this round's list.")
    if values.get("sub_type_id") and entries[values["sub_type_id"]].parent_id != values["scheme_type_id"]:
        raise ValidationError("The sub-type must belong to the scheme type.")


@transaction.atomic
def save_scheme(*, user: User, plan: Plan, scheme_id: int | None, values: dict, version: int | None) -> Scheme:
    """Add or change a scheme: the only writer of the schemes table (finance calls it for a line's new scheme).

    Codes must come from the round's lists, and a reference is unique in the plan ignoring case.
    """
    _check_codes(plan, values)
    clash = Scheme.objects.filter(plan=plan, reference__iexact=values["reference"])
    if scheme_id:
        clash = clash.exclude(pk=scheme_id)
    if clash.exists():
        raise ValidationError("A scheme with this reference already exists in this plan.", code="reference")
    return plan_services.save_row(
        user=user,
        plan=plan,
        model=Scheme,
        row_id=scheme_id,
        values=values,
        version=version,
        table=Section.Table.SCHEMES,
        form_key=f"scheme:{scheme_id or 'new'}",
        labels=LABELS,
    )


def scheme_with_reference(*, user: User, plan: Plan, reference: str, new_scheme: dict) -> Scheme:
    """The plan's scheme with this reference (ignoring case); if there is none, it is added from `new_scheme`.

    An expenditure line names its scheme by reference. Call inside the line's transaction, so a
    line that fails to save leaves no scheme behind.
    """
    scheme = Scheme.objects.filter(plan=plan, reference__iexact=reference.strip()).first()
    if scheme is not None:
        return scheme
    return save_scheme(
        user=user, plan=plan, scheme_id=None, values={"reference": reference.strip(), **new_scheme}, version=None
    )


def remove_scheme(*, user: User, plan: Plan, scheme_id: int, version: int | None) -> None:
    plan_services.remove_row(
        user=user, plan=plan, model=Scheme, row_id=scheme_id, version=version, table=Section.Table.SCHEMES
    )
