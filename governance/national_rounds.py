"""Setting up a planning round, for national administrators: open or close it, set its deadlines, create its plans.

Writes only; each checks the user is a national administrator. The areas of a round are the areas its
published allocations name (imported with rounds.reference_import), so a plan is created for each
area that has something to pool and no plan for an area the round does not fund.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from accounts.permissions import is_national_admin
from plans.models import Plan
from rounds import config
from rounds.models import HwbArea, PlanningRound


def _require_national_admin(user: User) -> None:
    if not is_national_admin(user):
        raise PermissionDenied("Only national administrators can set up planning rounds.")


def _locked(planning_round: PlanningRound) -> PlanningRound:
    return PlanningRound.objects.select_for_update().get(pk=planning_round.pk)


@transaction.atomic
def set_round_open(*, user: User, planning_round: PlanningRound, is_open: bool) -> PlanningRound:
    _require_national_admin(user)
    locked = _locked(planning_round)
    locked.is_open = is_open
    locked.save(update_fields=["is_open"])
    return locked


@transaction.atomic
def set_deadlines(
    *,
    user: User,
    planning_round: PlanningRound,
    draft_deadline: datetime.datetime | None,
    final_deadline: datetime.datetime,
) -> PlanningRound:
    _require_national_admin(user)
    if draft_deadline is not None and draft_deadline > final_deadline:
        raise ValidationError({"draft_date": "The draft deadline must be on or before the final deadline"})
    locked = _locked(planning_round)
    locked.draft_deadline, locked.final_deadline = draft_deadline, final_deadline
    locked.save(update_fields=["draft_deadline", "final_deadline"])
    # Rounds are ordered by final deadline, and organisations are valid for a range of rounds: every
    # round's cached organisations may have changed.
    config.bump_all_config_versions()
    return locked


def areas_of_round(planning_round: PlanningRound):
    return HwbArea.objects.filter(allocations__round=planning_round).distinct().order_by("name")


@dataclass(frozen=True)
class PlansCreated:
    created: list[HwbArea]
    skipped: list[HwbArea]  # areas that already had a plan in the round


@transaction.atomic
def create_plans_for_round(*, user: User, planning_round: PlanningRound) -> PlansCreated:
    """A draft plan for every area of the round that has none; run again, it creates nothing and lists them all."""
    _require_national_admin(user)
    locked = _locked(planning_round)  # two admins pressing at once create each plan once
    areas = list(areas_of_round(locked))
    if not areas:
        raise ValidationError(
            "The round has no allocations yet, so it names no areas. Import the round's allocations first."
        )
    have = set(Plan.objects.filter(round=locked).values_list("hwb_area_id", flat=True))
    created = [a for a in areas if a.pk not in have]
    Plan.objects.bulk_create([Plan(round=locked, hwb_area=area) for area in created])
    return PlansCreated(created=created, skipped=[a for a in areas if a.pk in have])
