from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import MetricAmbition, PlannedValue


class PlannedValueInline(admin.TabularInline):
    model = PlannedValue
    extra = 0


@admin.register(MetricAmbition)
class MetricAmbitionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "plan", "baseline_value", "baseline_period"]
    list_filter = ["plan__round"]
    inlines = [PlannedValueInline]
