from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "schemes"

    def ready(self):
        # The schemes section's history page (plans.selectors.section_history) shows scheme changes.
        from plans.selectors import register_table_history
        from rounds.models import Section

        from .models import Scheme

        register_table_history(Section.Table.SCHEMES, "scheme", Scheme)
