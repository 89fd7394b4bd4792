"""Emails about a plan's workflow, each a message kind of accounts.email (console, SMTP or GOV.UK Notify).

accounts.email sends each only once the transaction that caused it commits, so a refused or
rolled-back change never tells anyone anything.
"""

from django.urls import reverse

from accounts import email
from accounts.models import Membership, User
from plans.models import Plan


def plan_url(plan: Plan, name: str = "governance:plan_status", **kwargs) -> str:
    path = reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code, **kwargs})
    return email.absolute_url(path)


def _emails(queryset) -> list[str]:
    return sorted({address for address in queryset.values_list("user__email", flat=True) if address})


def _area_members(plan: Plan, *roles: str) -> list[str]:
    return _emails(Membership.objects.filter(hwb_area_id=plan.hwb_area_id, role__in=roles))


def _region_assurers(plan: Plan) -> list[str]:
    return _emails(Membership.objects.filter(region_id=plan.hwb_area.region_id, role=Membership.Role.ASSURER))


def plan_name(plan: Plan) -> str:
    return f"{plan.hwb_area.name} Better Care Fund plan ({plan.round.name})"


def area_signatories(plan: Plan) -> list[str]:
    """Everyone who signs off this plan's area: all are told of a change, not only those who had signed."""
    return _area_members(plan, Membership.Role.SIGNATORY)


def ready_for_signoff(plan: Plan) -> None:
    email.send(
        "ready_for_signoff",
        _area_members(plan, Membership.Role.SIGNATORY),
        {"plan": plan_name(plan), "link": plan_url(plan)},
    )


def signatures_voided(plan: Plan, signatory_emails: list[str]) -> None:
    email.send("signatures_voided", signatory_emails, {"plan": plan_name(plan), "link": plan_url(plan)})


def submitted(plan: Plan, *, is_late: bool) -> None:
    email.send(
        "submitted",
        _area_members(plan, Membership.Role.COMMISSIONER, Membership.Role.SIGNATORY) + _region_assurers(plan),
        {
            "plan": plan_name(plan),
            "version": plan.version,
            "late": " It was submitted after the deadline." if is_late else "",
            "link": plan_url(plan),
        },
    )


def returned(plan: Plan, comment: str) -> None:
    email.send(
        "returned",
        _area_members(plan, Membership.Role.COMMISSIONER, Membership.Role.SIGNATORY),
        {"plan": plan_name(plan), "version": plan.version, "comment": comment, "link": plan_url(plan)},
    )


def decided(plan: Plan, outcome_label: str) -> None:
    email.send(
        "decided",
        _area_members(plan, Membership.Role.COMMISSIONER, Membership.Role.SIGNATORY),
        {"plan": plan_name(plan), "outcome": outcome_label, "link": plan_url(plan)},
    )


def user_emails(users: list[User]) -> list[str]:
    return [u.email for u in users if u is not None and u.email]
