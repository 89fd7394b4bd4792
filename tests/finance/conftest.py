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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, as in tests/browser (the export panel's browser test lives here, beside its app)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    }
