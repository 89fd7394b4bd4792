"""Export a plan from the command line, with the same renderers as the portal's export button.

    python manage.py export_plan --area E09000002 --round 2017-19 --format xlsx --out plan.xlsx

Exit status is non-zero on any error (unknown area, round, plan or format; a failed render).
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance import exports
from plans.models import Plan


class Command(BaseCommand):
    help = "Write a plan's export (xlsx or pdf) to a file."

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="HWB area ONS code, e.g. E09000002")
        parser.add_argument("--round", required=True, help="Planning round slug, e.g. 2017-19")
        parser.add_argument("--format", required=True, help=f"One of: {', '.join(exports.registered_kinds())}")
        parser.add_argument("--out", required=True, help="Path of the file to write ('-' is not supported)")

    def handle(self, *args, area, round, format, out, **options):
        if format not in exports.registered_kinds():
            raise CommandError(f"Unknown format {format!r}. Choose from: {', '.join(exports.registered_kinds())}")
        plan = (
            Plan.objects.select_related("round", "hwb_area__region")
            .filter(round__slug=round, hwb_area__ons_code=area)
            .first()
        )
        if plan is None:
            raise CommandError(f"There is no plan for area {area} in round {round}.")
        try:
            data = exports.run_export_now(plan, format)
        except Exception as exc:
            raise CommandError(f"The export failed: {type(exc).__name__}: {exc}") from exc
        target = Path(out)
        if not target.parent.exists():
            raise CommandError(f"The folder {target.parent} does not exist.")
        # Write beside the target and rename, so a half-written file never appears at the path.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
        self.stdout.write(f"Wrote {len(data):,} bytes to {target} ({plan.hwb_area.name}, {plan.round.name}, {format}).")
