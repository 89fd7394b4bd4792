"""Email in production: every message kind through GOV.UK Notify's client (against a fake Notify on
127.0.0.1, no network), absolute links, sending that never breaks a page, and the SITE_URL start-up check."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from django.core import mail
from django.test import override_settings

from accounts import checks, email

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"bcf_test-{SERVICE_ID}-{SECRET}"
TEMPLATES = {kind: str(uuid.uuid4()) for kind in email.MESSAGES}

# A personalisation for each kind, as its caller in the portal builds it.
SAMPLES = {
    "invitation": {
        "inviter": "Ann Lead",
        "role": "signatory",
        "scope": "Plymouth",
        "link": "/i/x/",
        "expires": "7 May",
    },
    "password_reset": {"link": "/password-reset/x/y/", "duration": "1 hour"},
    "ready_for_signoff": {"plan": "Plymouth plan", "link": "/p/"},
    "signatures_voided": {"plan": "Plymouth plan", "link": "/p/"},
    "submitted": {"plan": "Plymouth plan", "version": "2", "late": "", "link": "/p/"},
    "returned": {"plan": "Plymouth plan", "version": "3", "comment": "Fix the budget", "link": "/p/"},
    "decided": {"plan": "Plymouth plan", "outcome": "Approved", "link": "/p/"},
    "deadline_reminder": {"plan": "Plymouth plan", "deadline": "31 March 2027", "days": "7", "link": "/p/"},
    "signature_reminder": {"plan": "Plymouth plan", "slot": "Council", "days": "3", "link": "/p/"},
}


class FakeNotify(BaseHTTPRequestHandler):
    received: list = []
    status = 201

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append({"path": self.path, "auth": self.headers["Authorization"], "body": body})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        answer = {"id": str(uuid.uuid4())} if self.status == 201 else {"errors": [{"error": "Oops"}]}
        self.wfile.write(json.dumps(answer).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def notify(settings):
    FakeNotify.received = []
    FakeNotify.status = 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "accounts.notify.NotifyEmailBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.NOTIFY_TEMPLATE_IDS = TEMPLATES
    yield FakeNotify
    server.shutdown()
    server.server_close()


def test_the_samples_cover_every_message_kind():
    assert set(SAMPLES) == set(email.MESSAGES)


@pytest.mark.django_db
def test_each_message_kind_calls_notify_with_its_template_id_and_personalisation(
    notify, django_capture_on_commit_callbacks
):
    for kind, personalisation in SAMPLES.items():
        with django_capture_on_commit_callbacks(execute=True):
            email.send(kind, [f"{kind}@example.org"], personalisation)
    assert len(notify.received) == len(SAMPLES)
    for request, (kind, personalisation) in zip(notify.received, SAMPLES.items(), strict=True):
        assert request["path"] == "/v2/notifications/email"
        assert request["body"] == {
            "email_address": f"{kind}@example.org",
            "template_id": TEMPLATES[kind],
            "personalisation": personalisation,
        }
        token = request["auth"].removeprefix("Bearer ")
        assert jwt.decode(token, SECRET, algorithms=["HS256"])["iss"] == SERVICE_ID


@pytest.mark.django_db
def test_a_real_invitation_reaches_notify_with_an_absolute_link(
    notify, settings, client, django_capture_on_commit_callbacks
):
    from accounts import invitations
    from tests.factories import HwbAreaFactory, MembershipFactory

    settings.SITE_URL = "https://bcf.example.org"
    admin = MembershipFactory(role="national_admin", hwb_area=None).user
    area = HwbAreaFactory(name="Plymouth")
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invite(by=admin, email_address="new@plymouth.gov.uk", role="commissioner", hwb_area=area)
    (request,) = notify.received
    assert request["body"]["template_id"] == TEMPLATES["invitation"]
    personalisation = request["body"]["personalisation"]
    assert personalisation["scope"] == "Plymouth" and personalisation["role"] == "commissioner"
    assert personalisation["link"].startswith("https://bcf.example.org/invitation/")


@pytest.mark.django_db
def test_a_failing_notify_never_breaks_the_page_that_caused_the_email(
    notify, django_capture_on_commit_callbacks, caplog
):
    notify.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        email.send("ready_for_signoff", ["x@example.org"], SAMPLES["ready_for_signoff"])
    assert notify.received  # it was tried
    assert "Could not send ready_for_signoff email" in caplog.text


def test_the_send_email_task_retries_with_back_off():
    from accounts.tasks import send_email

    assert send_email.autoretry_for == (Exception,) and send_email.max_retries >= 3 and send_email.retry_backoff


def test_a_missing_placeholder_fails_in_the_caller_not_in_a_worker():
    with pytest.raises(KeyError):
        email.send("ready_for_signoff", ["x@example.org"], {"plan": "Plymouth plan"})


def test_console_and_smtp_get_the_rendered_text(settings, django_capture_on_commit_callbacks, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email.send("decided", ["x@example.org"], SAMPLES["decided"])
    assert mail.outbox[-1].subject == "Assurance outcome: Plymouth plan"
    assert "Outcome: Approved." in mail.outbox[-1].body


@pytest.mark.parametrize(
    "debug, backend, site_url, errors",
    [
        (False, "django.core.mail.backends.smtp.EmailBackend", "", ["accounts.E001"]),
        (False, "accounts.notify.NotifyEmailBackend", "", ["accounts.E001"]),
        (False, "django.core.mail.backends.smtp.EmailBackend", "https://bcf.example.org", []),
        (False, "django.core.mail.backends.dummy.EmailBackend", "", []),
        (True, "django.core.mail.backends.smtp.EmailBackend", "", []),
    ],
)
def test_production_refuses_to_start_without_site_url_when_email_is_on(debug, backend, site_url, errors):
    with override_settings(DEBUG=debug, EMAIL_BACKEND=backend, SITE_URL=site_url):
        assert [e.id for e in checks.site_url_set_for_email(None)] == errors
