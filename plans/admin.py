"""Admin for national administrators: plans and their Part 1 content (with history)."""

from django.contrib import admin

from . import models
from .admin_content import PlanContentAdmin

admin.site.register(models.PlanGroup)


@admin.register(models.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["hwb_area", "round", "status", "version", "updated_at"]
    list_filter = ["round", "status", "hwb_area__region"]
    search_fields = ["hwb_area__name", "hwb_area__ons_code"]
    # Only the workflow moves a plan (governance.services): a plan added here starts in Draft, version 1.
    readonly_fields = ["status", "version", "phase"]  # moved only by the workflow (governance.services)


@admin.register(models.Answer)
class AnswerAdmin(PlanContentAdmin):
    list_display = ["plan", "question", "version", "updated_at", "updated_by"]
    list_filter = ["plan__round"]


@admin.register(models.SectionProgress)
class SectionProgressAdmin(admin.ModelAdmin):
    list_display = ["plan", "section", "status", "updated_at"]
    list_filter = ["status"]


@admin.register(models.RelatedDocument)
class RelatedDocumentAdmin(PlanContentAdmin):
    list_display = ["title", "plan", "ref"]


@admin.register(models.ConditionResponse)
class ConditionResponseAdmin(PlanContentAdmin):
    list_display = ["plan", "question", "status", "target_date"]


@admin.register(models.Risk)
class RiskAdmin(PlanContentAdmin):
    list_display = ["__str__", "plan", "rating", "owner"]


admin.site.register(models.UnsavedDraft)
