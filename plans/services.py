"""Writes to a plan's Part 1 content. Every function checks that the user may edit the plan."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from . import selectors
from .models import Plan, Section, SectionProgress, User


def require_edit(*, user: User, plan: Plan) -> None:
    """Raise PermissionDenied unless the user may edit this plan now."""
    if not selectors.can_edit_plan(user, plan):
        raise PermissionDenied("You cannot change this plan.")


@transaction.atomic
def set_section_status(*, user: User, plan: Plan, section: Section, status: str) -> SectionProgress:
    """Record a task-list status (not started / in progress / completed) for one section."""
    require_edit(user=user, plan=plan)
    progress, _ = SectionProgress.objects.update_or_create(
        plan=plan, section=section, defaults={"status": status, "updated_by": user}
    )
    return progress
