"""A Django email backend that sends through GOV.UK Notify with its official client.

Notify sends from templates kept in the Notify service, so each message kind has its own template id
(settings.NOTIFY_TEMPLATE_IDS, from NOTIFY_TEMPLATE_<KIND>) and Notify gets the kind's personalisation
(accounts.email), not the rendered text.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.notifications import NotificationsAPIClient


class NotifyEmailBackend(BaseEmailBackend):
    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        if not settings.NOTIFY_API_KEY:
            raise ImproperlyConfigured("NOTIFY_API_KEY must be set to send email through GOV.UK Notify.")
        self.client = NotificationsAPIClient(settings.NOTIFY_API_KEY, base_url=settings.NOTIFY_BASE_URL)

    def send_messages(self, email_messages):
        sent = 0
        for message in email_messages:
            kind = getattr(message, "kind", None)
            template_id = settings.NOTIFY_TEMPLATE_IDS.get(kind or "")
            try:
                if not template_id:
                    raise ImproperlyConfigured(
                        f"No Notify template for email kind {kind!r}: set NOTIFY_TEMPLATE_{kind}."
                    )
                for address in message.recipients():
                    self.client.send_email_notification(
                        email_address=address, template_id=template_id, personalisation=message.personalisation
                    )
                sent += 1
            except Exception:
                if not self.fail_silently:
                    raise
        return sent
