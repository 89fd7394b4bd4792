"""python manage.py load_round 2014-15 [path/to/round.yaml …] | --all — every file loads, or none does."""

from django.core.management.base import BaseCommand, CommandError

from rounds.loader import LoadReport, RoundFixtureError, load_rounds, resolve_round_path, shipped_round_paths


class Command(BaseCommand):
    help = "Load planning rounds (and the reference data they use) from YAML fixtures. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "rounds", nargs="*", help="Round slugs (fixtures/rounds/<slug>.yaml) or paths to YAML files."
        )
        parser.add_argument("--all", action="store_true", help="Load every file in fixtures/rounds/.")

    def handle(self, *args, **options):
        paths = shipped_round_paths() if options["all"] else [resolve_round_path(name) for name in options["rounds"]]
        if not paths:
            raise CommandError("Name a round to load (for example: load_round 2014-15), or use --all.")
        reference = LoadReport()
        try:
            loaded = load_rounds(paths, reference_report=reference)
        except RoundFixtureError as exc:
            raise CommandError(f"{exc}\nNothing was loaded: fix the file and run the command again.") from exc
        if options["verbosity"]:
            self.stdout.write(f"Reference data: {reference}")
        for item in loaded:
            rnd, report = item.round, item.report
            if options["verbosity"]:
                self.stdout.write(
                    self.style.SUCCESS(f"Loaded round {rnd.slug} ({rnd.name}) from {item.path}: {report}")
                )
            if report.stale_rows:
                self.stdout.write(
                    self.style.WARNING(
                        f"{rnd.slug}: these rows are no longer in the file and were left in place "
                        f"(delete them in the admin if no plan uses them): {', '.join(report.stale_rows)}"
                    )
                )
            if options["verbosity"] > 1:
                for row in report.changed_rows:
                    self.stdout.write(f"  changed {row}")
