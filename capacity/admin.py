from django.contrib import admin

from plans.admin_content import PlanContentAdmin

from .models import CapacityDemandFigure


@admin.register(CapacityDemandFigure)
class CapacityDemandFigureAdmin(PlanContentAdmin):
    list_display = ["plan", "row_key", "period", "demand", "capacity"]
    list_filter = ["plan__round"]
