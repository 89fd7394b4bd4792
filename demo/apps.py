from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data loader (load_demo): the top layer, since it builds rows of every app."""

    name = "demo"
