"""Invitations: who may invite whom, and each step of an invitation's life, each in the audit log.

A national administrator invites anyone to any area's or region's role (a lead commissioner too); an
area's lead commissioner invites commissioners, viewers and signatories to their own area only. The
email holds a single-use link that works for settings.INVITATION_DAYS; accepting it creates the
membership, and the account for someone new.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from rounds.models import HwbArea, Organisation, Region, SignOffSlot

from . import email, permissions, security
from .models import Invitation, Membership, SecurityEvent, User

Role = Membership.Role
Action = SecurityEvent.Action
# What a lead commissioner may grant in their own area; everything else is a national administrator's.
AREA_ROLES = (Role.COMMISSIONER, Role.SIGNATORY, Role.VIEWER)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signoff_slot_choices() -> list[tuple[str, str]]:
    """The sign-off slots of the open rounds, by code (codes are shared across rounds)."""
    slots: dict[str, str] = {}
    for code, title in (
        SignOffSlot.objects.filter(round__is_open=True).order_by("round", "order").values_list("code", "title")
    ):
        slots.setdefault(code, title)
    return list(slots.items())


def roles_user_may_grant(user, hwb_area: HwbArea | None) -> list[str]:
    """An area's roles (for an area), or the assurer role (for a region, with no area)."""
    if permissions.allowed(user, "accounts.grant_any_role"):
        return list(AREA_ROLES) if hwb_area is not None else [Role.ASSURER]
    if hwb_area is not None and permissions.allowed(user, "accounts.manage_team", hwb_area):
        return list(AREA_ROLES)
    return []


def _check_may_invite(by, *, role: str, hwb_area, region, is_lead: bool) -> None:
    if role == Role.NATIONAL_ADMIN:
        raise PermissionDenied("National administrators are made in the admin, not by invitation.")
    if role not in roles_user_may_grant(by, hwb_area):
        raise PermissionDenied("You cannot invite people to this role.")
    if role == Role.ASSURER and region is None:
        raise ValidationError({"region": "Choose the region the assurer will work on"})
    if is_lead and not permissions.allowed(by, "accounts.grant_any_role"):
        raise PermissionDenied("Only national administrators can make someone an area's lead commissioner.")


def _validate_scope(*, role, hwb_area, organisation, signoff_slot_code, is_lead) -> None:
    errors = {}
    if role in AREA_ROLES and hwb_area is None:
        errors["hwb_area"] = "Choose the area"
    if role == Role.SIGNATORY:
        if signoff_slot_code not in dict(signoff_slot_choices()):
            errors["signoff_slot_code"] = "Choose the sign-off the signatory will give from the list"
        if organisation is not None and not organisation.hwb_areas.filter(pk=hwb_area.pk).exists():
            errors["organisation"] = "Choose an organisation that serves this area"
    if is_lead and role != Role.COMMISSIONER:
        errors["is_lead"] = "Only a commissioner can be the lead commissioner"
    if errors:
        raise ValidationError(errors)


def _send(invitation: Invitation, token: str, by) -> None:
    link = email.absolute_url(reverse("accept_invitation", kwargs={"token": token}))
    email.send(
        "invitation",
        [invitation.email],
        {
            "inviter": by.get_full_name() if by else "The national team",
            "role": ("lead commissioner" if invitation.is_lead else invitation.get_role_display().lower()),
            "scope": str(invitation.hwb_area or invitation.region),
            "link": link,
            "expires": timezone.localtime(invitation.expires_at)
            .strftime("%-d %B %Y at %-I:%M%p")
            .replace("AM", "am")
            .replace("PM", "pm"),
        },
    )


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_sha256 = _token_hash(token)
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + timedelta(days=settings.INVITATION_DAYS)
    return token


def _audit(action, *, by, invitation: Invitation, request=None, **extra) -> None:
    security.record(
        action,
        request=request,
        user=by,
        hwb_area_id=invitation.hwb_area_id,
        detail={
            "invitation": invitation.pk,
            "email": invitation.email,
            "role": invitation.role,
            "slot": invitation.signoff_slot_code,
            "lead": invitation.is_lead,
            "region": invitation.region.code if invitation.region_id else "",
            **extra,
        },
    )


@transaction.atomic
def _refuse_repeat(email_address, *, role, hwb_area, region, signoff_slot_code) -> None:
    """One person, one invitation or membership per role and place: a second would only confuse them."""
    scope = {"role": role, "hwb_area": hwb_area, "region": region, "signoff_slot_code": signoff_slot_code}
    if Membership.objects.filter(user__email__iexact=email_address, **scope).exists():
        raise ValidationError({"email": "This person already has this role: there is no need to invite them"})
    waiting = Invitation.objects.filter(
        email__iexact=email_address, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now(), **scope
    )
    if waiting.exists():
        raise ValidationError(
            {"email": "An invitation to this person for this role is waiting: resend it from the team page"}
        )


def invite(
    *,
    by: User,
    email_address: str,
    role: str,
    hwb_area: HwbArea | None = None,
    region: Region | None = None,
    full_name: str = "",
    job_title: str = "",
    organisation: Organisation | None = None,
    signoff_slot_code: str = "",
    is_lead: bool = False,
    request=None,
) -> Invitation:
    """Invite a person by email to a role; refuses (PermissionDenied) what `by` may not grant."""
    _check_may_invite(by, role=role, hwb_area=hwb_area, region=region, is_lead=is_lead)
    if role == Role.ASSURER:
        hwb_area, organisation, signoff_slot_code, is_lead = None, None, "", False
    else:
        region = None
    if role != Role.SIGNATORY:
        signoff_slot_code = ""
    _validate_scope(
        role=role, hwb_area=hwb_area, organisation=organisation, signoff_slot_code=signoff_slot_code, is_lead=is_lead
    )
    email_address = User.normalize_username(email_address)
    _refuse_repeat(email_address, role=role, hwb_area=hwb_area, region=region, signoff_slot_code=signoff_slot_code)
    invitation = Invitation(
        email=email_address,
        full_name=full_name.strip(),
        job_title=job_title.strip(),
        role=role,
        hwb_area=hwb_area,
        region=region,
        organisation=organisation,
        signoff_slot_code=signoff_slot_code,
        is_lead=is_lead,
        invited_by=by,
    )
    token = _new_token(invitation)
    invitation.save()
    _send(invitation, token, by)
    _audit(Action.INVITED, by=by, invitation=invitation, request=request)
    return invitation


