"""Schemes: the services and changes a plan funds, described with the round's code lists."""

from django.db import models
from simple_history.models import HistoricalRecords

from plans.models import Plan
from rounds.models import CodeListEntry


class Scheme(models.Model):
    markdown_fields = ("description",)  # kept within plans.markdown's limits by plans.services.save_row

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="schemes")
    reference = models.CharField(max_length=20)
    name = models.CharField(max_length=250)
    scheme_type = models.ForeignKey(
        CodeListEntry, on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": "scheme_type"}
    )
    sub_type = models.ForeignKey(
        CodeListEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"list": "scheme_subtype"},
    )
    description = models.TextField(blank=True)
    lead_commissioner = models.ForeignKey(
        CodeListEntry, on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": "commissioner"}
    )
    provider = models.CharField(max_length=250, blank=True)
    area_of_spend = models.ForeignKey(
        CodeListEntry, on_delete=models.PROTECT, related_name="+", limit_choices_to={"list": "area_of_spend"}
    )
    is_new = models.BooleanField("new scheme", default=False)
    order = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order", "reference"]
        constraints = [models.UniqueConstraint(fields=["plan", "reference"], name="unique_scheme_reference")]

    def __str__(self):
        return f"{self.reference} {self.name}"
