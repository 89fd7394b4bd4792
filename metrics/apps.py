from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"

    def ready(self):
        # The metrics section is completed only once every round metric has an ambition.
        from plans.services import register_section_rules
        from rounds.models import Section

        from .selectors import ambition_problems

        register_section_rules(Section.Table.METRICS, ambition_problems)
