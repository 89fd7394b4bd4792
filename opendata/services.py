"""Publishing a round's approved plans as open data, and withdrawing it: national administrators only.

Each change is recorded on the Publication (who, when) and in the security audit log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts import security
from accounts.models import SecurityEvent, User
from rounds.models import PlanningRound

from .models import Publication
from .permissions import can_publish_open_data
from .public_pdf import enqueue_public_pdfs
from .selectors import approved_plans


def _require_publisher(user: User) -> None:
    if not can_publish_open_data(user):
        raise PermissionDenied("Only national administrators can publish open data.")


def _locked_round(planning_round: PlanningRound) -> PlanningRound:
    # Two admins pressing at once publish (or withdraw) once.
    return PlanningRound.objects.select_for_update().get(pk=planning_round.pk)


@transaction.atomic
def publish_round(*, user: User, planning_round: PlanningRound, request=None) -> Publication:
    """Publish the round (again, after a withdrawal): its approved plans become public from now on."""
    _require_publisher(user)
    locked = _locked_round(planning_round)
    publication = Publication.objects.filter(round=locked).first()
    if publication is None:
        publication = Publication.objects.create(round=locked, published_by=user)
    elif publication.withdrawn_at is not None:
        publication.published_at, publication.published_by, publication.withdrawn_at = timezone.now(), user, None
        publication.save(update_fields=["published_at", "published_by", "withdrawn_at"])
    else:
        return publication  # already published: nothing changes
    # Render each plan's public Part 1 PDF now, so the first visitor does not wait for it.
    plan_ids = [published.plan.pk for published in approved_plans(locked)]
    transaction.on_commit(lambda: enqueue_public_pdfs(plan_ids), robust=True)
    security.record(
        SecurityEvent.Action.OPEN_DATA_PUBLISHED,
        request=request,
        user=user,
        detail={"round": locked.slug, "approved_plans": len(plan_ids)},
    )
    return publication


@transaction.atomic
def withdraw_round(*, user: User, planning_round: PlanningRound, request=None) -> Publication | None:
    """Take the round's open data down: its public pages, PDFs and datasets answer 404 from now on."""
    _require_publisher(user)
    locked = _locked_round(planning_round)
    publication = Publication.objects.filter(round=locked, withdrawn_at__isnull=True).first()
    if publication is None:
        return None
    publication.withdrawn_at = timezone.now()
    publication.save(update_fields=["withdrawn_at"])
    security.record(SecurityEvent.Action.OPEN_DATA_WITHDRAWN, request=request, user=user, detail={"round": locked.slug})
    return publication
