from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assertions import demo


class Command(BaseCommand):
    help = "Load idempotent demo data for `make run` and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the demo logins have well-known passwords).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: its logins have published "
                "passwords. Pass --force if this really is a throwaway instance."
            )
        logins = demo.seed()
        self.stdout.write(
            self.style.SUCCESS(
                # SITE_URL is where `make run` serves (HOST and PORT), so the links work
                f"Demo data is loaded. Sign in at {settings.SITE_URL}/accounts/login/ "
                "(issuer staff land on their dashboard, earners on their badges, "
                f"operators in {settings.SITE_URL}/admin/) with:"
            )
        )
        for login in logins:
            self.stdout.write(f"  {login.role:<12} {login.email}  password: {login.password}")
