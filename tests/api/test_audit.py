"""Every API call is one SecurityEvent (API call): success, 401, 404 and 429, with token prefix, method,
path and status; the audit log page lists them and its filter finds them."""

import pytest
from django.test import override_settings

from accounts.models import SecurityEvent
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"
API_CALL = SecurityEvent.Action.API_CALL


def only_new_event(before: int) -> SecurityEvent:
    events = SecurityEvent.objects.order_by("pk")[before:]
    assert len(events) == 1, [(e.action, e.detail) for e in events]
    return events[0]


def test_a_successful_call_is_one_event_naming_the_token_and_user(client, live_key, commissioner):
    token, key = live_key
    before = SecurityEvent.objects.count()
    client.get(ME + "?x=1", **bearer(key))
    event = only_new_event(before)
    assert event.action == API_CALL and event.user == commissioner
    assert event.detail == {"token": token.prefix, "method": "GET", "path": ME + "?x=1", "status": 200}
    assert key not in str(event.detail)


def test_a_refused_token_is_recorded_with_its_prefix(client, live_key):
    token, key = live_key
    before = SecurityEvent.objects.count()
    client.get(ME, **bearer(key[:-2] + "xx"))
    event = only_new_event(before)
    assert event.action == API_CALL and event.user is None
    assert event.detail["status"] == 401 and event.detail["token"] == token.prefix


def test_an_unknown_api_path_is_recorded(client, live_key):
    _, key = live_key
    before = SecurityEvent.objects.count()
    assert client.get("/api/v1/no-such-thing/", **bearer(key)).status_code == 404
    event = only_new_event(before)
    assert event.action == API_CALL and event.detail["status"] == 404


def test_a_refusal_by_the_api_is_one_event_not_two(client, live_key):
    _, key = live_key
    before = SecurityEvent.objects.count()
    # A POST to a read-only endpoint: 405, and still one row.
    client.post(ME, **bearer(key))
    assert only_new_event(before).detail["status"] == 405


@override_settings(API_RATE="1/minute")
def test_a_throttled_call_is_recorded(client, live_key):
    _, key = live_key
    client.get(ME, **bearer(key))
    before = SecurityEvent.objects.count()
    assert client.get(ME, **bearer(key)).status_code == 429
    assert only_new_event(before).detail["status"] == 429


def test_pages_outside_the_api_are_not_recorded_as_api_calls(client, commissioner):
    client.force_login(commissioner)
    client.get("/account/")
    assert not SecurityEvent.objects.filter(action=API_CALL).exists()


def test_the_audit_log_lists_and_filters_api_calls(client, live_key, national_admin):
    token, key = live_key
    client.get(ME, **bearer(key))
    client.force_login(national_admin)
    response = client.get("/audit/", {"action": API_CALL})
    page = response.content.decode()
    assert response.status_code == 200
    assert "API call" in page and token.prefix in page and "status: 200" in page
    assert "Signed in" not in page.split("<tbody")[1]
