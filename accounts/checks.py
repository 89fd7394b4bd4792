"""Start-up checks for accounts: emails carry absolute links, so production must say where the portal is."""

from django.conf import settings
from django.core.checks import Error, Warning, register

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


@register(deploy=True)
def shared_cache_for_sessions(app_configs, **kwargs):
    """Sessions are read through the cache: a per-process cache would let one web process keep a session
    another has ended (signed out, or ended for a password change) until it expires there."""
    if "LocMemCache" not in settings.CACHES["default"]["BACKEND"]:
        return []
    return [
        Warning(
            "The cache is per process (CACHE_URL is not set), and sessions, the API's rate limits and the"
            " rounds' configuration are kept in it.",
            hint="Set CACHE_URL to a Redis database every web process shares, e.g. redis://redis:6379/2"
            " (docker-compose.yml does). A single web process may ignore this warning.",
            id="accounts.W001",
        )
    ]
