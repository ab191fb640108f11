from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from issuers.models import Issuer
from issuers.services import credits_top_up


class Command(BaseCommand):
    help = (
        "Grant credits to an issuer, as a platform operator does (a top-up in its ledger). "
        "The issuer is named by its id (entity id, as in the APIs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="The issuer's id (entity id)")
        parser.add_argument("amount", type=int, help="Credits to add, a whole number above 0")
        parser.add_argument(
            "--reason", default="", help="Kept in the ledger, e.g. the invoice number"
        )

    def handle(self, *args, issuer, amount, reason, **options):
        target = Issuer.objects.filter(entity_id=issuer).first()
        if target is None:
            raise CommandError(f"There is no issuer with the id {issuer!r}.")
        if len(reason) > 255:
            raise CommandError("The reason is longer than 255 characters; shorten it.")
        try:
            entry = credits_top_up(issuer=target, amount=amount, note=reason)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Granted {amount} credits to {target.name}; the balance is {entry.balance_after}."
            )
        )
