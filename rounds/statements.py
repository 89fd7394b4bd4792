"""Rows of a busy read through the SQL the ORM builds for it, built once per process.

On the busiest pages the ORM spent more time building and compiling a statement than PostgreSQL
took to run it: Part 2's expenditure lines joined to their amounts took 4.1 ms through a
queryset and 1.6 ms as the same SQL on a cursor (docs/performance.md, "Tenth look"). So a read
that runs on every page is written as an ordinary `values_list` queryset of some ids, the ORM
builds its SQL once for each number of ids, and each request only runs it with its own ids.

Only for columns whose database value is already the Python value (numbers, text, booleans,
dates, UUIDs): no field converters run, so not for JSON. SQLite has no decimal type (it hands
back the stored int or float, which the ORM's converters turn into a Decimal), so on SQLite the
queryset is simply evaluated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db import connection
from django.db.models import QuerySet

# Builds a values_list queryset from a list of ids (or from nothing). Its other parameters, such
# as a fixed list of statuses, must not depend on anything but the code.
QueryFor = Callable[..., QuerySet]


@functools.lru_cache(maxsize=64)
def _statement(query_for: QueryFor, count: int | None) -> tuple[str, tuple, tuple[tuple[int, int], ...]]:
    """(SQL, its parameters, (position, index of the id it takes) for each id among them)."""
    if count is None:
        sql, params = query_for().query.sql_with_params()
        return sql, tuple(params), ()
    # Built twice with different stand-ins (never real ids): the parameters that differ are the ids.
    first, second = list(range(-count, 0)), list(range(-2 * count, -count))
    sql, params = query_for(first).query.sql_with_params()
    again, other = query_for(second).query.sql_with_params()
    index = {stand_in: k for k, stand_in in enumerate(first)}
    slots = tuple(
        (position, index.get(a, -1)) for position, (a, b) in enumerate(zip(params, other, strict=True)) if a != b
    )
    if (
        again != sql
        or any(k < 0 or other[position] != second[k] for position, k in slots)
        or {k for _, k in slots} != set(range(count))
    ):
        raise ValueError(f"{query_for.__qualname__} must use every id it is given as a parameter")
    return sql, tuple(params), slots


def rows_for(query_for: QueryFor, ids: list[int] | None = None) -> list[tuple]:
    """The rows of `query_for(ids)` (or `query_for()`), as tuples, the statement built once per process."""
    if ids is not None and not ids:
        return []  # `IN ()` is no statement at all: the ORM would not ask either
    if connection.vendor != "postgresql":
        return list(query_for() if ids is None else query_for(ids))
    sql, params, slots = _statement(query_for, None if ids is None else len(ids))
    params = list(params)
    for position, k in slots:
        params[position] = ids[k]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
