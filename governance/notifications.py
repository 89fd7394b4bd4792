"""Emails about a plan's workflow, sent through Django's mail API (console backend unless configured).

Each is sent only once the transaction that caused it commits, so a refused or rolled-back
change never tells anyone anything.
"""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, User
from plans.models import Plan


def _plan_url(plan: Plan, name: str = "governance:plan_status") -> str:
    path = reverse(name, kwargs={"round_slug": plan.round.slug, "ons_code": plan.hwb_area.ons_code})
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def _emails(queryset) -> list[str]:
    return sorted({email for email in queryset.values_list("user__email", flat=True) if email})


def _area_members(plan: Plan, *roles: str) -> list[str]:
    return _emails(Membership.objects.filter(hwb_area_id=plan.hwb_area_id, role__in=roles))


def _region_assurers(plan: Plan) -> list[str]:
    return _emails(Membership.objects.filter(region_id=plan.hwb_area.region_id, role=Membership.Role.ASSURER))


def _send(subject: str, body: str, recipients: list[str]) -> None:
    if not recipients:
        return
    # One message per recipient, so no one sees the others' addresses.
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [r]) for r in recipients]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))


def _name(plan: Plan) -> str:
    return f"{plan.hwb_area.name} Better Care Fund plan ({plan.round.name})"


def area_signatories(plan: Plan) -> list[str]:
    """Everyone who signs off this plan's area: all are told of a change, not only those who had signed."""
    return _area_members(plan, Membership.Role.SIGNATORY)


def ready_for_signoff(plan: Plan) -> None:
    _send(
        f"Ready for sign-off: {_name(plan)}",
        f"The {_name(plan)} is ready for you to sign off.\n\nReview and sign it at {_plan_url(plan)}\n",
        _area_members(plan, Membership.Role.SIGNATORY),
    )


def signatures_voided(plan: Plan, signatory_emails: list[str]) -> None:
    _send(
        f"Your signature was removed: {_name(plan)}",
        f"The {_name(plan)} was changed after you signed it, so your signature no longer applies "
        f"and the plan is back in draft.\n\nYou will need to sign it again once it is ready: {_plan_url(plan)}\n",
        sorted(set(signatory_emails)),
    )


def submitted(plan: Plan, *, is_late: bool) -> None:
    late = " It was submitted after the deadline." if is_late else ""
    _send(
        f"Submitted: {_name(plan)}",
        f"Version {plan.version} of the {_name(plan)} has been submitted to NHS England.{late}\n\n{_plan_url(plan)}\n",
        _area_members(plan, Membership.Role.COMMISSIONER, Membership.Role.SIGNATORY) + _region_assurers(plan),
    )


def returned(plan: Plan, comment: str) -> None:
    _send(
        f"Returned for changes: {_name(plan)}",
        f"NHS England has returned the {_name(plan)} for changes. It is now version {plan.version}, in draft.\n\n"
        f"{comment}\n\n{_plan_url(plan)}\n",
        _area_members(plan, Membership.Role.COMMISSIONER, Membership.Role.SIGNATORY),
    )


def decided(plan: Plan, outcome_label: str) -> None:
    _send(
        f"Assurance outcome: {_name(plan)}",
        f"NHS England has assured the {_name(plan)}. Outcome: {outcome_label}.\n\n"
        f"See the outcome, any conditions and the decision letter at {_plan_url(plan)}\n",
        _area_members(plan, Membership.Role.COMMISSIONER, Membership.Role.SIGNATORY),
    )


def user_emails(users: list[User]) -> list[str]:
    return [u.email for u in users if u is not None and u.email]
