"""Reads for capacity and demand: the plan's figures laid out on the round's table, with totals and gaps.

`capacity_tables` is the one place totals and gaps are worked out; the page, the snapshot (and so
the PDF) and the Part 2 workbook all show what it returns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from plans.models import Plan
from rounds.config import round_config
from rounds.models import CapacityBlock, CapacityDemand, CapacityRow

from .models import CapacityDemandFigure

# (row key, period) -> (demand, capacity); either may be None (not entered).
Figures = Mapping[tuple[str, str], tuple[int | None, int | None]]


def _sum(values: Iterable[int | None]) -> int | None:
    """The total of the figures entered; None when none are."""
    entered = [v for v in values if v is not None]
    return sum(entered) if entered else None


@dataclass(frozen=True)
class Cell:
    """Demand and capacity for one period (or a total), and the gap between them."""

    label: str
    demand: int | None
    capacity: int | None

    @property
    def gap(self) -> int | None:
        """Capacity minus demand: negative when demand is more than the services can take."""
        if self.demand is None or self.capacity is None:
            return None
        return self.capacity - self.demand

    @property
    def short(self) -> bool:
        return self.gap is not None and self.gap < 0


def _total(label: str, cells: Iterable[Cell]) -> Cell:
    cells = list(cells)
    return Cell(label, _sum(c.demand for c in cells), _sum(c.capacity for c in cells))


@dataclass(frozen=True)
class RowFigures:
    row: CapacityRow
    cells: tuple[Cell, ...]  # one per period, in order
    total: Cell


@dataclass(frozen=True)
class BlockFigures:
    block: CapacityBlock
    rows: tuple[RowFigures, ...]
    period_totals: tuple[Cell, ...]  # one per period: the block's service types added up
    total: Cell


@dataclass(frozen=True)
class CapacityTables:
    """The round's capacity and demand table filled with one plan's figures."""

    definition: CapacityDemand
    blocks: tuple[BlockFigures, ...]

    @property
    def periods(self) -> tuple[str, ...]:
        return self.definition.periods


def capacity_tables(definition: CapacityDemand, figures: Figures) -> CapacityTables:
    """Lay `figures` out on the round's table; figures for rows or periods it no longer has are left out."""
    blocks = []
    for block in definition.blocks:
        rows = []
        for row in block.rows:
            cells = tuple(Cell(p, *figures.get((row.key, p), (None, None))) for p in definition.periods)
            rows.append(RowFigures(row, cells, _total("Total", cells)))
        period_totals = tuple(_total(period, (r.cells[i] for r in rows)) for i, period in enumerate(definition.periods))
        blocks.append(BlockFigures(block, tuple(rows), period_totals, _total("Total", period_totals)))
    return CapacityTables(definition, tuple(blocks))


def figures_for_plans(plan_ids: list[int]) -> dict[int, dict[tuple[str, str], tuple[int | None, int | None]]]:
    """Each plan's figures by (row key, period), in one query."""
    by_plan: dict[int, dict] = {pk: {} for pk in plan_ids}
    rows = CapacityDemandFigure.objects.filter(plan_id__in=plan_ids).order_by()
    for plan_id, row_key, period, demand, capacity in rows.values_list(
        "plan_id", "row_key", "period", "demand", "capacity"
    ):
        by_plan[plan_id][(row_key, period)] = (demand, capacity)
    return by_plan


def definition_for_plan(plan: Plan) -> CapacityDemand | None:
    """The plan's round's table, from the cached round configuration; None if the round has none."""
    version = plan.round.config_version if Plan.round.is_cached(plan) else None
    return round_config(plan.round_id, version).capacity_demand


def capacity_for_plan(plan: Plan) -> CapacityTables | None:
    definition = definition_for_plan(plan)
    if definition is None:
        return None
    return capacity_tables(definition, figures_for_plans([plan.pk])[plan.pk])


def block_fingerprint(block: CapacityBlock, figures: Figures) -> str:
    """A short digest of one block's stored figures. The edit form carries the one it was shown, and a
    save is refused (StaleEdit) if the block has changed since: one token instead of a version per cell,
    which would put hundreds of hidden fields on the page."""
    keys = {row.key for row in block.rows}
    stored = sorted([k[0], k[1], v[0], v[1]] for k, v in figures.items() if k[0] in keys)
    return hashlib.sha256(json.dumps(stored).encode()).hexdigest()[:32]


def capacity_problems(plan: Plan) -> list[str]:
    """What stops the section being completed: every service type needs demand and capacity for every period."""
    tables = capacity_for_plan(plan)
    if tables is None:
        return []
    problems = []
    for block in tables.blocks:
        for row in block.rows:
            missing = [c.label for c in row.cells if c.demand is None or c.capacity is None]
            if missing:
                where = missing[0] if len(missing) == 1 else f"{len(missing)} periods, from {missing[0]}"
                problems.append(f"Enter demand and capacity for ‘{row.row.label}’ ({block.block.label}): {where}")
    return problems
