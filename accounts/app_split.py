"""Upgrading a database created before the app split (docs/adr/0009-app-split.md).

The split moved the user model from plans to accounts. Django's admin app records that its first
migration depends on the user model's app's first migration, so on a database created before the
split `migrate` stops at once: admin's migration is applied, accounts' first is not
(InconsistentMigrationHistory). accounts' first migration only tells Django where the user model
now lives; it changes nothing in the database. Recording it as applied is therefore exactly what
running it would do, and after that plain `migrate` completes the move.

`prepare_app_split` (the command) calls `record_missing`; the system check below tells whoever
runs `migrate` first what to do, instead of Django's bare error.
"""

from __future__ import annotations

from django.core.checks import Error, Tags, register
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import SeparateDatabaseAndState
from django.db.migrations.recorder import MigrationRecorder

# The apps the split created; only their migrations may be recorded without running.
SPLIT_APPS = ("rounds", "accounts")
# A table only a database from before the split has (accounts 0003 renames it to accounts_user).
PRE_SPLIT_TABLE = "plans_user"
UPGRADE_HINT = (
    "This database was created before the app split. Run `python manage.py prepare_app_split`, then "
    "`python manage.py migrate` (README: Upgrading a database created before the app split)."
)


class CannotPrepare(Exception):
    """The database's migration history is inconsistent for a reason other than the split."""


def changes_nothing(migration) -> bool:
    """True if every operation only changes Django's idea of the models, never the database."""
    return bool(migration.operations) and all(
        isinstance(op, SeparateDatabaseAndState) and not op.database_operations for op in migration.operations
    )


def missing(connection) -> list[tuple[str, str]]:
    """The split's migrations that applied migrations depend on but that are not recorded, in order.

    Empty for a new database, one already prepared, or one created after the split. Raises
    CannotPrepare if a missing migration is not one the split may record without running.
    """
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    if PRE_SPLIT_TABLE not in connection.introspection.table_names():
        return []
    loader = MigrationLoader(connection)
    applied = set(loader.applied_migrations)
    gaps = {
        parent.key
        for key in applied
        if key in loader.graph.nodes
        for parent in loader.graph.node_map[key].parents
        if parent not in applied
    }
    for key in sorted(gaps):
        migration = loader.graph.nodes[key]
        if key[0] not in SPLIT_APPS or not changes_nothing(migration):
            raise CannotPrepare(
                f"Migration {key[0]}.{key[1]} is missing, and is not one the app split may record without "
                "running it. Fix the migration history by hand."
            )
        unapplied = [p.key for p in loader.graph.node_map[key].parents if p.key not in applied]
        if unapplied:
            names = ", ".join(f"{app}.{name}" for app, name in unapplied)
            raise CannotPrepare(
                f"Migration {key[0]}.{key[1]} needs {names}, which this database has not applied. Migrate it "
                "with the release before the app split first, then run prepare_app_split again."
            )
    return sorted(gaps)


def record_missing(connection) -> list[tuple[str, str]]:
    """Record the split's missing migrations as applied (they change nothing in the database); return them."""
    keys = missing(connection)
    if keys:
        recorder = MigrationRecorder(connection)
        with transaction.atomic(using=connection.alias):
            for app, name in keys:
                recorder.record_applied(app, name)
    return keys


@register(Tags.database)
def check_app_split_prepared(app_configs=None, databases=None, **kwargs):
    """Run by `migrate` (and `check --database`): a database from before the split says what to do."""
    errors = []
    for alias in databases or []:
        try:
            needed = missing(connections[alias])
        except CannotPrepare as exc:
            errors.append(Error(str(exc), id="accounts.E002"))
            continue
        if needed:
            errors.append(Error(UPGRADE_HINT, obj=f"database '{alias}'", id="accounts.E001"))
    return errors
