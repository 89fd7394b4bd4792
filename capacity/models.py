"""A plan's capacity and demand figures: one row per service type (row key) and period of the round's table."""

from django.core.validators import MaxValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from plans.models import Plan

# People or referrals a month for one service type in one area: well above any real figure, so a
# typing slip (an extra zero or three) is refused rather than stored.
MAX_FIGURE = 1_000_000


class CapacityDemandFigure(models.Model):
    """Demand and capacity for one service type (the round's row key) in one period; blank means not entered."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="capacity_figures")
    row_key = models.SlugField(max_length=40)
    period = models.CharField(max_length=60)
    demand = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(MAX_FIGURE)])
    capacity = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(MAX_FIGURE)])
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "row_key", "period"]
        verbose_name = "capacity and demand figure"
        constraints = [
            models.UniqueConstraint(fields=["plan", "row_key", "period"], name="one_capacity_figure_per_period"),
            models.CheckConstraint(
                name="capacity_figures_in_range",
                condition=(models.Q(demand__isnull=True) | models.Q(demand__gte=0, demand__lte=MAX_FIGURE))
                & (models.Q(capacity__isnull=True) | models.Q(capacity__gte=0, capacity__lte=MAX_FIGURE)),
            ),
        ]

    def __str__(self):
        return f"{self.row_key} {self.period}"
