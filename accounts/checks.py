"""Start-up checks for accounts: emails carry absolute links, so production must say where the portal is."""

from django.conf import settings
from django.core.checks import Error, register

# Backends that send nothing anywhere: with them email is off, and SITE_URL is not needed.
EMAIL_OFF = {"django.core.mail.backends.dummy.EmailBackend", "django.core.mail.backends.locmem.EmailBackend"}


@register()
def site_url_set_for_email(app_configs, **kwargs):
    if settings.DEBUG or settings.EMAIL_BACKEND in EMAIL_OFF or settings.SITE_URL:
        return []
    return [
        Error(
            "SITE_URL is not set: emails would carry links that go nowhere.",
            hint="Set SITE_URL to the portal's address, e.g. https://bcf.example.org (README, Configuration).",
            id="accounts.E001",
        )
    ]
