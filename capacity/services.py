"""Writes to a plan's capacity and demand figures, through plans.editing.plan_edit like every plan edit."""

from __future__ import annotations

from accounts.models import User
from plans import drafts
from plans import services as plan_services
from plans.editing import StaleEdit, plan_edit
from plans.models import Plan
from rounds.models import CapacityBlock, Section

from . import selectors
from .models import CapacityDemandFigure

Entered = dict[tuple[str, str], tuple[int | None, int | None]]


def form_key(block: CapacityBlock) -> str:
    """The autosave key of one block's form."""
    return f"capacity:{block.key}"


def save_block(*, user: User, plan: Plan, block: CapacityBlock, fingerprint: str, figures: Entered) -> bool:
    """Replace one block's figures with `figures` (every row and period of the block, None for blank).

    Refuses (StaleEdit, nothing written) if the block's stored figures are no longer those the user
    was shown (`fingerprint`). Returns whether anything changed; a change voids signatures
    (content_changed, sent by plan_edit) and starts the section or reopens it if now incomplete.
    """
    with plan_edit(user=user, plan=plan) as edit:
        keys = [row.key for row in block.rows]
        stored = {
            (f.row_key, f.period): f
            for f in CapacityDemandFigure.objects.select_for_update().filter(plan=edit.plan, row_key__in=keys)
        }
        current = {key: (f.demand, f.capacity) for key, f in stored.items()}
        if selectors.block_fingerprint(block, current) != fingerprint:
            raise StaleEdit()
        changed = _apply(edit.plan, stored, {k: v for k, v in figures.items() if k[0] in keys})
        if changed:
            edit.changed(f"capacity and demand figures changed ({block.label})")
            plan_services.touch_table_section(user=user, plan=edit.plan, table=Section.Table.CAPACITY_DEMAND)
        drafts.discard_draft(user=user, plan=edit.plan, form_key=form_key(block))
    return changed


def _apply(plan: Plan, stored: dict, figures: Entered) -> bool:
    """Write the differences between the stored rows and `figures`; a cell with neither figure has no row."""
    changed = False
    for key, (demand, capacity) in figures.items():
        row = stored.get(key)
        if demand is None and capacity is None:
            if row is not None:
                row.delete()
                changed = True
        elif row is None:
            CapacityDemandFigure.objects.create(
                plan=plan, row_key=key[0], period=key[1], demand=demand, capacity=capacity
            )
            changed = True
        elif (row.demand, row.capacity) != (demand, capacity):
            row.demand, row.capacity = demand, capacity
            row.save()
            changed = True
    return changed


def refresh_capacity_progress(*, user: User, plan: Plan, start: bool = True) -> None:
    """After an import: the section starts, or leaves Completed if its rule no longer holds."""
    plan_services.touch_table_section(user=user, plan=plan, table=Section.Table.CAPACITY_DEMAND, start=start)


def apply_imported_capacity(*, plan: Plan, figures: Entered) -> bool:
    """Apply the capacity and demand sheet of an imported Part 2 workbook: the whole table's figures.

    Called by finance's import inside its plans.editing.plan_edit (which holds the plan's lock, checked
    permission and sends content_changed); the figures are already validated against the round's table.
    `figures` holds every cell of the round's table (None for a blank one), so a cleared cell is removed.
    """
    stored = {(f.row_key, f.period): f for f in CapacityDemandFigure.objects.select_for_update().filter(plan=plan)}
    return _apply(plan, stored, figures)
