from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "capacity"
    verbose_name = "Capacity and demand"

    def ready(self):
        # The capacity and demand section is completed only once every service type has its figures
        # for every period.
        from plans.services import register_section_rules
        from rounds.models import Section

        from .selectors import capacity_problems

        register_section_rules(Section.Table.CAPACITY_DEMAND, capacity_problems)
