"""python manage.py rotate_issuer_key ISSUER_ID: retire the issuer's signing key and
make a new one. The old public key stays published, so what it signed still verifies."""

from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from credentials.models import KeyAlgorithm, KeyPurpose
from credentials.services import issuer_key_rotate
from issuers.models import Issuer


class Command(BaseCommand):
    help = "Rotate an issuer's Open Badges 3.0 signing key (by the issuer's entity id)."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="the issuer's entity id")
        parser.add_argument(
            "--purpose",
            choices=KeyPurpose.values,
            default=KeyPurpose.JWT,
            help="which key: the VC-JWT key (default) or the Data Integrity key",
        )
        parser.add_argument(
            "--algorithm",
            choices=KeyAlgorithm.values,
            help="the new key's algorithm (VC-JWT: RS256 or ES256, default "
            "CREDENTIALS_JWT_ALGORITHM; Data Integrity: EdDSA)",
        )

    def handle(self, *args, issuer: str, purpose: str, algorithm: str | None, **options):
        found = Issuer.objects.filter(entity_id=issuer).first()
        if found is None:
            raise CommandError(f"No issuer has the id {issuer}.")
        try:
            key = issuer_key_rotate(issuer=found, purpose=purpose, algorithm=algorithm)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{found.name} now signs with {key.key_id} ({key.algorithm}); "
            "older keys stay published."
        )
