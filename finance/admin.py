from django.contrib import admin

from plans.admin_content import PlanContentAdmin, PlanContentInline

from .models import ExpenditureAmount, ExpenditureLine, IncomeLine


@admin.register(IncomeLine)
class IncomeLineAdmin(PlanContentAdmin):
    list_display = ["plan", "funding_stream", "organisation", "year", "amount"]
    list_filter = ["plan__round", "funding_stream"]


class ExpenditureAmountInline(PlanContentInline):
    model = ExpenditureAmount


@admin.register(ExpenditureLine)
class ExpenditureLineAdmin(PlanContentAdmin):
    list_display = ["plan", "scheme", "funding_stream", "area_of_spend", "commissioner"]
    list_filter = ["plan__round"]
    inlines = [ExpenditureAmountInline]
