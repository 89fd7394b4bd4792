"""Optional single sign-on through OpenID Connect (mozilla-django-oidc), on when OIDC_RP_CLIENT_ID is set.

A verified email from the identity provider signs in the portal account with that email. No
account is created: an administrator grants access (and memberships) first, so SSO never widens
who can see a plan.
"""

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class EmailOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        email = self.UserModel.normalize_username(claims.get("email") or "")
        if not email or claims.get("email_verified") is False:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)
