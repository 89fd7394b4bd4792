"""The one way every app changes a plan's content: `plan_edit`.

It locks the plan row (select_for_update), checks permission on the locked row (so a submission
cannot slip in between), compares the versions the user loaded with the stored ones, saves each row
with its history author, and, if anything was written, sends plans.events.content_changed once, in
the same transaction. A save over someone else's newer save raises StaleEdit and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from simple_history.models import HistoricalRecords

from accounts.models import User

from . import events, selectors
from .models import Plan


@dataclass
class FieldConflict:
    """One value two people changed at once, named in the domain's terms (a form maps it to its field).

    `key` says which row (a question key, a condition question id; empty for a table row's own
    attribute) and `attribute` which of its values.
    """

    key: str
    attribute: str
    label: str
    theirs: object
    yours: object
    by: str = ""


class StaleEdit(Exception):
    """Someone saved this after the user opened it; nothing was written."""

    def __init__(self, conflicts: list[FieldConflict] | None = None):
        super().__init__(self.message_for("row"))
        self.conflicts = conflicts or []

    @staticmethod
    def message_for(noun: str) -> str:
        return (
            f"Someone else changed this {noun} after you opened it. Your changes have not been saved: "
            "check their changes below, then make yours again."
        )


def require_edit(*, user: User, plan: Plan) -> None:
    """Raise PermissionDenied unless the user may edit this plan now."""
    if not selectors.can_edit_plan(user, plan):
        raise PermissionDenied("You cannot change this plan.")


@contextmanager
def history_user(user: User) -> Iterator[None]:
    """Record `user` as the author of every history row written inside, also outside a web request."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


@dataclass
class PlanEdit:
    """The locked plan and what has been written to it inside one `plan_edit`."""

    plan: Plan
    user: User
    causes: list[str] = field(default_factory=list)

    def row(self, model: type[models.Model], pk: int, *, version: int | None = None, **filters):
        """Lock one row of this plan; Http404 for another plan's, StaleEdit if it moved past `version`."""
        row = model.objects.select_for_update().filter(pk=pk, plan=self.plan, **filters).first()
        if row is None:
            raise Http404("No such row")
        if version is not None and row.version != version:
            raise StaleEdit()
        return row

    def save(self, instance: models.Model, *, cause: str = "") -> None:
        """Save a row of the plan's content; a changed row (with a `version`) gets the next version."""
        verb = "added" if instance.pk is None else "changed"
        if verb == "changed" and hasattr(instance, "version"):
            instance.version += 1
        instance.save()
        self.causes.append(cause or f"{instance._meta.verbose_name} {verb}")

    def delete(self, instance: models.Model, *, cause: str = "") -> None:
        instance.delete()
        self.causes.append(cause or f"{instance._meta.verbose_name} deleted")

    def changed(self, cause: str) -> None:
        """Something was written without `save` (a bulk write): still content, still an event."""
        self.causes.append(cause)


@contextmanager
def plan_edit(*, user: User, plan: Plan) -> Iterator[PlanEdit]:
    """Lock the plan, check the user may edit it, and send one content_changed if anything was written."""
    with transaction.atomic(), history_user(user):
        locked = Plan.objects.select_for_update(of=("self",)).select_related("round", "hwb_area").get(pk=plan.pk)
        require_edit(user=user, plan=locked)
        edit = PlanEdit(plan=locked, user=user)
        yield edit
        if edit.causes:
            events.content_changed(plan=locked, actor=user, cause=", ".join(dict.fromkeys(edit.causes)))
