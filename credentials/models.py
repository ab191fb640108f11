from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

# W3C Bitstring Status List: at least 131,072 entries (16 KiB) per list, so that a
# verifier fetching the list learns nothing about which credential it checks.
STATUS_LIST_SIZE = 131_072


class KeyPurpose(models.TextChoices):
    JWT = "jwt", _("VC-JWT")
    DATA_INTEGRITY = "data_integrity", _("Data Integrity proof")


class KeyAlgorithm(models.TextChoices):
    RS256 = "RS256", _("RS256 (RSA 2048+)")
    ES256 = "ES256", _("ES256 (P-256)")
    # Ed25519: the JWT keys made before OB 3.0 conformance (still published, never
    # signing again) and the Data Integrity keys (eddsa-rdfc-2022).
    EDDSA = "EdDSA", _("EdDSA (Ed25519)")


class IssuerKey(BaseModel):
    """A signing key of an issuer, for one purpose: VC-JWTs (RS256 or ES256; Ed25519
    before OB 3.0 conformance) or Data Integrity proofs (Ed25519). The private half is
    encrypted at rest (credentials.crypto, `CREDENTIALS_ENCRYPTION_KEY`); the public half
    is published in the issuer's DID document and JWKS, retired keys included, so
    credentials signed before a rotation still verify. A key that was compromised is
    withdrawn: no longer published, so nothing it signed verifies any more (badges are
    re-signed on demand)."""

    issuer = models.ForeignKey(
        "issuers.Issuer", on_delete=models.CASCADE, related_name="signing_keys"
    )
    key_id = models.CharField(max_length=40, help_text="Fragment of the DID URL: key-1, key-2...")
    purpose = models.CharField(max_length=20, choices=KeyPurpose.choices, default=KeyPurpose.JWT)
    algorithm = models.CharField(max_length=10, choices=KeyAlgorithm.choices)
    public_jwk = models.JSONField(help_text="The public JWK (RSA n/e, EC P-256 x/y, OKP x).")
    private_key_encrypted = models.BinaryField()
    active = models.BooleanField(default=True, help_text="Signs new credentials.")
    retired_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="Compromised: no longer published."
    )

    class Meta:
        verbose_name = "signing key"
        ordering = ["issuer", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "key_id"], name="credentials_issuerkey_unique_key_id"
            ),
            models.UniqueConstraint(
                fields=["issuer", "purpose"],
                condition=Q(active=True),
                name="credentials_issuerkey_one_active_per_purpose",
            ),
            models.CheckConstraint(
                condition=Q(purpose="jwt") | Q(algorithm="EdDSA"),
                name="credentials_issuerkey_data_integrity_is_ed25519",
            ),
            models.CheckConstraint(
                condition=Q(active=True, retired_at__isnull=True)
                | Q(active=False, retired_at__isnull=False),
                name="credentials_issuerkey_retired_iff_inactive",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(active=False),
                name="credentials_issuerkey_withdrawn_only_retired",
            ),
        ]

    def __str__(self) -> str:
        state = " (withdrawn)" if self.withdrawn_at else "" if self.active else " (retired)"
        return f"{self.issuer_id}#{self.key_id}{state}"


class StatusList(BaseModel):
    """One Bitstring Status List of an issuer (`/issuers/<id>/status/<number>`). Indexes
    are handed out at random (Bitstring Status List v1.0: "Implementations SHOULD assign
    indexes randomly"), each once (`credentials_statusentry_unique_index`), under the
    list's row lock; `allocated` counts them, and a full list makes the next number."""

    issuer = models.ForeignKey("issuers.Issuer", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    size = models.PositiveIntegerField(default=STATUS_LIST_SIZE)
    allocated = models.PositiveIntegerField(default=0, help_text="Indexes handed out.")

    class Meta:
        ordering = ["issuer", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "number"], name="credentials_statuslist_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("size")),
                name="credentials_statuslist_allocated_within_size",
            ),
            models.CheckConstraint(
                condition=Q(size__gt=0) & Q(size__lte=16 * 1024 * 1024),
                name="credentials_statuslist_size_bounded",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="credentials_statuslist_number_from_one"
            ),
        ]

    def __str__(self) -> str:
        return f"Status list {self.number} of issuer {self.issuer_id}"


class StatusEntry(models.Model):
    """An assertion's place in its issuer's status list: `revoked` is its bit."""

    assertion = models.OneToOneField(
        "assertions.Assertion", on_delete=models.CASCADE, related_name="status_entry"
    )
    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="entries")
    index = models.PositiveIntegerField()
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "status entries"
        constraints = [
            models.UniqueConstraint(
                fields=["status_list", "index"], name="credentials_statusentry_unique_index"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status_list"],
                condition=Q(revoked=True),
                name="credentials_status_revoked",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status_list} [{self.index}]"


class HeldCredential(BaseModel):
    """An Open Badges 3.0 credential an earner's wallet or another platform pushed into the
    earner's backpack here (`upsertCredential` of the OB 3.0 API), kept as it came (the
    compact JWS, or the JSON with its Data Integrity proof) once it verified. One per
    earner and credential id: pushing it again replaces it."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="held_credentials"
    )
    credential_id = models.CharField(max_length=2000, help_text="The credential's `id`.")
    compact_jws = models.TextField(blank=True, help_text="As pushed, when it was a VC-JWT.")
    document = models.JSONField(help_text="The credential (a VC-JWT's payload).")
    issuer_did = models.CharField(max_length=2000)
    issued_at = models.DateTimeField(help_text="Its validFrom.")

    class Meta:
        ordering = ["user", "-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "credential_id"], name="credentials_held_unique_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential_id} held by {self.user_id}"


class RegisteredClient(BaseModel):
    """An OAuth 2.0 client registered by RFC 7591 dynamic client registration for the
    Open Badges 3.0 API: the django-oauth-toolkit application and the metadata and
    scopes it registered with (its tokens are limited to those scopes)."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="ob3_client",
    )
    scope = models.TextField(help_text="The OB 3.0 scopes it registered, space-separated.")
    metadata = models.JSONField(help_text="The client metadata it registered (RFC 7591).")

    def __str__(self) -> str:
        return f"OB 3.0 client {self.application_id}"
