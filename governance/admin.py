from django.contrib import admin

from . import models


@admin.register(models.SignOff)
class SignOffAdmin(admin.ModelAdmin):
    list_display = ["plan", "slot", "signatory_name", "signed_on", "voided_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Submitted and audited records are immutable: the admin may look, never change."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["plan", "version", "submitted_at", "submitted_by", "is_late"]


@admin.register(models.PlanEvent)
class PlanEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "plan", "actor", "from_status", "to_status"]
    list_filter = ["action"]

    def has_add_permission(self, request):
        return False


class KloeRatingInline(admin.TabularInline):
    model = models.KloeRating
    extra = 0


class ReviewConditionInline(admin.TabularInline):
    model = models.ReviewCondition
    extra = 0


@admin.register(models.Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["submission", "assurer", "outcome", "decided_at"]
    inlines = [KloeRatingInline, ReviewConditionInline]


admin.site.register(models.SectionComment)
