"""Fixtures for the Part 2 tests: the demo plans built with factories."""

import pytest

from tests.finance.demo_plans import build_barking_and_dagenham, build_plymouth


@pytest.fixture
def bd_plan(db):
    """Barking & Dagenham's 2017–19 plan and one of its commissioners."""
    return build_barking_and_dagenham()


@pytest.fixture
def plymouth_plan(db):
    return build_plymouth()
