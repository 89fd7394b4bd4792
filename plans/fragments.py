"""Keys for keeping a rendered table by what it shows.

A table's HTML is a function of the values it shows, so a hash of those values names it: any change
to any of them, by whatever path, is a new key, and a kept copy is never stale. Pages keep such copies
in each process's memory (`{% cache ... using="fragments" %}`, a cache alias of its own whose size
bounds the memory), because drawing a few dozen rows through the template engine cost more than
reading them from the database.
"""

import hashlib


def content_key(*values) -> str:
    """A key for `values` (plain data: strings, numbers, Decimals, dates, and lists, tuples, dicts and
    dataclasses of them, whose repr shows every field)."""
    return hashlib.sha256(repr(values).encode()).hexdigest()
