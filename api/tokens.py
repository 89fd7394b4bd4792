"""Issuing and checking personal API tokens. The token itself is shown once; only its hash is kept."""

import datetime
import hashlib
import secrets

from django.utils import timezone

from accounts.models import User
from rounds.models import Region

from .models import ApiToken

TOKEN_PREFIX = "bcf_"
DEFAULT_LIFETIME = datetime.timedelta(days=90)
MAX_LIFETIME = datetime.timedelta(days=366)


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
    """A new token for `user` and its key, which is never stored and cannot be shown again."""
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


def revoke_token(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
