from django.apps import AppConfig

from assertions.signals import assertion_revoked
from issuers.signals import issuer_created


class CredentialsConfig(AppConfig):
    """Open Badges 3.0: issuer signing keys (did:web), signed OpenBadgeCredentials,
    Bitstring Status Lists for revocation, and the credential verifier."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "credentials"
    verbose_name = "Verifiable credentials"

    def ready(self):
        # Here, not at the top: the receivers use the models, which Django loads only
        # after it has imported every app's AppConfig.
        from credentials import receivers

        issuer_created.connect(
            receivers.issuer_key_for_new_issuer, dispatch_uid="credentials.issuer_key"
        )
        assertion_revoked.connect(
            receivers.status_bit_for_revoked_badge, dispatch_uid="credentials.status_bit"
        )
