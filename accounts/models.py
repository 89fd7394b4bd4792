"""People: users (who sign in with their email address), their roles, and the security audit log."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from rounds.models import HwbArea, Organisation, Region, SignOffSlot


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=self.model.normalize_username(username))


class User(AbstractUser):
    """A person who signs in with their email address."""

    username = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            # Backs normalize_username: even a write that bypasses save() cannot add a second
            # account for an address that differs only in case.
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message="A user with this email address already exists.",
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    @classmethod
    def normalize_username(cls, username):
        """An email address as stored and compared: trimmed and in lower case.

        Sign-in, the lockout count (settings.AXES_USERNAME_CALLABLE), single sign-on and account
        creation all use this, so "Amy@x" and " amy@x" are one account with one lockout.
        """
        username = super().normalize_username(username)
        return username.strip().lower() if isinstance(username, str) else username

    def save(self, *args, **kwargs):
        self.email = self.normalize_username(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Membership(models.Model):
    """A user's role in an HWB area, an organisation or a region.

    Commissioners, signatories and viewers belong to an HWB area; a signatory also names
    the sign-off slot code they hold (slot codes are shared across rounds, e.g. "ccg").
    Assurers belong to a region; national admins need neither.
    """

    class Role(models.TextChoices):
        COMMISSIONER = "commissioner", "Commissioner"
        SIGNATORY = "signatory", "Signatory"
        ASSURER = "assurer", "Assurer"
        NATIONAL_ADMIN = "national_admin", "National administrator"
        VIEWER = "viewer", "Read-only viewer"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    hwb_area = models.ForeignKey(HwbArea, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    signoff_slot_code = models.CharField(max_length=40, blank=True)
    # A lead commissioner manages their area's team: invites its people and ends their memberships.
    is_lead = models.BooleanField("lead commissioner", default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_lead_is_a_commissioner",
                condition=models.Q(is_lead=False) | models.Q(role="commissioner"),
                violation_error_message="Only a commissioner can be an area's lead commissioner.",
            ),
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    models.Q(role="national_admin")
                    | models.Q(role="assurer", region__isnull=False)
                    | models.Q(role__in=["commissioner", "viewer"], hwb_area__isnull=False)
                    | models.Q(role="signatory", hwb_area__isnull=False, signoff_slot_code__gt="")
                ),
            ),
        ]

    def __str__(self):
        scope = self.hwb_area or self.region or "national"
        return f"{self.user} — {self.get_role_display()} ({scope})"

    def clean(self):
        """Say in plain English what membership_scope_matches_role would refuse, and refuse unknown slot codes.

        Errors are tied to their fields, so the form shows them there (and Django then skips the
        constraint's own, unexplained message).
        """
        errors = {}
        area_roles = (self.Role.COMMISSIONER, self.Role.VIEWER, self.Role.SIGNATORY)
        if self.role in area_roles and self.hwb_area_id is None:
            errors["hwb_area"] = f"Choose the HWB area this {self.get_role_display().lower()} belongs to"
        if self.role == self.Role.ASSURER and self.region_id is None:
            errors["region"] = "Choose the region whose plans this assurer reviews"
        if self.role == self.Role.SIGNATORY:
            codes = signoff_slot_codes()
            if not self.signoff_slot_code:
                errors["signoff_slot_code"] = "Choose the sign-off slot this signatory signs for"
            elif self.signoff_slot_code not in codes:
                errors["signoff_slot_code"] = (
                    f"‘{self.signoff_slot_code}’ is not a sign-off slot. Choose one of: {', '.join(codes)}"
                )
        elif self.signoff_slot_code:
            errors["signoff_slot_code"] = "Only a signatory has a sign-off slot: leave it empty for this role"
        if errors:
            raise ValidationError(errors)


def signoff_slot_codes() -> list[str]:
    """Every sign-off slot code a round defines: a signatory's slot is one of them, spelled exactly."""
    return sorted(set(SignOffSlot.objects.values_list("code", flat=True)))


class SecurityEvent(models.Model):
    """Append-only audit entry for a security event: sign-in, refusals, sign-off, submission, downloads, API calls.

    Kept in accounts, below plans, so sign-in and permission events, which have no plan, are
    recorded by a low layer (accounts.security). An event about a plan keeps the plan's id as a
    plain number, not a foreign key (plans is a higher layer), and its area, which the log shows.
    """

    class Action(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGNED_OUT = "signed_out", "Signed out"
        PERMISSION_DENIED = "permission_denied", "Permission denied"
        SIGNED = "signed", "Sign-off"
        SUBMITTED = "submitted", "Submission"
        DECISION = "decision", "Assurance decision"
        TRANSITION_REFUSED = "transition_refused", "Workflow step refused"
        EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"
        INVITED = "invited", "Invitation sent"
        INVITATION_RESENT = "invitation_resent", "Invitation sent again"
        INVITATION_REVOKED = "invitation_revoked", "Invitation withdrawn"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        MEMBERSHIP_ENDED = "membership_ended", "Role ended"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset asked for"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        OPEN_DATA_PUBLISHED = "open_data_published", "Open data published"
        OPEN_DATA_WITHDRAWN = "open_data_withdrawn", "Open data withdrawn"
        # One per call to the national data API (api.audit), whatever its answer: who, which token, what status.
        API_CALL = "api_call", "API call"

    action = models.CharField(max_length=30, choices=Action.choices, db_index=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # What was typed at sign-in, kept even when it matches no user (failed sign-ins).
    username = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    # The plan the event concerns (plans.Plan's id). Not a foreign key: plans sits above accounts, and
    # an audit entry outlives the plan it names.
    plan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    hwb_area = models.ForeignKey(HwbArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.username}"


class Invitation(models.Model):
    """An invitation to a role, sent by email as a single-use link that expires.

    Only the SHA-256 of the link's token is stored, so the table cannot be used to accept an
    invitation. Accepting creates the membership (and the account, for someone new).
    """

    email = models.EmailField("email address")
    full_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    hwb_area = models.ForeignKey(HwbArea, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations")
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    signoff_slot_code = models.CharField(max_length=40, blank=True)
    is_lead = models.BooleanField("lead commissioner", default=False)
    token_sha256 = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="invitation_scope_matches_role",
                condition=(
                    models.Q(role="assurer", region__isnull=False)
                    | models.Q(role__in=["commissioner", "viewer"], hwb_area__isnull=False)
                    | models.Q(role="signatory", hwb_area__isnull=False, signoff_slot_code__gt="")
                ),
            ),
        ]

    def __str__(self):
        return f"{self.email} — {self.get_role_display()} ({self.hwb_area or self.region})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "Accepted"
        if self.revoked_at:
            return "Withdrawn"
        return "Pending" if self.expires_at > timezone.now() else "Expired"
