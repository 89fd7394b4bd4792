from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"

    def ready(self):
        # Registers the object-permission rules, the security audit receivers and the
        # receivers that give a round a new config_version when its configuration changes.
        from . import permissions, round_config, security  # noqa: F401
