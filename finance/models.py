"""The pooled budget: income by funding stream, organisation and year; expenditure by scheme line."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from plans.models import Plan
from rounds.models import CodeListEntry, FundingStream, MoneyField, Organisation, RoundYear
from rounds.money import MAX_AMOUNT
from schemes.models import Scheme

AMOUNT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(MAX_AMOUNT)]


class IncomeLine(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="income_lines")
    funding_stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="income_lines")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="income_lines")
    year = models.ForeignKey(RoundYear, on_delete=models.PROTECT, related_name="income_lines")
    amount = MoneyField(validators=AMOUNT_VALIDATORS)
    note = models.CharField(max_length=250, blank=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "funding_stream__order", "organisation__name", "year__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "funding_stream", "organisation", "year"], name="unique_income_line"
            ),
            models.CheckConstraint(
                name="income_amount_in_range", condition=models.Q(amount__gte=0, amount__lte=MAX_AMOUNT)
            ),
        ]

    def __str__(self):
        return f"{self.funding_stream} — {self.organisation} {self.year}: £{self.amount:,}"


class ExpenditureLine(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="expenditure_lines")
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="expenditure_lines")
    scheme_type = models.ForeignKey(CodeListEntry, on_delete=models.PROTECT, related_name="+")
    # One of the scheme type's sub-types (required when the type has any: finance.rules.line_problems).
    sub_type = models.ForeignKey(CodeListEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    area_of_spend = models.ForeignKey(CodeListEntry, on_delete=models.PROTECT, related_name="+")
    commissioner = models.ForeignKey(CodeListEntry, on_delete=models.PROTECT, related_name="+")
    percent_nhs = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    percent_la = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    provider = models.ForeignKey(CodeListEntry, on_delete=models.PROTECT, related_name="+")
    funding_stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="expenditure_lines")
    is_new = models.BooleanField("new scheme", default=False)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order", "id"]
        constraints = [
            models.CheckConstraint(
                name="joint_percentages_add_up",
                condition=(
                    models.Q(percent_nhs__isnull=True, percent_la__isnull=True)
                    | models.Q(
                        percent_nhs__gte=0,
                        percent_la__gte=0,
                        percent_nhs__lte=100,
                        percent_la__lte=100,
                    )
                ),
            ),
        ]

    def __str__(self):
        return f"{self.scheme} from {self.funding_stream}"


class ExpenditureAmount(models.Model):
    line = models.ForeignKey(ExpenditureLine, on_delete=models.CASCADE, related_name="amounts")
    year = models.ForeignKey(RoundYear, on_delete=models.PROTECT, related_name="+")
    amount = MoneyField(validators=AMOUNT_VALIDATORS)
    # How much the year's spend buys, in the scheme type's output unit (packages, beds, …), if it has one.
    planned_output = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["line", "year__order"]
        # A plan's amounts are read by joining its lines; with the amount in the index, PostgreSQL
        # answers that from the index alone, line by line, instead of scanning every area's amounts.
        # (SQLite, the first-run default, has no covering indexes and makes a plain one.)
        indexes = [models.Index(fields=["line", "year"], include=["amount"], name="amount_by_line_covering")]
        constraints = [
            models.UniqueConstraint(fields=["line", "year"], name="one_amount_per_line_year"),
            models.CheckConstraint(
                name="expenditure_amount_in_range", condition=models.Q(amount__gte=0, amount__lte=MAX_AMOUNT)
            ),
            models.CheckConstraint(
                name="planned_output_not_negative",
                condition=models.Q(planned_output__isnull=True) | models.Q(planned_output__gte=0),
            ),
        ]