def _check_may_manage(by, invitation_or_membership) -> None:
    area = invitation_or_membership.hwb_area
    if permissions.allowed(by, "accounts.grant_any_role"):
        return
    if area is None or not permissions.allowed(by, "accounts.manage_team", area):
        raise PermissionDenied("You cannot manage this area's team.")
    if invitation_or_membership.role not in AREA_ROLES or invitation_or_membership.is_lead:
        raise PermissionDenied("Only national administrators can change this role.")


def invitation_for_manager(by, pk: int) -> Invitation:
    """The invitation `by` may resend or withdraw; PermissionDenied for anyone else's."""
    invitation = Invitation.objects.select_related("hwb_area", "region").select_for_update(of=("self",)).get(pk=pk)
    _check_may_manage(by, invitation)
    return invitation


@transaction.atomic
def resend(*, by: User, invitation_id: int, request=None) -> Invitation:
    """Send a pending or expired invitation again, with a new link (the old one stops working)."""
    invitation = invitation_for_manager(by, invitation_id)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation has been accepted or withdrawn, so it cannot be sent again.")
    token = _new_token(invitation)
    invitation.save(update_fields=["token_sha256", "sent_at", "expires_at"])
    _send(invitation, token, by)
    _audit(Action.INVITATION_RESENT, by=by, invitation=invitation, request=request)
    return invitation


@transaction.atomic
def revoke(*, by: User, invitation_id: int, request=None) -> Invitation:
    invitation = invitation_for_manager(by, invitation_id)
    if invitation.accepted_at:
        raise ValidationError("This invitation has already been accepted: end the person's role instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _audit(Action.INVITATION_REVOKED, by=by, invitation=invitation, request=request)
    return invitation


@transaction.atomic
def end_membership(*, by: User, membership_id: int, request=None) -> None:
    """End a person's role in an area or region. The audit log keeps what it was."""
    membership = (
        Membership.objects.select_related("user", "hwb_area", "region")
        .select_for_update(of=("self",))
        .get(pk=membership_id)
    )
    _check_may_manage(by, membership)
    security.record(
        Action.MEMBERSHIP_ENDED,
        request=request,
        user=by,
        hwb_area_id=membership.hwb_area_id,
        detail={
            "email": membership.user.email,
            "role": membership.role,
            "slot": membership.signoff_slot_code,
            "lead": membership.is_lead,
            "region": membership.region.code if membership.region_id else "",
        },
    )
    membership.delete()


def pending_invitation(token: str) -> Invitation | None:
    """The invitation a link names, if it can still be accepted; None for a used, withdrawn, expired or made-up one."""
    invitation = (
        Invitation.objects.select_related("hwb_area", "region", "organisation")
        .filter(token_sha256=_token_hash(token))
        .first()
    )
    return invitation if invitation is not None and invitation.is_pending else None


def existing_account(invitation: Invitation) -> User | None:
    return User.objects.filter(email__iexact=invitation.email).first()


@transaction.atomic
def accept(*, token: str, user: User | None = None, password: str | None = None, request=None) -> User:
    """Accept an invitation: once only, before it expires.

    `user` is the signed-in account the invitation was sent to; for someone new, `password` (already
    validated) creates their account (None: an account that signs in only by single sign-on).
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(token_sha256=_token_hash(token))
        .select_related("hwb_area")
        .first()
    )
    if invitation is None or not invitation.is_pending:
        raise ValidationError("This invitation link has been used, withdrawn or has expired.")
    if user is None:
        if existing_account(invitation) is not None:
            raise ValidationError("You already have an account: sign in to accept this invitation.")
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=invitation.full_name, job_title=invitation.job_title
        )
    elif user.email.lower() != invitation.email.lower():
        raise PermissionDenied("This invitation was sent to another email address.")
    elif invitation.job_title and not user.job_title:
        user.job_title = invitation.job_title
        user.save(update_fields=["job_title"])
    Membership.objects.get_or_create(
        user=user,
        role=invitation.role,
        hwb_area=invitation.hwb_area,
        region=invitation.region,
        signoff_slot_code=invitation.signoff_slot_code,
        defaults={"organisation": invitation.organisation, "is_lead": invitation.is_lead},
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _audit(Action.INVITATION_ACCEPTED, by=user, invitation=invitation, request=request)
    return user


def team(hwb_area: HwbArea) -> dict:
    """An area's team page: memberships by role, and invitations not yet accepted."""
    memberships = list(
        Membership.objects.filter(hwb_area=hwb_area)
        .select_related("user", "organisation")
        .order_by("role", "user__email")
    )
    slots = dict(signoff_slot_choices())
    for m in memberships:
        m.slot_title = slots.get(m.signoff_slot_code, m.signoff_slot_code)
    invitations = list(
        Invitation.objects.filter(hwb_area=hwb_area, accepted_at__isnull=True, revoked_at__isnull=True).select_related(
            "invited_by"
        )
    )
    for i in invitations:
        i.slot_title = slots.get(i.signoff_slot_code, i.signoff_slot_code)
    return {"memberships": memberships, "invitations": invitations}
