"""Personal API tokens: created and revoked by their user, shown once, stored only as a hash."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from rounds.models import Region


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        NATIONAL = "national", "Read national data (everything your roles let you see)"
        REGION = "region", "Read one region's data"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. nightly Power BI refresh.")
    # The first characters of the token, shown in the list so its owner can tell tokens apart.
    prefix = models.CharField(max_length=12)
    # SHA-256 of the whole token: a token is long and random, so a fast hash is enough and lookups are exact.
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.NATIONAL)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="region_scope_names_a_region",
                condition=~models.Q(scope="region") | models.Q(region__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "Revoked"
        return "Active" if self.expires_at > timezone.now() else "Expired"

    @property
    def is_live(self) -> bool:
        return self.status == "Active"
