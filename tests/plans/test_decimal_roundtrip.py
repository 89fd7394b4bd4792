"""Money is Decimal to the penny and survives PostgreSQL exactly."""

from decimal import Decimal

import pytest

from rounds.models import Allocation
from tests.factories import AllocationFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amount", ["0.00", "0.01", "5700000.00", "19532000.00", "21758000.00", "99999999.99", "100000000.00", "1234567.89"]
)
def test_amounts_round_trip_exactly_through_the_database(amount):
    allocation = AllocationFactory(amount=Decimal(amount))
    stored = Allocation.objects.get(pk=allocation.pk).amount
    assert isinstance(stored, Decimal)
    assert stored == Decimal(amount)
    assert str(stored) == amount


@pytest.mark.django_db
def test_database_uses_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"
