"""Import a filled-in Part 2 workbook from the command line, with the portal's own validation.

    python manage.py import_part2 --area E09000002 --round 2017-19 plan.xlsx [--dry-run] [--user email]

Prints the changes (or, with errors, every error by sheet and cell) and exits non-zero on any error.
Without --dry-run the changes are applied in one transaction, recorded in the history as made by
--user (default: the first commissioner of the area).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Membership, User
from finance.selectors import part_two_for_plan
from finance.services import apply_workbook_import
from finance.workbook_import import WorkbookRejected, diff_workbook, read_workbook
from plans.models import Plan


class Command(BaseCommand):
    help = "Validate and import a Part 2 workbook for one plan."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .xlsx file")
        parser.add_argument("--area", required=True, help="HWB area ONS code")
        parser.add_argument("--round", required=True, help="Planning round slug")
        parser.add_argument("--dry-run", action="store_true", help="Show the changes without saving them")
        parser.add_argument("--user", help="Email of the commissioner making the change")

    def handle(self, *args, path, area, round, dry_run, user=None, **options):
        plan = (
            Plan.objects.select_related("round", "hwb_area").filter(round__slug=round, hwb_area__ons_code=area).first()
        )
        if plan is None:
            raise CommandError(f"There is no plan for area {area} in round {round}.")
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file at {file}.")
        with file.open("rb") as handle:
            data = handle.read(settings.MAX_UPLOAD_SIZE + 1)  # as a web upload: a larger file is refused, unread
        try:
            if dry_run:
                part = part_two_for_plan(plan)
                changes = diff_workbook(part, read_workbook(data, plan, part))
            else:
                changes = apply_workbook_import(user=self._user(plan, user), plan=plan, data=data)
        except WorkbookRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"The workbook was not imported: {len(rejected.errors)} problem(s). Nothing changed."
            ) from None
        for change in changes:
            self.stdout.write(f"{change.kind:8} {change.sheet:12} {change.description}")
        verb = "would change" if dry_run else "changed"
        self.stdout.write(f"{len(changes)} line(s) {verb}." if changes else "No changes.")

    def _user(self, plan, email):
        if email:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                raise CommandError(f"No user {email}.")
            return user
        membership = (
            Membership.objects.filter(hwb_area=plan.hwb_area, role=Membership.Role.COMMISSIONER)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if membership is None:
            raise CommandError("The area has no commissioner; name one with --user.")
        return membership.user
