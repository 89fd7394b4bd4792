"""Forgot your password?: no user enumeration, and a link that is absolute, single-use and expires."""

import re
import statistics
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https://bcf\.example\.org(/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://bcf.example.org"

    def _ask(address):
        client.logout()
        started = time.perf_counter()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("password_reset"), {"email": address}, follow=True)
        return response, time.perf_counter() - started

    return _ask


def _page(response) -> str:
    body = response.content.decode()
    return body[body.index("<main") : body.index("</main>")]


def test_known_and_unknown_emails_get_the_same_page_in_similar_time(ask):
    UserFactory(email="known@example.org")
    ask("warm-up@example.org")
    known, unknown = [], []
    for _ in range(5):
        mail.outbox.clear()
        response_known, took = ask("Known@Example.org")
        known.append(took)
        assert [m.to for m in mail.outbox] == [["known@example.org"]]
        mail.outbox.clear()
        response_unknown, took = ask("nobody@example.org")
        unknown.append(took)
        assert mail.outbox == []
    assert response_known.redirect_chain == response_unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert _page(response_known) == _page(response_unknown)
    assert abs(statistics.median(known) - statistics.median(unknown)) < 0.05
    # Both are in the audit log, as typed (normalised): the log shows attempts on addresses that do not exist.
    logged = set(
        SecurityEvent.objects.filter(action=SecurityEvent.Action.PASSWORD_RESET_REQUESTED).values_list(
            "username", flat=True
        )
    )
    assert {"known@example.org", "nobody@example.org"} <= logged


def test_the_link_is_absolute_and_works_once(ask, client):
    user = UserFactory(email="once@example.org")
    ask("once@example.org")
    path = LINK.search(mail.outbox[-1].body).group(1)
    page = client.get(path, follow=True)
    assert "Choose a new password" in page.content.decode()
    done = client.post(
        page.redirect_chain[-1][0], {"new_password1": "fresh-Passphrase-7", "new_password2": "fresh-Passphrase-7"}
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("fresh-Passphrase-7")
    again = client.get(path, follow=True)
    assert "This link does not work" in again.content.decode()


def test_the_link_expires(ask, client, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    UserFactory(email="slow@example.org")
    ask("slow@example.org")
    path = LINK.search(mail.outbox[-1].body).group(1)
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        page = client.get(path, follow=True)
    assert "This link does not work" in page.content.decode()


def test_sign_in_page_offers_forgot_your_password(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
