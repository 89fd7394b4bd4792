from django.contrib import admin

from plans.admin_content import PlanContentAdmin, PlanContentInline

from .models import MetricAmbition, PlannedValue


class PlannedValueInline(PlanContentInline):
    model = PlannedValue


@admin.register(MetricAmbition)
class MetricAmbitionAdmin(PlanContentAdmin):
    list_display = ["__str__", "plan", "baseline_value", "baseline_period"]
    list_filter = ["plan__round"]
    inlines = [PlannedValueInline]
