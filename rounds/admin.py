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


class OutputUnitInline(admin.TabularInline):
    model = models.OutputUnit
    extra = 0


class SplitRuleInline(admin.TabularInline):
    model = models.SplitRule
    extra = 0


@admin.register(models.PlanningRound)
class PlanningRoundAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "final_deadline", "is_open"]
    list_filter = ["is_open"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RoundYearInline, SignOffSlotInline, OutcomeInline, OutputUnitInline, SplitRuleInline]


class QuestionInline(admin.StackedInline):
    model = models.Question
    extra = 0


@admin.register(models.Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "round", "part", "order", "table", "phase"]
    list_filter = ["round", "part"]
    inlines = [QuestionInline]


@admin.register(models.RoundPhase)
class RoundPhaseAdmin(admin.ModelAdmin):
    """A round's phases (the plan, then a planning update); normally loaded from the round's file."""

    list_display = ["name", "round", "order", "opens_at", "deadline"]
    list_filter = ["round"]
    filter_horizontal = ["sections"]


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


class SameRoundForm(forms.ModelForm):
    """A row of one round (directly, or through its plan) may name only that round's years, streams and codes.

    Subclasses name those fields (`round_fields`) and the field that gives the row's round (`round_via`:
    the round itself, or a plan). On a change form the lists offer the row's own round only; a choice
    from another round is refused with a message saying so.
    """

    round_fields: tuple[str, ...] = ()
    round_via = "round"

    def row_round_id(self, data: dict | None = None) -> int | None:
        """The row's round: from the submitted data, or (None) from the saved row."""
        if data is None:
            value = getattr(self.instance, self.round_via, None) if self.instance.pk else None
        else:
            value = data.get(self.round_via)
        if value is None:
            return None
        return value.pk if isinstance(value, models.PlanningRound) else value.round_id

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved_round_id = self.row_round_id()
        for name in self.round_fields:
            field = self.fields[name]
            field.label_from_instance = lambda obj: f"{obj} ({obj.round.slug})"
            field.queryset = field.queryset.select_related("round")
            if saved_round_id is not None:
                field.queryset = field.queryset.filter(round_id=saved_round_id)

    def clean(self):
        data = super().clean()
        round_id = self.row_round_id(data)
        if round_id is None:
            return data
        planning_round = models.PlanningRound.objects.get(pk=round_id)
        for name in self.round_fields:
            value = data.get(name)
            if value is not None and value.round_id != round_id:
                self.add_error(
                    name, f"‘{value}’ belongs to {value.round}, not to {planning_round}. Choose one of this round's"
                )
        return data


class RingFenceForm(SameRoundForm):
    round_fields = ("funding_stream", "area_of_spend", "commissioner")

    class Meta:
        model = models.RingFence
        fields = ["round", "key", "name", "description", "funding_stream", "area_of_spend", "commissioner", "share"]


@admin.register(models.RingFence)
class RingFenceAdmin(admin.ModelAdmin):
    form = RingFenceForm
    list_display = ["name", "round", "funding_stream", "area_of_spend", "commissioner"]
    list_filter = ["round"]


def allocation_key_choices() -> list:
    """Every round's allocation keys, grouped by round, so a key is picked, never typed."""
    return [
        (str(rnd), [(key, key) for key in rnd.allocation_keys()])
        for rnd in models.PlanningRound.objects.order_by("-final_deadline")
    ]


class AllocationForm(SameRoundForm):
    """Key and year come from the round's own lists; Allocation.clean refuses another round's."""

    round_fields = ("year",)
    key = forms.ChoiceField(
        choices=allocation_key_choices,
        error_messages={
            "invalid_choice": "‘%(value)s’ is not an allocation key of any round. Choose one from the list"
        },
        help_text="minimum_pool, or a funding stream or ring-fence key of the round.",
    )

    class Meta:
        model = models.Allocation
        fields = ["round", "hwb_area", "year", "key", "amount"]


@admin.register(models.Allocation)
class AllocationAdmin(admin.ModelAdmin):
    form = AllocationForm
    list_display = ["hwb_area", "round", "year", "key", "amount"]
    list_filter = ["round", "key"]
    search_fields = ["hwb_area__name"]


class IcbAllocationForm(SameRoundForm):
    """Year and stream come from the round's own lists; IcbAllocation.clean refuses an organisation that is not an ICB."""

    round_fields = ("year", "funding_stream")

    class Meta:
        model = models.IcbAllocation
        fields = ["round", "organisation", "year", "funding_stream", "amount"]


@admin.register(models.IcbAllocation)
class IcbAllocationAdmin(admin.ModelAdmin):
    form = IcbAllocationForm
    list_display = ["organisation", "round", "year", "funding_stream", "amount"]
    list_filter = ["round"]
    search_fields = ["organisation__name"]


@admin.register(models.KeyLineOfEnquiry)
class KeyLineOfEnquiryAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "round"]
    list_filter = ["round"]


admin.site.register(models.SignOffSlot)
admin.site.register(models.OutcomeCategory)
