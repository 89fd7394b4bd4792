"""Forms for people: an invitation, accepting one with a new password, and the password reset email."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.urls import reverse

from rounds.models import Organisation, Region

from . import email, invitations, security
from .models import Membership, SecurityEvent, User

ROLE_LABELS = {
    Membership.Role.COMMISSIONER: "Commissioner: writes the area's plan",
    Membership.Role.SIGNATORY: "Signatory: signs the plan off for one organisation",
    Membership.Role.VIEWER: "Viewer: reads the plan",
    Membership.Role.ASSURER: "Assurer: reviews the submitted plans of a region",
}


class InvitationForm(forms.Form):
    """The roles offered are those the inviting person may grant (accounts.invitations.roles_user_may_grant)."""

    email = forms.EmailField(label="Email address", max_length=254)
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        required=False,
        error_messages={"max_length": "Full name must be 200 characters or fewer"},
    )
    job_title = forms.CharField(
        label="Job title",
        max_length=200,
        required=False,
        help_text="Printed beside a signatory's signature.",
        error_messages={"max_length": "Job title must be 200 characters or fewer"},
    )
    role = forms.ChoiceField(label="Role", widget=forms.RadioSelect)
    signoff_slot_code = forms.ChoiceField(label="Sign-off (signatories only)", required=False)
    organisation = forms.ModelChoiceField(
        label="Organisation (signatories only)", queryset=Organisation.objects.none(), required=False
    )
    region = forms.ModelChoiceField(label="Region (assurers only)", queryset=Region.objects.all(), required=False)
    is_lead = forms.BooleanField(label="Lead commissioner: manages the area's team", required=False)

    def __init__(self, *args, roles, hwb_area=None, may_make_lead=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Every role is accepted from the post, so a refusal is the service's (a 403, in the audit log),
        # but only the ones this person may grant are offered.
        self.offered_roles = roles
        self.fields["role"].choices = [(r.value, ROLE_LABELS.get(r, r.label)) for r in Membership.Role]
        self.fields["signoff_slot_code"].choices = [("", "Choose a sign-off"), *invitations.signoff_slot_choices()]
        if hwb_area is not None:
            self.fields["organisation"].queryset = Organisation.objects.filter(hwb_areas=hwb_area)
            del self.fields["region"]
        else:
            del self.fields["organisation"], self.fields["signoff_slot_code"]
        # Posted is_lead is kept even when not offered, for the service to refuse.
        self.show_is_lead = may_make_lead

    def offered_role_choices(self):
        return [(value, label) for value, label in self.fields["role"].choices if value in self.offered_roles]

    def clean(self):
        data = super().clean()
        if data.get("role") == Membership.Role.SIGNATORY and not data.get("signoff_slot_code"):
            self.add_error("signoff_slot_code", "Choose the sign-off the signatory will give")
        return data


class NewPasswordForm(forms.Form):
    """Choosing a password when accepting an invitation; checked by the site's password validators."""

    password1 = forms.CharField(label="Create a password", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="Confirm your password", strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, email_address: str, full_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.user = User(email=email_address, full_name=full_name)

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "Enter the same password in both boxes")
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ResetPasswordForm(PasswordResetForm):
    """Django's reset form, sending through accounts.email with an absolute link (settings.SITE_URL).

    Known and unknown addresses get the same page; only a known, active account with a password gets
    an email, and the sending happens in a Celery task, so the page takes the same time either way.
    """

    email = forms.EmailField(label="Email address", max_length=254)

    def save(self, request=None, **kwargs):
        security.record(
            SecurityEvent.Action.PASSWORD_RESET_REQUESTED,
            request=request,
            user=None,
            username=User.normalize_username(self.cleaned_data["email"]),
        )
        return super().save(request=request, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        path = reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        email.send(
            "password_reset",
            [to_email],
            {"link": email.absolute_url(path), "duration": _duration(settings.PASSWORD_RESET_TIMEOUT)},
        )


def _duration(seconds: int) -> str:
    """How long a link works, as the email says it: "1 hour", "24 hours"."""
    hours = max(1, seconds // 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"


class ChooseNewPasswordForm(SetPasswordForm):
    """Django's new-password form in the words the invitation page uses."""

    error_messages = {"password_mismatch": "Enter the same password in both boxes"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm your new password"
        self.fields["new_password2"].help_text = ""


class ChangePasswordForm(PasswordChangeForm, ChooseNewPasswordForm):
    error_messages = {
        **ChooseNewPasswordForm.error_messages,
        "password_incorrect": "Your current password is not right. Enter it again",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
