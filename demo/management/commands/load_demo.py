"""python manage.py load_demo [--reset-passwords]"""

import logging

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from demo.loader import DemoDataError, load_demo
from demo.workflow import DemoWorkflowError
from rounds.loader import RoundFixtureError


class Command(BaseCommand):
    help = "Load the shipped rounds, demo users for every role and four demo plans. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give every demo user a new random password and print it.",
        )
        parser.add_argument(
            "--no-workflow",
            action="store_true",
            help="Leave every demo plan a draft (do not sign off, submit and assure the plans of workflow.yaml).",
        )

    def handle(self, *args, **options):
        # The demo's own sign-offs and submission email demo addresses nobody reads, and log each step at
        # INFO: keep both out of the console, where the demo password printed below must stand out.
        logging.disable(logging.INFO)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                result = load_demo(reset_passwords=options["reset_passwords"], workflow=not options["no_workflow"])
        except (DemoDataError, DemoWorkflowError, RoundFixtureError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            logging.disable(logging.NOTSET)

        for label in result.plans_created:
            self.stdout.write(self.style.SUCCESS(f"Created demo plan: {label}"))
        for line in result.workflow:
            self.stdout.write(self.style.SUCCESS(f"Demo workflow: {line}"))
        for label in result.plans_existing:
            self.stdout.write(f"Demo plan already exists, left as it is: {label}")

        if result.password:
            if options["reset_passwords"]:
                self.stdout.write(self.style.WARNING("New password for every demo user (shown once):"))
            elif len(result.new_users) < len({email for email, _ in result.users}):  # one line per role
                self.stdout.write(
                    self.style.WARNING(f"Password for the {len(result.new_users)} new demo users (shown once):")
                )
            else:
                self.stdout.write(self.style.WARNING("Password for every demo user (shown once):"))
            self.stdout.write(f"\n    {result.password}\n")
            self.stdout.write("Demo users (sign in at /sign-in/ with the email address):")
            width = max(len(email) for email, _ in result.users)
            for email, role in result.users:
                marker = "" if options["reset_passwords"] or email in result.new_users else "  (existing password)"
                self.stdout.write(f"  {email.ljust(width)}  {role}{marker}")
        else:
            self.stdout.write(
                f"The {len(result.users)} demo users already exist; their password is unchanged. "
                "Run `python manage.py load_demo --reset-passwords` to set and print a new one."
            )
