"""What a national admin has made public: a round's approved plans, published once and withdrawable."""

from django.conf import settings
from django.db import models

from rounds.models import PlanningRound


class Publication(models.Model):
    """A round published as open data: its approved plans' Part 1 PDFs and the round's open dataset."""

    round = models.OneToOneField(PlanningRound, on_delete=models.CASCADE, related_name="publication")
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self):
        return f"{self.round} (published)"
