"""Celery task for accounts: sending one email, with retries, outside the request that asked for it."""

from celery import shared_task

from . import email


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    max_retries=5,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
)
def send_email(self, kind: str, address: str, personalisation: dict) -> None:
    """Send one message (accounts.email.MESSAGES[kind]); a failure (SMTP or Notify down) is retried with back-off."""
    email.deliver(kind, address, personalisation)
