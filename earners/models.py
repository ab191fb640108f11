from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from core.i18n import language_choices
from core.models import EntityModel


class Earner(EntityModel):
    """A person an issuer awards badges to. One per issuer and email (stored lower-cased)."""

    # No index of its own: earners_unique_email_per_issuer leads with it.
    issuer = models.ForeignKey(
        "issuers.Issuer", on_delete=models.PROTECT, related_name="earners", db_index=False
    )
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    # The language of the emails this issuer sends them; blank: the issuer's default.
    language = models.CharField(max_length=10, choices=language_choices, blank=True)
    metadata = models.JSONField(
        default=dict, blank=True, help_text="Extra columns from bulk assignments."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="earner_profiles",
    )

    class Meta:
        ordering = ["email"]
        constraints = [
            # Lower-cased on the way in, so this plain unique index is case-insensitive and
            # bulk upserts can name it in ON CONFLICT.
            models.UniqueConstraint(
                fields=["issuer", "email"],
                name="earners_unique_email_per_issuer",
                violation_error_message="This issuer already has an earner with this email.",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="earners_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
