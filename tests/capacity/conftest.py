"""A plan in the made-up 2030-31 round, whose capacity and demand table has two blocks and three months."""

from pathlib import Path

import pytest

from accounts.models import Membership
from rounds.loader import load_round
from rounds.models import HwbArea
from tests.factories import MembershipFactory, PlanFactory

TEST_ROUNDS = Path(__file__).resolve().parent.parent / "fixtures" / "rounds"
KW = {"round_slug": "2030-31", "ons_code": "E06000026"}


@pytest.fixture
def cd_plan(db):
    rnd = load_round(TEST_ROUNDS / "2030-31.yaml")
    area = HwbArea.objects.get(ons_code="E06000026")
    plan = PlanFactory(round=rnd, hwb_area=area)
    user = MembershipFactory(hwb_area=area, role=Membership.Role.COMMISSIONER).user
    return plan, user


def full_figures(definition, demand=10, capacity=12):
    """Every cell of the table filled: demand and capacity per row and period."""
    return {(row.key, period): (demand, capacity) for row in definition.rows for period in definition.periods}
