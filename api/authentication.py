"""How the API knows who is calling: a personal token in "Authorization: Bearer <key>", nothing else.

A signed-in browser session is not accepted (docs/api.md, Tokens): every call then names a token,
which its owner can revoke and the audit log can name, and no page can be made to call the API
with a user's cookie (no CSRF surface).
"""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .tokens import note_token_used, token_for_key

KEYWORD = b"bearer"
# A real key is "bcf_" and 43 characters; anything much longer is not one, and is not hashed.
MAX_KEY_LENGTH = 200


class TokenAuthentication(BaseAuthentication):
    """Sets (user, token) for a live token; answers 401 for an unknown, revoked or expired token,
    or one whose user can no longer sign in. Without the header, DRF answers 401 (not authenticated)."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_KEY_LENGTH:
            raise exceptions.AuthenticationFailed("Send one token: Authorization: Bearer <token>.")
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        # Kept for the audit log (api.audit), even when the token turns out not to be valid.
        request._request.api_token_prefix = key[:12]
        token = token_for_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed("That token is not valid: it is unknown, revoked or expired.")
        note_token_used(token)
        return (token.user, token)

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when no or a bad token is sent, as RFC 6750 asks.
        return 'Bearer realm="api"'
