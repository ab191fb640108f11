"""python manage.py rotate_issuer_key ISSUER_ID: retire the issuer's signing key and
make a new one. The old public key stays published, so what it signed still verifies."""

from django.core.management.base import BaseCommand, CommandError

from credentials.services import issuer_key_rotate
from issuers.models import Issuer


class Command(BaseCommand):
    help = "Rotate an issuer's Open Badges 3.0 signing key (by the issuer's entity id)."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="the issuer's entity id")

    def handle(self, *args, issuer: str, **options):
        found = Issuer.objects.filter(entity_id=issuer).first()
        if found is None:
            raise CommandError(f"No issuer has the id {issuer}.")
        key = issuer_key_rotate(issuer=found)
        self.stdout.write(f"{found.name} now signs with {key.key_id}; older keys stay published.")
