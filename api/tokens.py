"""Issuing and checking personal API tokens. The token itself is shown once; only its hash is kept."""

import datetime
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import allowed
from rounds.models import Region

from .models import ApiToken
from .permissions import regions_user_may_read

TOKEN_PREFIX = "bcf_"
DEFAULT_LIFETIME = datetime.timedelta(days=90)
MAX_LIFETIME = datetime.timedelta(days=366)
# The expiry choices the token page offers, in days.
LIFETIME_CHOICES_DAYS = (30, 90, 365)
# last_used_at is a guide for its owner, not an audit (the audit log has every call): writing it at
# most once a minute keeps a busy token from turning every read into a write.
LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(
    *,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.NATIONAL,
    region: Region | None = None,
    lifetime: datetime.timedelta = DEFAULT_LIFETIME,
) -> tuple[ApiToken, str]:
    """A new token for `user` and its key, which is never stored and cannot be shown again.

    Refuses (ValidationError) a user without a role, and a region the user may not read.
    """
    if not allowed(user, "api.hold_token"):
        raise ValidationError("You need a role in the portal to create an API token.", code="no_role")
    if scope not in ApiToken.Scope.values:
        raise ValidationError("Choose what the token may read.", code="scope")
    if scope == ApiToken.Scope.REGION:
        if region is None:
            raise ValidationError("Choose the region the token may read.", code="region")
        if not regions_user_may_read(user).filter(pk=region.pk).exists():
            raise ValidationError("You can only create a token for a region whose plans you may read.", code="region")
    if lifetime <= datetime.timedelta(0):
        raise ValidationError("Choose when the token expires.", code="lifetime")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:12],
        key_hash=hash_key(key),
        scope=scope,
        region=region if scope == ApiToken.Scope.REGION else None,
        expires_at=timezone.now() + min(lifetime, MAX_LIFETIME),
    )
    return token, key


def token_for_key(key: str) -> ApiToken | None:
    """The live token with this key: None if unknown, revoked or expired, or its user is inactive."""
    token = ApiToken.objects.select_related("user", "region").filter(key_hash=hash_key(key)).first()
    if token is None or token.revoked_at or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token


def note_token_used(token: ApiToken) -> None:
    """Record that the token was just used, writing at most once a LAST_USED_GRANULARITY per token."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_GRANULARITY:
        return
    # Conditional, so concurrent calls within the minute make one write between them, not one each.
    stale = models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def revoke_token(*, token: ApiToken, by: User | None = None) -> None:
    """Revoke the token for good. `by`, when given, must be its owner (the pages pass the signed-in user)."""
    if by is not None and not allowed(by, "api.manage_token", token):
        raise ValidationError("You can only revoke your own tokens.", code="not_owner")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
