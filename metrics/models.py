"""Metric ambitions: baselines and planned values for the round's metrics and any local ones."""

from django.db import models
from simple_history.models import HistoricalRecords

from plans.models import Plan
from rounds.models import Metric
from rounds.units import UNIT_CHOICES, UNITLESS, Measure, measure_for


class MetricAmbition(models.Model):
    """A plan's ambition for one national metric, or for a local metric when `metric` is empty."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="metric_ambitions")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, null=True, blank=True, related_name="ambitions")
    local_name = models.CharField(max_length=250, blank=True)
    local_definition = models.TextField(blank=True)
    local_unit = models.CharField(max_length=20, choices=UNIT_CHOICES, blank=True)
    baseline_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    baseline_period = models.CharField(max_length=60, blank=True)
    baseline_numerator = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_denominator = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    rationale = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "metric"], condition=models.Q(metric__isnull=False), name="one_ambition_per_metric"
            ),
            models.CheckConstraint(
                name="local_metric_has_name", condition=models.Q(metric__isnull=False) | ~models.Q(local_name="")
            ),
        ]

    def __str__(self):
        return self.metric.name if self.metric_id else self.local_name

    @property
    def measure(self) -> Measure | None:
        """The unit its figures are worked out and shown in: the round metric's, or the local one's."""
        return measure_for(self.metric if self.metric_id else None, self.local_unit)

    @property
    def baseline_shown(self) -> str:
        measure = self.measure or UNITLESS
        return measure.format(measure.figure(self.baseline_value, self.baseline_numerator, self.baseline_denominator))


class PlannedValue(models.Model):
    ambition = models.ForeignKey(MetricAmbition, on_delete=models.CASCADE, related_name="planned_values")
    period = models.CharField(max_length=60)
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    denominator = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["ambition", "order"]
        constraints = [models.UniqueConstraint(fields=["ambition", "period"], name="one_value_per_period")]
