from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Registers the account rules and the receivers that audit sign-ins, failures and lockouts.
        from . import permissions, security  # noqa: F401
