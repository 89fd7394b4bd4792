"""Sign-in hardening: lockout after repeated failures, audit of sign-in events, session expiry, CSP."""

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher

from accounts.models import SecurityEvent
from tests.factories import DEMO_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGN_IN = "/sign-in/"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def sign_in(client, email, password, ip="10.0.0.1"):
    return client.post(SIGN_IN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_a_correct_password_signs_in_and_is_recorded(client):
    user = UserFactory(email="amy@example.org")
    response = sign_in(client, "amy@example.org", DEMO_PASSWORD)
    assert response.status_code == 302
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.SIGNED_IN)
    assert event.user == user and event.ip_address == "10.0.0.1"


def test_a_wrong_password_is_refused_and_recorded_without_the_password(client):
    UserFactory(email="amy@example.org")
    response = sign_in(client, "amy@example.org", "not-the-password-123")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()
    event = SecurityEvent.objects.get(action=SecurityEvent.Action.SIGN_IN_FAILED)
    assert event.username == "amy@example.org" and event.user is None
    assert "not-the-password-123" not in str(event.detail)


def test_five_failures_lock_the_account_for_that_address_even_with_the_right_password(client):
    UserFactory(email="amy@example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "amy@example.org", "wrong-password-1").status_code == 200
    locked = sign_in(client, "amy@example.org", "wrong-password-1")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "You cannot sign in at the moment" in body and "govuk-heading-l" in body

    # The right password no longer helps from that address...
    again = sign_in(client, "amy@example.org", DEMO_PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.LOCKED_OUT, username="amy@example.org").exists()

    # ...but the lockout is keyed by username and address: the user elsewhere is not locked out.
    elsewhere = sign_in(client, "amy@example.org", DEMO_PASSWORD, ip="10.9.9.9")
    assert elsewhere.status_code == 302


def test_lockout_lasts_thirty_minutes():
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_passwords_are_hashed_with_argon2_in_production_settings():
    assert settings.AUTH_PASSWORD_VALIDATORS  # and the first hasher (test settings swap it for speed):
    from bcf_portal import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_an_argon2_hash_verifies(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory(email="hash@example.org")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(DEMO_PASSWORD)


def test_sessions_expire_when_the_browser_closes(client):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True
    UserFactory(email="amy@example.org")
    response = sign_in(client, "amy@example.org", DEMO_PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value and not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert cookie["httponly"]


def test_each_request_pushes_the_idle_expiry_back_at_most_every_five_minutes(client):
    from django.contrib.sessions.models import Session

    from accounts.security import RENEWED_KEY

    client.force_login(MembershipFactory().user)
    key = client.session.session_key
    first = Session.objects.get(pk=key).expire_date
    client.get("/plans/")
    assert Session.objects.get(pk=key).expire_date == first  # renewed at sign-in: no write yet

    # Five minutes later the next request renews the expiry.
    session = client.session
    session[RENEWED_KEY] -= 301
    session.save()
    Session.objects.filter(pk=key).update(expire_date=first - datetime.timedelta(minutes=5))
    client.get("/plans/")
    assert Session.objects.get(pk=key).expire_date > first - datetime.timedelta(minutes=5)


def test_a_session_idle_for_longer_than_its_age_is_signed_out(client, settings):
    # Sessions are read through the cache and kept in the database (cached_db): both must let it go.
    client.force_login(MembershipFactory().user)
    assert client.get("/plans/").status_code == 200
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with time_machine.travel(later, tick=False):
        response = client.get("/plans/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_sign_out_is_recorded(client):
    user = MembershipFactory().user
    client.force_login(user)
    assert client.post("/sign-out/").status_code == 302
    assert SecurityEvent.objects.filter(action=SecurityEvent.Action.SIGNED_OUT, user=user).exists()


# --- Content-Security-Policy and framing ------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_csp_without_unsafe_inline_scripts_and_the_inline_script_has_the_nonce(client):
    response = client.get(SIGN_IN)
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    nonce = next(s for s in policy["script-src"] if s.startswith("'nonce-"))[len("'nonce-") : -1]
    body = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body)
    assert inline, "base.html has one inline script"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert response["X-Frame-Options"] == "DENY"


def test_each_response_gets_a_fresh_nonce(client):
    first = _csp(client.get(SIGN_IN))["script-src"]
    second = _csp(client.get(SIGN_IN))["script-src"]
    assert first != second


def test_no_template_has_an_inline_script_without_a_nonce_or_an_inline_event_handler():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        if "pdf" in path.parts:  # rendered by WeasyPrint, never served to a browser
            continue
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            if "nonce=" not in match.group(1):
                problems.append(f"{path.relative_to(TEMPLATES)}: inline <script> without the nonce")
        for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            problems.append(f"{path.relative_to(TEMPLATES)}: inline event handler {match.group(0).strip()}")
        if re.search(r"href\s*=\s*[\"']\s*javascript:", text, re.I):
            problems.append(f"{path.relative_to(TEMPLATES)}: javascript: link")
    assert not problems, "\n".join(problems)


def test_behind_a_proxy_the_address_the_proxy_saw_is_used_and_a_forged_header_is_not(client, settings):
    from django.test import RequestFactory

    from accounts.security import client_ip

    forged = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(forged) == "10.0.0.2"  # no proxy configured: the header is ignored
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(forged) == "203.0.113.9"  # what our proxy appended, not what the client wrote


def test_lockout_behind_a_proxy_is_per_client_not_per_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(email="amy@example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(SIGN_IN, {"username": "amy@example.org", "password": "wrong-password-1"},
                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")  # fmt: skip
    other_client = client.post(SIGN_IN, {"username": "amy@example.org", "password": DEMO_PASSWORD},
                               REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8")  # fmt: skip
    assert other_client.status_code == 302


# --- One email, whatever its case or surrounding spaces ----------------------------------------

EMAIL_SPELLINGS = [
    "viewer@southampton.demo",
    "Viewer@southampton.demo",
    "VIEWER@SOUTHAMPTON.DEMO",
    " viewer@southampton.demo",
]


def test_lockout_is_not_bypassed_by_the_emails_case(client):
    UserFactory(email="viewer@southampton.demo")
    # Five failures spread over four spellings of the address lock the account from this address...
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, EMAIL_SPELLINGS[i % len(EMAIL_SPELLINGS)], "wrong-password-1").status_code == 200
    assert sign_in(client, "vIeWeR@Southampton.Demo ", "wrong-password-1").status_code == 429

    # ...and no spelling of it signs in with the right password until the lockout ends.
    for spelling in EMAIL_SPELLINGS:
        assert sign_in(client, spelling, DEMO_PASSWORD).status_code == 429, spelling
        assert "_auth_user_id" not in client.session
    locked = SecurityEvent.objects.filter(action=SecurityEvent.Action.LOCKED_OUT).values_list("username", flat=True)
    assert set(locked) == {"viewer@southampton.demo"}
    failed = SecurityEvent.objects.filter(action=SecurityEvent.Action.SIGN_IN_FAILED).values_list("username", flat=True)
    assert set(failed) == {"viewer@southampton.demo"}  # the audit log can be filtered by one address


def test_any_spelling_of_the_email_signs_in_when_not_locked_out(client):
    user = UserFactory(email="Viewer@Southampton.demo ")
    assert user.email == "viewer@southampton.demo"  # stored trimmed and in lower case
    for spelling in EMAIL_SPELLINGS:
        client.logout()
        assert sign_in(client, spelling, DEMO_PASSWORD).status_code == 302, spelling


def test_emails_are_unique_whatever_their_case(django_user_model):
    from django.db import IntegrityError, transaction

    UserFactory(email="viewer@southampton.demo")
    with pytest.raises(IntegrityError), transaction.atomic():
        django_user_model.objects.create_user(" VIEWER@southampton.demo", DEMO_PASSWORD)
    # The database itself refuses an address that differs only in case, however it is written.
    other = UserFactory(email="someone@southampton.demo")
    with pytest.raises(IntegrityError), transaction.atomic():
        django_user_model.objects.filter(pk=other.pk).update(email="Viewer@Southampton.demo")


NEW_PASSWORD = {
    "password1": "tidal-orchard-vessel-4471",
    "password2": "tidal-orchard-vessel-4471",
    "memberships-TOTAL_FORMS": "0",  # the memberships inline, left empty
    "memberships-INITIAL_FORMS": "0",
}


def test_adding_a_user_whose_email_differs_only_in_case_is_refused_in_the_admin(client):
    UserFactory(email="viewer@southampton.demo")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {"email": " Viewer@Southampton.DEMO", "full_name": "Second Viewer", **NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "User with this Email address already exists." in response.content.decode()
    assert not UserFactory._meta.model.objects.filter(full_name="Second Viewer").exists()

    created = client.post(
        "/admin/accounts/user/add/",
        {"email": " New.Person@Southampton.DEMO", "full_name": "New Person", **NEW_PASSWORD},
    )
    assert created.status_code == 302
    assert UserFactory._meta.model.objects.get(full_name="New Person").email == "new.person@southampton.demo"
