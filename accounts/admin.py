"""Admin for national administrators: users (with their memberships inline) and memberships.

A signatory's sign-off slot is chosen from the rounds' own slot codes, and a membership that does
not fit its role is refused with a message saying what to fill in (Membership.clean).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm

from rounds.models import SignOffSlot

from . import models


def slot_choices() -> list[tuple[str, str]]:
    titles: dict[str, list[str]] = {}
    for code, title in SignOffSlot.objects.order_by("code", "round__final_deadline").values_list("code", "title"):
        titles.setdefault(code, [])
        if title not in titles[code]:
            titles[code].append(title)
    return [("", "No slot (not a signatory)"), *((code, f"{code}: {' / '.join(t)}") for code, t in titles.items())]


class MembershipForm(forms.ModelForm):
    signoff_slot_code = forms.ChoiceField(
        label="Sign-off slot",
        required=False,
        choices=slot_choices,
        error_messages={"invalid_choice": "‘%(value)s’ is not a sign-off slot. Choose one from the list"},
        help_text="Signatories only: the slot of the round's sign-off table this person signs.",
    )

    class Meta:
        model = models.Membership
        fields = ["user", "role", "is_lead", "hwb_area", "organisation", "region", "signoff_slot_code"]


class MembershipInline(admin.TabularInline):
    model = models.Membership
    form = MembershipForm
    extra = 1
    autocomplete_fields = ["hwb_area", "organisation", "region"]


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = models.User
        fields = ["email", "full_name", "job_title"]


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "job_title", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    add_form = UserCreationForm
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal details", {"fields": ["full_name", "job_title"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "job_title", "password1", "password2"],
            },
        )
    ]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "role", "is_lead", "hwb_area", "region", "signoff_slot_code"]
    list_filter = ["role", "is_lead", "region"]
    search_fields = ["user__email", "hwb_area__name"]
    autocomplete_fields = ["user", "hwb_area", "organisation", "region"]


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent, resent and withdrawn from an area's team page, which audits each step."""

    list_display = ["email", "role", "is_lead", "hwb_area", "region", "status", "invited_by", "sent_at"]
    list_filter = ["role", "region"]
    search_fields = ["email", "hwb_area__name"]
    exclude = ["token_sha256"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
