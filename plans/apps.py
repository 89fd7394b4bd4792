from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self):
        # Registers the object-permission rules and the security audit receivers.
        from . import permissions, security  # noqa: F401
