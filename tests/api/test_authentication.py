"""TokenAuthentication: a live bearer token is the only way in; anything else is 401 with WWW-Authenticate."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from api.models import ApiToken
from api.tokens import revoke_token
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_live_token_reads_its_summary_without_the_email(client, live_key, commissioner):
    token, key = live_key
    response = client.get(ME, **bearer(key))
    assert response.status_code == 200
    body = response.json()
    assert body["token"]["prefix"] == token.prefix and body["token"]["scope"] == "national"
    assert body["roles"] == [
        {"role": "commissioner", "hwb_area": commissioner.memberships.get().hwb_area.ons_code, "region": None}
    ]
    assert commissioner.email not in response.content.decode()
    assert commissioner.full_name not in response.content.decode()


def test_a_token_call_starts_no_session(client, live_key):
    _, key = live_key
    for _ in range(3):
        response = client.get(ME, **bearer(key))
        assert response.status_code == 200
        assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


def test_using_a_token_notes_when_it_was_last_used(client, live_key):
    token, key = live_key
    assert token.last_used_at is None
    client.get(ME, **bearer(key))
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_no_token_gets_401(client):
    assert_401(client.get(ME))


def test_an_unknown_token_gets_401(client, live_key):
    assert_401(client.get(ME, **bearer("bcf_not-a-real-token")))
    assert_401(client.get(ME, HTTP_AUTHORIZATION="Bearer"))
    assert_401(client.get(ME, HTTP_AUTHORIZATION="Bearer two parts"))


def test_a_revoked_token_gets_401(client, live_key, commissioner):
    token, key = live_key
    assert client.get(ME, **bearer(key)).status_code == 200
    revoke_token(token=token, by=commissioner)
    assert_401(client.get(ME, **bearer(key)))


def test_an_expired_token_gets_401(client, live_key):
    token, key = live_key
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert_401(client.get(ME, **bearer(key)))


def test_the_token_of_a_deactivated_user_gets_401(client, live_key, commissioner):
    _, key = live_key
    commissioner.is_active = False
    commissioner.save()
    assert_401(client.get(ME, **bearer(key)))


def test_a_signed_in_session_is_not_accepted(client, commissioner):
    client.force_login(commissioner)
    assert_401(client.get(ME))


def test_other_authorization_schemes_are_not_accepted(client, commissioner):
    import base64

    basic = base64.b64encode(f"{commissioner.email}:whatever".encode()).decode()
    assert_401(client.get(ME, HTTP_AUTHORIZATION=f"Basic {basic}"))
