"""Optional single sign-on: an identity provider's verified email signs in an existing account only."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def backend(settings):
    settings.OIDC_RP_CLIENT_ID = "bcf-portal"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://sso.example.org/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://sso.example.org/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://sso.example.org/userinfo"
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_CREATE_USER = False
    from accounts.oidc import EmailOIDCBackend

    return EmailOIDCBackend()


def test_a_verified_email_finds_the_existing_account_whatever_its_case(backend):
    user = UserFactory(email="Amy.Jones@council.gov.uk")
    found = backend.filter_users_by_claims({"email": "amy.jones@COUNCIL.gov.uk", "email_verified": True})
    assert list(found) == [user]


def test_an_unverified_or_missing_email_finds_no_one(backend):
    UserFactory(email="amy@example.org")
    assert not backend.filter_users_by_claims({"email": "amy@example.org", "email_verified": False}).exists()
    assert not backend.filter_users_by_claims({"sub": "123"}).exists()


def test_an_unknown_email_creates_no_account(backend, django_user_model):
    before = django_user_model.objects.count()
    # No identity provider here: the claims stand in for its userinfo answer.
    backend.get_userinfo = lambda access_token, id_token, payload: payload
    assert backend.get_or_create_user("token", "id-token", {"email": "new@example.org"}) is None
    assert django_user_model.objects.count() == before


def test_a_deactivated_account_is_not_signed_in(backend):
    UserFactory(email="gone@example.org", is_active=False)
    assert not backend.filter_users_by_claims({"email": "gone@example.org", "email_verified": True}).exists()
