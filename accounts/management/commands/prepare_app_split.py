"""python manage.py prepare_app_split [--database default] — once, before `migrate`, on a database created
before the app split. Safe to run again, and on any database: it does nothing unless it is needed."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from accounts import app_split


class Command(BaseCommand):
    help = (
        "On a database created before the app split (rounds and accounts out of plans), record the new apps' "
        "first migrations, which change nothing in the database, as applied, so that `migrate` can complete the "
        "move. Does nothing on any other database."
    )
    # The system check that points here must not stop it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="The database to prepare.")

    def handle(self, *args, database, **options):
        try:
            recorded = app_split.record_missing(connections[database])
        except app_split.CannotPrepare as exc:
            raise CommandError(str(exc)) from exc
        if not recorded:
            self.stdout.write("Nothing to do: this database needs no preparing for the app split.")
            return
        for app, name in recorded:
            self.stdout.write(f"Recorded {app}.{name} as applied (it changes nothing in the database).")
        self.stdout.write(self.style.SUCCESS("Now run: python manage.py migrate"))
