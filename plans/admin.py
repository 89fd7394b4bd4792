"""Admin for national administrators: rounds (with their configuration inline), areas, organisations, users."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

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


@admin.register(models.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(models.HwbArea)
class HwbAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "ons_code", "region"]
    list_filter = ["region"]
    search_fields = ["name", "ons_code"]


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    filter_horizontal = ["hwb_areas"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "hwb_area", "region", "signoff_slot_code"]
    list_filter = ["role", "region"]
    search_fields = ["user__email", "hwb_area__name"]
    autocomplete_fields = ["user", "hwb_area", "organisation", "region"]


class RoundYearInline(admin.TabularInline):
    model = models.RoundYear
    extra = 0


class SignOffSlotInline(admin.TabularInline):
    model = models.SignOffSlot
    extra = 0


class OutcomeInline(admin.TabularInline):
    model = models.OutcomeCategory
    extra = 0


@admin.register(models.PlanningRound)
class PlanningRoundAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "final_deadline", "is_open"]
    list_filter = ["is_open"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RoundYearInline, SignOffSlotInline, OutcomeInline]


class QuestionInline(admin.StackedInline):
    model = models.Question
    extra = 0


@admin.register(models.Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "round", "part", "order", "table"]
    list_filter = ["round", "part"]
    inlines = [QuestionInline]


class ConditionQuestionInline(admin.TabularInline):
    model = models.ConditionQuestion
    extra = 0


@admin.register(models.NationalCondition)
class NationalConditionAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "round"]
    list_filter = ["round"]
    inlines = [ConditionQuestionInline]


@admin.register(models.Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "unit", "order"]
    list_filter = ["round"]


@admin.register(models.FundingStream)
class FundingStreamAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "contributor", "is_mandatory", "order"]
    list_filter = ["round"]


@admin.register(models.CodeListEntry)
class CodeListEntryAdmin(admin.ModelAdmin):
    list_display = ["label", "list", "code", "parent", "round"]
    list_filter = ["round", "list"]
    search_fields = ["label", "code"]


@admin.register(models.RingFence)
class RingFenceAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "funding_stream", "area_of_spend", "commissioner"]
    list_filter = ["round"]


@admin.register(models.Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ["hwb_area", "round", "year", "key", "amount"]
    list_filter = ["round", "key"]
    search_fields = ["hwb_area__name"]


@admin.register(models.KeyLineOfEnquiry)
class KeyLineOfEnquiryAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "round"]
    list_filter = ["round"]


admin.site.register(models.SignOffSlot)
admin.site.register(models.OutcomeCategory)
admin.site.register(models.PlanGroup)


@admin.register(models.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["hwb_area", "round", "status", "version", "updated_at"]
    list_filter = ["round", "status", "hwb_area__region"]
    search_fields = ["hwb_area__name", "hwb_area__ons_code"]


@admin.register(models.Answer)
class AnswerAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "question", "version", "updated_at", "updated_by"]
    list_filter = ["plan__round"]


@admin.register(models.SectionProgress)
class SectionProgressAdmin(admin.ModelAdmin):
    list_display = ["plan", "section", "status", "updated_at"]
    list_filter = ["status"]


@admin.register(models.RelatedDocument)
class RelatedDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "plan", "ref"]


@admin.register(models.ConditionResponse)
class ConditionResponseAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "question", "status", "target_date"]


@admin.register(models.Risk)
class RiskAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "rating", "owner"]


@admin.register(models.ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["plan", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]


admin.site.register(models.UnsavedDraft)
