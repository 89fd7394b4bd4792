"""Import reference data from a CSV or .xlsx file, with the same validation as the national import page.

    python manage.py import_reference areas areas.csv
    python manage.py import_reference organisations organisations.xlsx
    python manage.py import_reference allocations allocations.csv --round 2023-25 [--dry-run]

Prints the changes (or every problem, by row and column) and exits non-zero on any problem.
Without --dry-run the changes are written in one transaction; with a problem, nothing is.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rounds.models import PlanningRound
from rounds.reference_import import COLUMNS, ReferenceRejected, apply_reference, read_reference


class Command(BaseCommand):
    help = "Validate and import HWB areas, organisations or a round's allocations from a CSV or .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(COLUMNS), help="What the file holds")
        parser.add_argument("path", help="The .csv or .xlsx file")
        parser.add_argument("--round", help="Planning round slug (allocations only)")
        parser.add_argument("--dry-run", action="store_true", help="Show the changes without saving them")

    def handle(self, *args, kind, path, round=None, dry_run=False, **options):
        planning_round = None
        if round:
            planning_round = PlanningRound.objects.filter(slug=round).first()
            if planning_round is None:
                raise CommandError(f"There is no planning round '{round}'.")
        elif kind == "allocations":
            raise CommandError("Give the round the allocations are for: --round SLUG.")
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        with file.open("rb") as handle:
            data = handle.read(settings.MAX_UPLOAD_SIZE + 1)  # as a web upload: a larger file is refused, unread
        try:
            preview = (read_reference if dry_run else apply_reference)(kind, data, file.name, planning_round)
        except ReferenceRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"The file was not imported: {len(rejected.errors)} problem(s). Nothing changed."
            ) from None
        for change in preview.changes:
            self.stdout.write(f"{change.kind:8} {change.description}")
        counts = ", ".join(f"{n} {kind}" for kind, n in preview.counts.items())
        self.stdout.write(f"{'Would import' if dry_run else 'Imported'}: {counts}.")
