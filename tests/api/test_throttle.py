"""The rate limit: settings.API_RATE calls per token, then 429 with Retry-After; each token counts alone."""

import pytest
from django.test import override_settings

from api.tokens import issue_token
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


@override_settings(API_RATE="3/minute")
def test_the_call_after_the_limit_gets_429_with_retry_after(client, live_key):
    _, key = live_key
    assert [client.get(ME, **bearer(key)).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(ME, **bearer(key))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


@override_settings(API_RATE="2/minute")
def test_each_token_has_its_own_count(client, live_key, commissioner):
    _, first = live_key
    _, second = issue_token(user=commissioner, name="Second")
    for _ in range(2):
        client.get(ME, **bearer(first))
    assert client.get(ME, **bearer(first)).status_code == 429
    assert client.get(ME, **bearer(second)).status_code == 200


@override_settings(API_RATE="1/minute")
def test_refused_calls_are_not_counted_against_a_token(client, live_key):
    _, key = live_key
    for _ in range(5):
        assert client.get(ME, **bearer("bcf_wrong")).status_code == 401
    assert client.get(ME, **bearer(key)).status_code == 200
