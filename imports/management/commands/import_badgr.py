"""python manage.py import_badgr --url https://old.example.org --token … [--issuer ID …]"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from imports.badgr import badgr_import
from imports.badgr_client import BadgrClient, BadgrError, BadgrUnreachable
from imports.progress import TerminalProgress
from imports.report import LINKED, OUTCOMES
from issuers.models import Issuer

KINDS = (("issuer", "issuers"), ("badgeclass", "badge classes"), ("assertion", "badges"))


def _problems_sentence(report) -> str:
    failed = report.total("failed")
    if report.dry_run:
        return _(
            "%(problems)s problem(s), listed above (%(failed)s item(s) would fail). Nothing "
            "was written."
        ) % {"problems": len(report.errors), "failed": failed}
    return _(
        "%(problems)s problem(s), listed above (%(failed)s item(s) failed); everything else "
        "was imported. Run the command again once they are solved: it carries on and "
        "duplicates nothing."
    ) % {"problems": len(report.errors), "failed": failed}


class Command(BaseCommand):
    help = (
        "Import issuers, badge classes and badges from a Badgr server through its v2 API. "
        "Idempotent: run it again to bring in what changed or to finish an interrupted run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="The old server's API base URL.")
        parser.add_argument("--token", required=True, help="An access token of the old server.")
        parser.add_argument(
            "--issuer",
            action="append",
            dest="issuers",
            default=[],
            metavar="ENTITY_ID",
            help="Only this old issuer (repeat for several). Default: every issuer visible.",
        )
        parser.add_argument(
            "--owner", help="Email of a user here who becomes owner of the imported issuers."
        )
        parser.add_argument(
            "--into", metavar="ENTITY_ID", help="Put everything into this existing issuer here."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check everything; write nothing."
        )
        parser.add_argument(
            "--anyway",
            action="store_true",
            help="Keep a future issue date and evidence links that are not web addresses "
            "(as text) as the source holds them; each is named in the report.",
        )
        parser.add_argument("--page-size", type=int, default=100, help="Badges per request.")
        parser.add_argument(
            "--retries", type=int, default=4, help="Retries of a failed request (with backoff)."
        )

    def handle(self, *args, **options):
        owner = into = None
        if options["owner"]:
            owner = User.objects.filter(email__iexact=options["owner"].strip()).first()
            if owner is None:
                raise CommandError(f"There is no user {options['owner']} here; sign them up first.")
        if options["into"]:
            into = Issuer.objects.filter(entity_id=options["into"]).first()
            if into is None:
                raise CommandError(f"There is no issuer {options['into']} here.")
        try:
            client = BadgrClient(
                options["url"],
                options["token"],
                page_size=options["page_size"],
                retries=options["retries"],
            )
            client.check()
        except BadgrUnreachable as exc:
            raise CommandError(
                f"{exc.message} A server on a private network must be listed in "
                "OUTBOUND_ALLOWED_NETWORKS (docs/deployment.md)."
            ) from None
        except BadgrError as exc:
            raise CommandError(exc.message) from None

        progress = TerminalProgress(self.stderr._out)
        started = time.monotonic()
        try:
            report = badgr_import(
                client=client,
                issuer_ids=options["issuers"],
                into=into,
                owner=owner,
                dry_run=options["dry_run"],
                anyway=options["anyway"],
                progress=progress,
            )
        except BadgrError as exc:
            progress.close()
            if exc.report is not None and (exc.report.counts or exc.report.errors):
                self._summary(
                    exc.report,
                    time.monotonic() - started,
                    options["dry_run"],
                    owner,
                    into,
                    stopped=True,
                )
            raise CommandError(exc.message) from None
        except KeyboardInterrupt:
            progress.close()
            raise CommandError(
                "Interrupted. What was imported so far is kept; run the command again to carry on."
            ) from None
        progress.close()
        self._summary(report, time.monotonic() - started, options["dry_run"], owner, into)
        if report.errors:
            raise CommandError(_problems_sentence(report))

    def _summary(self, report, seconds, dry_run, owner, into, stopped=False):
        out = self.stdout
        if stopped:
            title = _("Stopped before the end; what was done until then:")
            style = self.style.ERROR
        elif dry_run:
            title = _("Dry run: nothing was written. What the import would do:")
            style = self.style.SUCCESS
        elif report.errors:
            title = _("Import finished, with problems.")
            style = self.style.WARNING
        else:
            title = _("Import finished.")
            style = self.style.SUCCESS
        out.write(style(f"{title} ({seconds:.1f} s)"))
        if dry_run:
            words = {
                "created": _("would be created"),
                "linked": _("would be linked"),
                "updated": _("would change"),
                "unchanged": _("unchanged"),
                "failed": _("would fail"),
            }
        else:
            words = {
                "created": _("created"),
                "linked": _("linked"),
                "updated": _("updated"),
                "unchanged": _("unchanged"),
                "failed": _("failed"),
            }
        for kind, label in KINDS:
            c = report.counts.get(kind)
            if not c:
                continue
            # "linked" only where it happens: old issuers put into an issuer here.
            shown = [OUTCOMES[0], LINKED, *OUTCOMES[1:]] if c.get(LINKED) else OUTCOMES
            parts = ", ".join(f"{c.get(o, 0):6} {words[o]}" for o in shown)
            out.write(f"  {label:14} {parts}  ({_('total')} {sum(c.values())})")
        if into is not None and report.counts.get("issuer", {}).get("linked"):
            out.write(
                _("Linked: the old issuers' badge classes and badges went into %(name)s.")
                % {"name": into.name}
            )
        if report.errors:
            out.write(self.style.WARNING(_("Problems, item by item:")))
            for error in report.errors:
                out.write(f"  {error.kind} {error.legacy_id or '?'}: {error.message}")
        if report.warnings:
            out.write(self.style.WARNING(_("Imported, but worth knowing, item by item:")))
            for warning in report.warnings:
                out.write(f"  {warning.kind} {warning.legacy_id or '?'}: {warning.message}")
        if owner is None and into is None and report.counts.get("issuer", {}).get("created"):
            out.write(
                "No --owner was given: only superusers see the new issuers until members are "
                "added in the admin."
            )
