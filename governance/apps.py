from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self):
        # Any change to a plan's content voids its signatures: plans' services send the event.
        from plans.events import plan_content_changed

        from .services import void_signatures_after_edit

        plan_content_changed.connect(void_signatures_after_edit, dispatch_uid="governance-void-signatures")
