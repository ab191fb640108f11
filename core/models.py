from django.db import models
from django.utils.translation import gettext_lazy as _

from core.forms import WebURLField as WebURLFormField
from core.ids import ENTITY_ID_LENGTH, new_entity_id
from core.validators import validate_web_url


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class EntityIdField(models.CharField):
    """An `entity_id` column. Ids arrive from URLs and bodies as any text; one with a NUL
    byte (which no entity id has, and which PostgreSQL refuses in a query with an error)
    is looked up as unmatchable text instead, so it is a 404 like any unknown id."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if isinstance(value, str) and "\x00" in value:
            return value.replace("\x00", "\ufffd")
        return value

    def deconstruct(self):
        # A plain CharField to migrations: nothing changes in the database.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class WebURLField(models.URLField):
    """A URL that is shown or linked to: http(s) only (core.validators.validate_web_url),
    in model validation and in the forms (the admin included) built from the model."""

    default_validators = [validate_web_url]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})

    def deconstruct(self):
        # A plain URLField to migrations: validators do not change the database.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs


class EntityModel(BaseModel):
    """A model that is addressed from outside by its random `entity_id`."""

    entity_id = EntityIdField(
        max_length=ENTITY_ID_LENGTH, unique=True, default=new_entity_id, editable=False
    )

    class Meta:
        abstract = True


class EmailKind(models.TextChoices):
    BADGE_AWARDED = "badge_awarded", _("Badge awarded")
    ACCOUNT_CREATED = "account_created", _("Account created (badge awarded, set a password)")
    MEMBER_INVITED = "member_invited", _("Invitation to join an issuer")
    ISSUER_REQUESTED = "issuer_requested", _("A new issuer asked for (to operators)")
    ISSUER_REQUEST_DECIDED = "issuer_request_decided", _("Issuer request approved or declined")
    CREDITS_REQUESTED = "credits_requested", _("Credits asked for (to operators)")
    BADGE_REVOKED = "badge_revoked", _("Badge revoked")
    BADGE_EXPIRING = "badge_expiring", _("Badge about to expire (reminder)")
    PASSWORD_RESET = "password_reset", _("Password reset link")
    EMAIL_CHANGE = "email_change", _("Confirm a new email address")
    EMAIL_IN_USE = "email_in_use", _("An address asked for is already in use")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(BaseModel):
    """The outbox. A row is written in the same transaction as what causes the email, so
    an email exists exactly when its cause committed; a Celery task sends it."""

    kind = models.CharField(max_length=30, choices=EmailKind.choices)
    to_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    context = models.JSONField(default=dict, blank=True, help_text="Template context (ids).")
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    interruptions = models.PositiveSmallIntegerField(
        default=0,
        help_text="Times its worker died while sending it (it is tried again once at most).",
    )
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    assertion = models.ForeignKey(
        "assertions.Assertion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
    )
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["updated_at"],
                name="core_outbox_unsent",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_email} ({self.status})"


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed for repeats."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_unique_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in progress'})"
