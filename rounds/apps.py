from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "rounds"

    def ready(self):
        # Registers the receivers that give a round a new config_version when its configuration
        # changes (a reload or an admin edit), so no cached copy outlives it.
        from . import config  # noqa: F401
