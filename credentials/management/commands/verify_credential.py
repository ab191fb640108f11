"""python manage.py verify_credential FILE: verify an Open Badges 3.0 credential (a
VC-JWT, an enveloped credential, or a bundle) and print each check. Exits 0 only when
every credential is valid; 1 when one is not, 2 when the input cannot be read."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from credentials import verify

MARKS = {verify.PASS: "ok  ", verify.FAIL: "FAIL", verify.SKIP: "skip"}


class Command(BaseCommand):
    help = "Verify an Open Badges 3.0 credential file (VC-JWT or JSON); '-' reads stdin."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the credential file, or - for standard input")

    def handle(self, *args, file: str, **options):
        try:
            if file == "-":
                data = sys.stdin.buffer.read(verify.MAX_INPUT_BYTES + 1)
            else:
                with open(file, "rb") as handle:
                    data = handle.read(verify.MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.", returncode=2) from None
        try:
            reports = verify.verify_input(data)
        except verify.InputError as exc:
            raise CommandError(str(exc), returncode=2) from None

        for number, report in enumerate(reports, start=1):
            heading = report.title if len(reports) == 1 else f"{number}. {report.title}"
            self.stdout.write(heading)
            hosted = _("hosted on this site") if report.hosted else _("not hosted on this site")
            self.stdout.write(
                _("  issuer: %(did)s (%(hosted)s)")
                % {"did": report.issuer_did or _("(none)"), "hosted": hosted}
            )
            self.stdout.write(
                _("  signed with: %(key)s")
                % {"key": report.signed_with or _("no signature verified")}
            )
            for check in report.checks:
                self.stdout.write(f"  [{MARKS[check.status]}] {check.name}: {check.detail}")
            self.stdout.write(report.summary)
        invalid = [r for r in reports if not r.valid]
        if invalid:
            raise CommandError(
                f"{len(invalid)} of {len(reports)} credential(s) did not verify: "
                f"{invalid[0].summary}",
                returncode=1,
            )
