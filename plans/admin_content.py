"""Admin pages for a plan's content (answers, rows, schemes, lines, ambitions), shared by every app.

National administrators may correct a draft's content here. Once a plan has left Draft (sent for
sign-off, signed off, submitted or later) its content is read-only: what signatories signed and
what was submitted cannot be changed behind them. An admin change to a draft is a content change
like any other: it sends plans.events.content_changed, so any signatures it held are voided.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from . import events
from .models import Plan


def _plan_of(obj) -> Plan | None:
    return getattr(obj, "plan", None) if obj is not None else None


def content_editable(obj) -> bool:
    """Whether the admin may change or delete this content row (or a row inline under it)."""
    plan = _plan_of(obj)
    return plan is None or plan.status == Plan.Status.DRAFT


class PlanContentAdmin(SimpleHistoryAdmin):
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and content_editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and content_editable(obj)

    def save_model(self, request, obj, form, change):
        plan = Plan.objects.select_for_update().get(pk=obj.plan_id)
        if plan.status != Plan.Status.DRAFT:
            raise PermissionDenied("This plan has left Draft: its content cannot be changed here.")
        super().save_model(request, obj, form, change)
        events.content_changed(plan=plan, actor=request.user, cause=f"{obj._meta.verbose_name} changed in the admin")

    def delete_model(self, request, obj):
        plan = Plan.objects.select_for_update().get(pk=obj.plan_id)
        super().delete_model(request, obj)
        events.content_changed(plan=plan, actor=request.user, cause=f"{obj._meta.verbose_name} deleted in the admin")

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action: one row at a time, so each plan is checked and told.
        for obj in queryset.select_related("plan"):
            if not content_editable(obj):
                raise PermissionDenied("A plan that has left Draft cannot have its content deleted here.")
            self.delete_model(request, obj)


class PlanContentInline(admin.TabularInline):
    """Rows edited under a content row (a line's amounts, an ambition's planned values): read-only with it."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and content_editable(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and content_editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and content_editable(obj)
