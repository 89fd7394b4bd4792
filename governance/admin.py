from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    """Workflow records are made only by the workflow, and are immutable: the admin may look, never add or change."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = ["plan", "slot", "signatory_name", "signed_on", "voided_at"]


@admin.register(models.Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["plan", "version", "submitted_at", "submitted_by", "is_late"]


@admin.register(models.PlanEvent)
class PlanEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "plan", "actor", "from_status", "to_status"]
    list_filter = ["action"]


class KloeRatingInline(admin.TabularInline):
    model = models.KloeRating
    extra = 0


class ReviewConditionInline(admin.TabularInline):
    model = models.ReviewCondition
    extra = 0


@admin.register(models.Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["submission", "assurer", "outcome", "decided_at"]
    inlines = [KloeRatingInline, ReviewConditionInline]


admin.site.register(models.SectionComment, ReadOnlyAdmin)


@admin.register(models.ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["plan", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
