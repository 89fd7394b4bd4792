"""The plan's domain events: services send them, visibly, when a plan's content changes.

These are not model-save signals. A service that changes content calls `content_changed` once,
inside its transaction; apps above plans that must react (governance voids signatures) connect
to `plan_content_changed` in their AppConfig.ready, and run in the same transaction.
"""

from django.dispatch import Signal

from accounts.models import User

from .models import Plan

# Sent with plan (the locked Plan), actor (User or None) and cause (plain words: "risk changed").
plan_content_changed = Signal()


def content_changed(*, plan: Plan, actor: User | None, cause: str) -> None:
    """Record on the plan's row when its content last changed, and tell whoever listens; call inside
    the change's transaction (with the plan locked).

    `updated_at` is moved here, the one place every kind of content change passes (an edit, an
    aligned group's shared text, an admin correction, a pre-fill): the API's `updated_since` and the
    finance pages' kept rows (finance.selectors) rely on it.
    """
    plan.save(update_fields=["updated_at"])
    plan_content_changed.send(sender=Plan, plan=plan, actor=actor, cause=cause)
