"""Admin for national administrators: users (with their memberships inline) and memberships."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import models


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 1
    autocomplete_fields = ["hwb_area", "organisation", "region"]


@admin.register(models.User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "job_title", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal details", {"fields": ["full_name", "job_title"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
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
