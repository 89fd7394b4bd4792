from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self):
        # Registers the object-permission rules about plans.
        from . import permissions  # noqa: F401
