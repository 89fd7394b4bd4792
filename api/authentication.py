"""Bearer-token authentication for the API: `Authorization: Bearer <key>`, checked by api.tokens.

A minimal version: the tokens work adds the audit log and the rate limit around the same check.
"""

from rest_framework import authentication, exceptions

from .tokens import token_for_key


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # not ours: another scheme, or none (the permission check answers 401)
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as: Authorization: Bearer <token>.")
        token = token_for_key(header[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed("This token is unknown, revoked or expired.")
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
