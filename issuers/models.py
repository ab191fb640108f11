from django.conf import settings
from django.db import models

from core.models import BaseModel, EntityModel, WebURLField
from core.validators import validate_timezone


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
    credit_balance = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
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
    OWNER = "owner", "Owner"  # members and credits, and everything below
    EDITOR = "editor", "Editor"  # badge templates, and everything below
    STAFF = "staff", "Staff"  # assign and revoke badges


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
    TOP_UP = "top_up", "Top-up"
    ASSIGNMENT = "assignment", "Badge assignment"
    REFUND = "refund", "Refund"


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

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit ledger entries"
        indexes = [
            models.Index(fields=["issuer", "-created_at"], name="issuers_ledger_issuer_time")
        ]
        constraints = [
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
