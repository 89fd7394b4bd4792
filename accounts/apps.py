from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Registers the account rules, the receivers that audit sign-ins, failures and lockouts, and the
        # check that tells `migrate` on a database from before the app split what to do first, and the
        # receivers that expire the cached signed-in user when their row or memberships change.
        from . import app_split, backends, checks, permissions, security  # noqa: F401
