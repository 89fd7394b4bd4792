"""Admin for national administrators: a plan's income and expenditure lines (with history).

Years, funding streams and codes are the plan's round's own (rounds.admin.SameRoundForm).
"""

from django.contrib import admin

from plans.admin_content import PlanContentAdmin, PlanContentInline
from rounds.admin import SameRoundForm

from .models import ExpenditureAmount, ExpenditureLine, IncomeLine


class IncomeLineForm(SameRoundForm):
    round_fields = ("funding_stream", "year")
    round_via = "plan"

    class Meta:
        model = IncomeLine
        fields = ["plan", "funding_stream", "organisation", "year", "amount", "note", "version"]


@admin.register(IncomeLine)
class IncomeLineAdmin(PlanContentAdmin):
    form = IncomeLineForm
    list_display = ["plan", "funding_stream", "organisation", "year", "amount"]
    list_filter = ["plan__round", "funding_stream"]


class ExpenditureAmountForm(SameRoundForm):
    round_fields = ("year",)

    class Meta:
        model = ExpenditureAmount
        fields = ["line", "year", "amount"]

    def row_round_id(self, data=None):
        line = getattr(self.instance, "line", None) if self.instance.line_id else None
        return line.plan.round_id if line is not None else None


class ExpenditureAmountInline(PlanContentInline):
    model = ExpenditureAmount
    form = ExpenditureAmountForm


class ExpenditureLineForm(SameRoundForm):
    round_fields = ("scheme_type", "area_of_spend", "commissioner", "provider", "funding_stream")
    round_via = "plan"

    class Meta:
        model = ExpenditureLine
        fields = [
            "plan",
            "scheme",
            "scheme_type",
            "area_of_spend",
            "commissioner",
            "percent_nhs",
            "percent_la",
            "provider",
            "funding_stream",
            "is_new",
            "order",
            "version",
        ]


@admin.register(ExpenditureLine)
class ExpenditureLineAdmin(PlanContentAdmin):
    form = ExpenditureLineForm
    list_display = ["plan", "scheme", "funding_stream", "area_of_spend", "commissioner"]
    list_filter = ["plan__round"]
    inlines = [ExpenditureAmountInline]
