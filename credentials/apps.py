from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    """Open Badges 3.0: issuer signing keys (did:web), signed OpenBadgeCredentials,
    Bitstring Status Lists for revocation, and the credential verifier."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "credentials"
    verbose_name = "Verifiable credentials"
