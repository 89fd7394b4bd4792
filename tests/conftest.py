"""Shared pytest fixtures."""

import pytest
from django.core.management import call_command

from tests.factories import DEMO_PASSWORD


@pytest.fixture
def demo_password():
    return DEMO_PASSWORD


@pytest.fixture
def shipped_rounds(db):
    """Both shipped planning rounds, loaded from their fixtures."""
    call_command("load_round", "--all", verbosity=0)
