"""Every email the portal sends: one message kind each, sent by a Celery task once the change that caused it commits.

A kind is a subject and a body with named placeholders, filled from its personalisation. SMTP and the
console get the filled-in text; GOV.UK Notify (accounts.notify) gets the kind's template id and the
personalisation, so the same placeholders are written ((like_this)) in each Notify template.
Links are absolute (settings.SITE_URL): an email is read outside the portal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageKind:
    subject: str
    body: str

    def render(self, personalisation: dict[str, str]) -> tuple[str, str]:
        return self.subject.format(**personalisation), self.body.format(**personalisation)


MESSAGES: dict[str, MessageKind] = {
    "invitation": MessageKind(
        "You have been invited to the Better Care Fund plans service",
        "{inviter} has invited you to the Better Care Fund plans service as {role} for {scope}.\n\n"
        "Set your password and start at {link}\n\n"
        "The link works once and until {expires}. If you were not expecting this email, you can ignore it.\n",
    ),
    "password_reset": MessageKind(
        "Reset your password for the Better Care Fund plans service",
        "Someone asked to reset the password of your account on the Better Care Fund plans service.\n\n"
        "Choose a new password at {link}\n\n"
        "The link works once and for {duration}. If it was not you, ignore this email: "
        "your password has not changed.\n",
    ),
    "ready_for_signoff": MessageKind(
        "Ready for sign-off: {plan}",
        "The {plan} is ready for you to sign off.\n\nReview and sign it at {link}\n",
    ),
    "signatures_voided": MessageKind(
        "Your signature was removed: {plan}",
        "The {plan} was changed after you signed it, so your signature no longer applies and the plan is "
        "back in draft.\n\nYou will need to sign it again once it is ready: {link}\n",
    ),
    "submitted": MessageKind(
        "Submitted: {plan}",
        "Version {version} of the {plan} has been submitted to NHS England.{late}\n\n{link}\n",
    ),
    "returned": MessageKind(
        "Returned for changes: {plan}",
        "NHS England has returned the {plan} for changes. It is now version {version}, in draft.\n\n"
        "{comment}\n\n{link}\n",
    ),
    "decided": MessageKind(
        "Assurance outcome: {plan}",
        "NHS England has assured the {plan}. Outcome: {outcome}.\n\n"
        "See the outcome, any conditions and the decision letter at {link}\n",
    ),
    "deadline_reminder": MessageKind(
        "{days} day(s) to the deadline: {plan}",
        "The {plan} has not been submitted yet. The deadline is {deadline}, in {days} day(s).\n\n"
        "See what is left to do at {link}\n",
    ),
    "signature_reminder": MessageKind(
        "Waiting for your signature: {plan}",
        "The {plan} has been waiting for your sign-off as {slot} for {days} day(s).\n\nReview and sign it at {link}\n",
    ),
}


def absolute_url(path: str) -> str:
    """A link that works from an email: settings.SITE_URL followed by the portal's own path."""
    return settings.SITE_URL.rstrip("/") + path


def send(kind: str, recipients: list[str] | set[str], personalisation: dict) -> None:
    """Email each recipient (one message each, so no one sees the others' addresses) after the commit.

    Queued as one Celery task per recipient, with retries; a refused or rolled-back change sends nothing.
    """
    if kind not in MESSAGES:
        raise ValueError(f"Unknown email kind {kind!r}")
    values = {key: str(value) for key, value in personalisation.items()}
    MESSAGES[kind].render(values)  # a missing placeholder fails here, in the caller, not later in a worker
    for address in sorted({r for r in recipients if r}):
        transaction.on_commit(lambda address=address: _enqueue(kind, address, values))


def _enqueue(kind: str, address: str, personalisation: dict[str, str]) -> None:
    from .tasks import send_email

    try:
        send_email.delay(kind, address, personalisation)
    except Exception:
        # The change is committed; an email that cannot be queued (or, in-process, sent) must not turn
        # the page into an error. It is logged for the national team.
        logger.exception("Could not send %s email to %s", kind, address)


def deliver(kind: str, address: str, personalisation: dict[str, str]) -> None:
    """Send one message now through the configured backend (the Celery task calls this)."""
    subject, body = MESSAGES[kind].render(personalisation)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    # Read by the Notify backend; other backends send the text above.
    message.kind = kind
    message.personalisation = personalisation
    message.send(fail_silently=False)
