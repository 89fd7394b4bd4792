"""Admin for national administrators: regions, areas, organisations and rounds (with their configuration inline).

An edit here gives the round a new config_version (rounds.config), so cached copies are not used stale.
"""

from django import forms
from django.contrib import admin

from . import models


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
    list_display = ["name", "kind", "code", "first_round", "last_round"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    filter_horizontal = ["hwb_areas"]


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


class AllocationForm(forms.ModelForm):
    """The key and year are checked against the round's own lists (Allocation.clean); the help lists the keys."""

    class Meta:
        model = models.Allocation
        fields = ["round", "hwb_area", "year", "key", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rnd = self.instance.round if self.instance.round_id else None
        if rnd is not None:
            self.fields["year"].queryset = rnd.years.order_by("order")
            self.fields["key"].help_text = f"One of: {', '.join(rnd.allocation_keys())}"
        else:
            self.fields["key"].help_text = "minimum_pool, or a funding stream or ring-fence key of the round"


@admin.register(models.Allocation)
class AllocationAdmin(admin.ModelAdmin):
    form = AllocationForm
    list_display = ["hwb_area", "round", "year", "key", "amount"]
    list_filter = ["round", "key"]
    search_fields = ["hwb_area__name"]


@admin.register(models.KeyLineOfEnquiry)
class KeyLineOfEnquiryAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "round"]
    list_filter = ["round"]


admin.site.register(models.SignOffSlot)
admin.site.register(models.OutcomeCategory)
