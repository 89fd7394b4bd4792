"""People pages: an area's team, inviting people, accepting an invitation, and a person's own account.

Who may do what is in accounts.permissions (view_team, manage_team, grant_any_role); each step is a
service in accounts.invitations, which refuses what the rules do not allow and writes the audit log.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from rounds.models import HwbArea

from . import invitations, permissions, security
from .forms import ChangePasswordForm, ChooseNewPasswordForm, InvitationForm, NewPasswordForm, ResetPasswordForm
from .models import Invitation, Membership, SecurityEvent


def _area_for(user, ons_code: str, permission: str) -> HwbArea:
    area = get_object_or_404(HwbArea, ons_code=ons_code)
    if not permissions.allowed(user, permission, area):
        raise PermissionDenied("You cannot see or manage this area's team.")
    return area


@login_required
def team(request, ons_code):
    area = _area_for(request.user, ons_code, "accounts.view_team")
    return render(
        request,
        "accounts/team.html",
        {
            "area": area,
            **invitations.team(area),
            "can_manage": permissions.allowed(request.user, "accounts.manage_team", area),
            "is_national_admin": permissions.allowed(request.user, "accounts.grant_any_role"),
        },
    )


def _invite(request, *, area: HwbArea | None, done_url: str, template_context: dict):
    may_grant = invitations.roles_user_may_grant(request.user, area)
    national = permissions.allowed(request.user, "accounts.grant_any_role")
    form = InvitationForm(
        request.POST or None, roles=may_grant, hwb_area=area, may_make_lead=national and area is not None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = invitations.invite(
                by=request.user,
                email_address=data["email"],
                role=data["role"],
                hwb_area=area,
                region=data.get("region"),
                full_name=data["full_name"],
                job_title=data["job_title"],
                organisation=data.get("organisation"),
                signoff_slot_code=data.get("signoff_slot_code", ""),
                is_lead=data.get("is_lead", False),
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect(done_url)
    return render(
        request,
        "accounts/invite.html",
        {"form": form, "invitation_days": settings.INVITATION_DAYS, **template_context},
    )


@login_required
def invite(request, ons_code):
    area = _area_for(request.user, ons_code, "accounts.manage_team")
    return _invite(
        request,
        area=area,
        done_url=reverse("team", kwargs={"ons_code": area.ons_code}),
        template_context={"area": area},
    )


@login_required
def invite_assurer(request):
    if not permissions.allowed(request.user, "accounts.grant_any_role"):
        raise PermissionDenied("Only national administrators can invite assurers.")
    return _invite(request, area=None, done_url=reverse("invite_assurer"), template_context={"area": None})


def _back_to_team(obj):
    return redirect(
        reverse("team", kwargs={"ons_code": obj.hwb_area.ons_code}) if obj.hwb_area_id else reverse("account")
    )


@login_required
@require_POST
def invitation_resend(request, invitation):
    target = get_object_or_404(Invitation, pk=invitation)
    try:
        invitations.resend(by=request.user, invitation_id=target.pk, request=request)
        messages.success(request, f"Invitation sent again to {target.email}.")
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    return _back_to_team(target)


@login_required
@require_POST
def invitation_revoke(request, invitation):
    target = get_object_or_404(Invitation, pk=invitation)
    try:
        invitations.revoke(by=request.user, invitation_id=target.pk, request=request)
        messages.success(request, f"The invitation to {target.email} has been withdrawn.")
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    return _back_to_team(target)


@login_required
@require_POST
def membership_end(request, membership):
    target = get_object_or_404(Membership.objects.select_related("user", "hwb_area"), pk=membership)
    invitations.end_membership(by=request.user, membership_id=target.pk, request=request)
    messages.success(request, f"{target.user} no longer has the role of {target.get_role_display().lower()}.")
    return _back_to_team(target)


def accept_invitation(request, token):
    """The link in an invitation email. Someone new sets a password; someone with an account signs in first."""
    invitation = invitations.pending_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    account = invitations.existing_account(invitation)
    form = None
    if account is None:
        form = NewPasswordForm(request.POST or None, email_address=invitation.email, full_name=invitation.full_name)
    if request.method == "POST":
        signed_in_as_invitee = request.user.is_authenticated and request.user.email == invitation.email
        if account is not None and signed_in_as_invitee:
            invitations.accept(token=token, user=request.user, request=request)
            messages.success(request, "You have accepted the invitation.")
            return redirect("account")
        if account is None and "single_sign_on" in request.POST and settings.OIDC_ENABLED:
            # An account with no password: it signs in through the identity provider, matched by email.
            invitations.accept(token=token, password=None, request=request)
            return redirect("oidc_authentication_init")
        if account is None and form.is_valid():
            user = invitations.accept(token=token, password=form.cleaned_data["password1"], request=request)
            login(request, user, backend="accounts.backends.CachedModelBackend")
            messages.success(request, "Your account is ready and you are signed in.")
            return redirect("plans:your_plans")
    return render(
        request,
        "accounts/accept_invitation.html",
        {
            "invitation": invitation,
            "account": account,
            "form": form,
            "page_has_errors": bool(form and form.errors),
            "oidc_enabled": settings.OIDC_ENABLED,
        },
    )


@login_required
def account(request):
    memberships = request.user.memberships.select_related("hwb_area", "region", "organisation").order_by("role")
    slots = dict(invitations.signoff_slot_choices())
    for m in memberships:
        m.slot_title = slots.get(m.signoff_slot_code, m.signoff_slot_code)
    managed = [m.hwb_area for m in memberships if m.is_lead and m.hwb_area_id]
    assurer_invitations = []
    if permissions.allowed(request.user, "accounts.grant_any_role"):
        managed = list(HwbArea.objects.order_by("name"))  # a national administrator manages every area's team
        assurer_invitations = Invitation.objects.filter(
            role=Membership.Role.ASSURER, accepted_at__isnull=True, revoked_at__isnull=True
        ).select_related("region")
    return render(
        request,
        "accounts/account.html",
        {
            "memberships": memberships,
            "managed_areas": managed,
            "assurer_invitations": assurer_invitations,
            "is_national_admin": permissions.allowed(request.user, "accounts.grant_any_role"),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        security.record(SecurityEvent.Action.PASSWORD_CHANGED, request=self.request, user=self.request.user)
        messages.success(self.request, "Your password has been changed.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetPasswordForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ChooseNewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        security.record(SecurityEvent.Action.PASSWORD_CHANGED, request=self.request, user=form.user)
        return response
