from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.i18n import language_choices
from core.models import BaseModel, EntityModel, WebURLField
from core.validators import validate_timezone

EMAIL_PLACEHOLDERS = (
    "earner.first_name",
    "earner.last_name",
    "earner.email",
    "badge.name",
    "badge.url",
    "badge.expires",
    "activity.title",
    "issuer.name",
)


class Issuer(EntityModel):
    """An issuing organisation ("organization" in the Open Badge API)."""

    name = models.CharField(max_length=200)
    email = models.EmailField()
    url = WebURLField(blank=True)
    description = models.TextField(blank=True)
    image = models.ImageField(upload_to="issuers/", blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone; Open Badge API times are shown and read in it.",
    )
    language = models.CharField(
        max_length=10,
        choices=language_choices,
        blank=True,
        help_text="The language of the emails to earners who have none of their own "
        "(blank: the platform's default).",
    )
    expiry_reminder_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="Email earners this many days before a badge of theirs expires (0: no reminder).",
    )
    # The issuer's own words for its badge emails (blank: the platform's). Placeholders
    # such as {{ earner.first_name }} (EMAIL_PLACEHOLDERS) are filled in per email.
    email_subject = models.CharField(max_length=200, blank=True)
    email_greeting = models.CharField(max_length=200, blank=True)
    email_body = models.TextField(blank=True, help_text="Markdown.")
    email_closing = models.CharField(max_length=200, blank=True)
    credit_balance = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        permissions = [
            # Platform operators (issuers.permissions.is_operator): grant it in the admin.
            ("operate_platform", "Can operate the platform (create issuers, grant credits)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_balance__gte=0),
                name="issuers_issuer_credit_balance_non_negative",
                violation_error_message="The credit balance cannot go below zero.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")  # members and credits, and everything below
    EDITOR = "editor", _("Editor")  # badge templates, and everything below
    STAFF = "staff", _("Staff")  # assign and revoke badges


class IssuerMembership(BaseModel):
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="issuer_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)

    class Meta:
        ordering = ["issuer__name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "user"],
                name="issuers_membership_unique_user_per_issuer",
                violation_error_message="This person is already a member of the issuer.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()} of {self.issuer})"


class CreditReason(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    ASSIGNMENT = "assignment", _("Badge assignment")
    REFUND = "refund", _("Refund")


class CreditLedgerEntry(models.Model):
    """Append-only: every change of an issuer's credit balance, with the balance after it."""

    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="credit_entries")
    amount = models.BigIntegerField(help_text="Positive adds credits, negative spends them.")
    balance_after = models.BigIntegerField()
    reason = models.CharField(max_length=20, choices=CreditReason.choices)
    note = models.CharField(max_length=255, blank=True)
    batch = models.ForeignKey(
        "assertions.AssignmentBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credit_entries",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The month ("2025-03") of an automatic monthly grant: one per issuer and month.
    period = models.CharField(max_length=7, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit ledger entries"
        indexes = [
            models.Index(fields=["issuer", "-created_at"], name="issuers_ledger_issuer_time")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "period"],
                condition=~models.Q(period=""),
                name="issuers_ledger_one_grant_per_period",
            ),
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="issuers_ledger_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0),
                name="issuers_ledger_balance_after_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.get_reason_display()} ({self.issuer})"


class IssuerCreation(models.TextChoices):
    """settings.ISSUER_CREATION: who may create an issuer."""

    CLOSED = "closed", _("Only the platform's operators")
    APPROVAL = "approval", _("Anyone signed in may ask; an operator decides")
    OPEN = "open", _("Anyone signed in")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class IssuerRequest(EntityModel):
    """Someone asks for a new issuer (ISSUER_CREATION = "approval"); an operator decides.
    Approved, it becomes an issuer with the requester as its owner."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="issuer_requests"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()
    url = models.URLField(blank=True)
    description = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=255, blank=True)
    issuer = models.ForeignKey(
        Issuer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Each request emails every operator: one waiting at a time per person.
            models.UniqueConstraint(
                fields=["requested_by"],
                condition=models.Q(status="pending"),
                name="issuers_request_one_pending_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class CreditRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    DECLINED = "declined", _("Declined")


class CreditRequest(EntityModel):
    """An owner asks the operators for credits; an operator grants or declines."""

    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="credit_requests")
    amount = models.PositiveIntegerField()
    note = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=CreditRequestStatus.choices, default=CreditRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    entry = models.ForeignKey(
        CreditLedgerEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="issuers_credit_request_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["issuer"],
                condition=models.Q(status="pending"),
                name="issuers_credit_request_one_pending_per_issuer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} credits for {self.issuer} ({self.get_status_display()})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")


class Invitation(EntityModel):
    """An owner invites an email address to join an issuer with a role. The person
    becomes a member only by following the emailed link, signed in with that address;
    until then nothing of any account with the address is shown to the issuer."""

    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    # sha256 of the link's token. The token is made when the email is sent (a resend
    # makes a new one), so no usable token is stored anywhere, the outbox included.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "email"],
                condition=models.Q(status="pending"),
                name="issuers_invitation_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="issuers_invitation_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()} of {self.issuer})"
