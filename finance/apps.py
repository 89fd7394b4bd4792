from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"

    def ready(self):
        # The income and expenditure sections are completed only while the round's money rules hold.
        from plans.services import register_section_rules

        from .selectors import SECTION_RULES, section_problems

        for table in SECTION_RULES:
            register_section_rules(table, lambda plan, table=table: section_problems(plan, table))
