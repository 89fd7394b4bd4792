"""rounds.statements: a read through the SQL the ORM builds for it, built once per process."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from rounds.models import Region
from rounds.statements import rows_for
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db


def _counted(build):
    """`build`, counting how many times the ORM is asked to build the statement."""

    def query_for(*args):
        query_for.builds += 1
        return build(*args)

    query_for.builds = 0
    return query_for


def test_rows_are_the_querysets_own_and_the_statement_is_built_once_for_each_number_of_ids():
    regions = [RegionFactory(code=f"R{n}") for n in range(4)]
    query_for = _counted(
        # A fixed list besides the ids: only the ids change from call to call.
        lambda ids: (
            Region.objects.filter(pk__in=ids, code__in=["R0", "R1", "R3"]).order_by("name").values_list("id", "code")
        )
    )
    for ids in ([r.pk for r in regions[:2]], [r.pk for r in regions[2:]], [regions[3].pk, regions[0].pk]):
        assert rows_for(query_for, ids) == list(
            Region.objects.filter(pk__in=ids, code__in=["R0", "R1", "R3"]).order_by("name").values_list("id", "code")
        )
    # Two ids each time: built once on PostgreSQL (twice, to tell the ids from the fixed list);
    # SQLite evaluates the queryset itself every time.
    assert query_for.builds == (2 if connection.vendor == "postgresql" else 3)


def test_an_id_may_be_used_more_than_once_and_in_any_order():
    first, second = RegionFactory(name="First"), RegionFactory(name="Second")

    def query_for(ids):
        one, other = ids
        return (
            Region.objects.filter(Q(pk=other) | Q(pk=one, name__gt="") | Q(pk=other))
            .order_by("name")
            .values_list("name")
        )

    assert rows_for(query_for, [first.pk, second.pk]) == [("First",), ("Second",)]
    assert rows_for(query_for, [second.pk, second.pk]) == [("Second",)]


def test_a_row_changed_by_any_path_is_read_as_it_now_is():
    region = RegionFactory(name="Before")
    query_for = _counted(lambda ids: Region.objects.filter(pk__in=ids).values_list("name"))
    assert rows_for(query_for, [region.pk]) == [("Before",)]
    Region.objects.filter(pk=region.pk).update(name="After")  # no signal, no save()
    assert rows_for(query_for, [region.pk]) == [("After",)]


def test_no_ids_ask_nothing_and_a_query_without_ids_is_run_as_built():
    RegionFactory(name="Only")
    with CaptureQueriesContext(connection) as queries:
        assert rows_for(lambda ids: Region.objects.filter(pk__in=ids).values_list("name"), []) == []
    assert len(queries) == 0
    assert rows_for(lambda: Region.objects.order_by("name").values_list("name")) == [("Only",)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite evaluates the queryset itself")
def test_a_query_that_uses_its_ids_other_than_as_parameters_is_refused():
    with pytest.raises(ValueError, match="must use every id it is given"):
        rows_for(lambda ids: Region.objects.filter(pk__in=ids[:1]).values_list("name"), [1, 2])
