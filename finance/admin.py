from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ExpenditureAmount, ExpenditureLine, IncomeLine


@admin.register(IncomeLine)
class IncomeLineAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "funding_stream", "organisation", "year", "amount"]
    list_filter = ["plan__round", "funding_stream"]


class ExpenditureAmountInline(admin.TabularInline):
    model = ExpenditureAmount
    extra = 0


@admin.register(ExpenditureLine)
class ExpenditureLineAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "scheme", "funding_stream", "area_of_spend", "commissioner"]
    list_filter = ["plan__round"]
    inlines = [ExpenditureAmountInline]
