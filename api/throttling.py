"""The rate limit: each token may make settings.API_RATE calls (e.g. "600/hour"), counted in Django's cache."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Counts calls per token, not per user or address: two tokens of one analyst have a limit each,
    and one leaked token cannot use up its owner's other tokens. Over the limit DRF answers 429 with Retry-After."""

    scope = "api_token"

    def get_rate(self):
        # Read from settings on each request (DRF's THROTTLE_RATES is fixed at import), so a deployment's
        # API_RATE and a test's override_settings both apply.
        return settings.API_RATE

    def get_cache_key(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return None  # not authenticated: refused with 401 before any throttle counts
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
