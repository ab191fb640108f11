from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel, EntityModel, WebURLField


class AssertionStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid (expired)")
    REVOKED = "revoked", _("Revoked")


class Acceptance(models.TextChoices):
    """What the earner said about a badge (Badgr's values): new ones are Unaccepted; a
    Rejected one is hidden from its public page and from the earner's backpack."""

    UNACCEPTED = "Unaccepted", _("Unaccepted")
    ACCEPTED = "Accepted", _("Accepted")
    REJECTED = "Rejected", _("Rejected")


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AssignmentBatch(EntityModel):
    """One assignment of a badge template to one or many earners, with its context."""

    issuer = models.ForeignKey(
        "issuers.Issuer", on_delete=models.PROTECT, related_name="assignment_batches"
    )
    badge_template_version = models.ForeignKey(
        "templates_app.BadgeTemplateVersion", on_delete=models.PROTECT, related_name="batches"
    )
    activity_title = models.CharField(max_length=255, blank=True)
    activity_started_at = models.DateTimeField(null=True, blank=True)
    activity_ended_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    narrative = models.TextField(blank=True)
    notify = models.BooleanField(default=True)
    email_message = models.TextField(
        blank=True, help_text="Markdown added to this assignment's emails (placeholders allowed)."
    )
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING, db_index=True
    )
    total = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list,
        blank=True,
        help_text=_("The rows that could not be issued, each with the reason."),
    )
    # The caller's own numbering of the rows (the wizard: the uploaded file's row
    # numbers), by position; empty when the rows are numbered 1.. in the order given.
    source_rows = models.JSONField(default=list, blank=True)
    # Rows of the caller's list left out before anything was issued, with the reason:
    # [{row, email, message}] (the wizard's rejected rows), so the report lists them.
    rejected = models.JSONField(default=list, blank=True)
    credits_reserved = models.PositiveIntegerField(default=0)
    credits_used = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "assignment batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(issued__lte=F("total")) & Q(failed__lte=F("total")),
                name="assertions_batch_counts_within_total",
            ),
            models.CheckConstraint(
                condition=Q(credits_used__lte=F("credits_reserved")),
                name="assertions_batch_used_within_reserved",
            ),
        ]

    def __str__(self) -> str:
        return f"Batch {self.entity_id} ({self.issued}/{self.total})"


class AssignmentChunk(BaseModel):
    """Consecutive rows of a queued batch (`first_row`..`last_row`, numbered from 1),
    awarded by one task in one transaction: any worker of the bulk queue takes any chunk
    (assertions.services.batches). A worker holds its chunk's row locked while it awards
    it, so a chunk claimed and not locked lost its worker."""

    batch = models.ForeignKey(AssignmentBatch, on_delete=models.CASCADE, related_name="chunks")
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    done = models.BooleanField(default=False)
    issued = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # When a worker last took it (committed before it starts), and how many times.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        # No ordering: a query of chunks joins no other table, so that locking a chunk's
        # row (FOR UPDATE) never locks its batch's with it.
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "first_row"], name="assertions_chunk_unique_first_row"
            ),
            models.CheckConstraint(
                condition=Q(first_row__gte=1) & Q(last_row__gte=F("first_row")),
                name="assertions_chunk_rows_in_order",
            ),
        ]
        indexes = [
            # The sweep's question every few seconds: the chunks not done.
            models.Index(
                fields=["updated_at"], condition=Q(done=False), name="assertions_chunk_todo"
            ),
        ]

    def __str__(self) -> str:
        return f"Rows {self.first_row}-{self.last_row} of batch {self.batch_id}"


class Assertion(EntityModel):
    """An awarded badge: the fields of the Open Badge API "badge", plus Open Badges needs."""

    # Open Badge API fields (names as in spec/open-badge-api-badges.txt).
    imported = models.BooleanField(
        default=False, help_text="Imported from another system rather than issued here."
    )
    status = models.CharField(
        max_length=10, choices=AssertionStatus.choices, default=AssertionStatus.VALID
    )
    badge_template_version = models.ForeignKey(
        "templates_app.BadgeTemplateVersion", on_delete=models.PROTECT, related_name="assertions"
    )
    # Foreign keys led by a composite index below get no index of their own: every
    # index is written by every award, and these would never be chosen over it.
    organization = models.ForeignKey(
        "issuers.Issuer", on_delete=models.PROTECT, related_name="assertions", db_index=False
    )
    activity_title = models.CharField(max_length=255, blank=True)
    activity_started_at = models.DateTimeField(null=True, blank=True)
    activity_ended_at = models.DateTimeField(null=True, blank=True)
    recipient_email = models.EmailField(max_length=254)
    recipient_first_name = models.CharField(max_length=150, blank=True)
    recipient_last_name = models.CharField(max_length=150, blank=True)
    notes = models.TextField(blank=True)
    additional_details = models.JSONField(default=dict, blank=True)
    emitted_at = models.DateTimeField(help_text=_("When the badge was issued; it stays as it was."))
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    imp_legacy_id = models.CharField(max_length=255, blank=True)

    # What Open Badges and this platform need besides.
    badge_template = models.ForeignKey(
        "templates_app.BadgeTemplate",
        on_delete=models.PROTECT,
        related_name="assertions",
        db_index=False,  # assertions_template_time leads with it
        help_text=_("The badge template it was issued from."),
    )
    earner = models.ForeignKey(
        "earners.Earner", on_delete=models.PROTECT, related_name="assertions", db_index=False
    )
    recipient_salt = models.CharField(max_length=32)
    recipient_hash = models.CharField(
        max_length=71,
        help_text=_("The earner's address, salted and hashed, as Open Badges documents carry it."),
    )
    narrative = models.TextField(
        blank=True, help_text=_("How the earner met the criteria (Markdown).")
    )
    evidence = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Links to, or words about, the work that earned the badge."),
    )
    batch = models.ForeignKey(
        AssignmentBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="assertions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    is_private = models.BooleanField(
        default=False, help_text=_("Hidden by its earner: nobody else can open its public page.")
    )
    recipient_name_hidden = models.BooleanField(
        default=False,
        help_text=_("Its earner chose not to show their name on the badge's shared document."),
    )
    acceptance = models.CharField(
        max_length=10,
        choices=Acceptance.choices,
        default=Acceptance.UNACCEPTED,
        help_text="The earner's answer; a rejected badge is hidden like a private one.",
    )

    class Meta:
        ordering = ["-emitted_at", "-id"]
        indexes = [
            # Lists by issuer or template in their two orders, read in index order: newest
            # issued first (/api/v1, pages; `id` breaks ties) and newest made first (/v2's
            # cursor pages). Without the second, /v2 walked the primary key backwards
            # over every other issuer's newer badges (`make bench BENCH_ARGS=--scale`).
            models.Index(
                fields=["organization", "-emitted_at", "-id"], name="assertions_issuer_time"
            ),
            models.Index(
                fields=["badge_template", "-emitted_at", "-id"], name="assertions_template_time"
            ),
            models.Index(fields=["organization", "-id"], name="assertions_issuer_newest"),
            models.Index(fields=["badge_template", "-id"], name="assertions_template_newest"),
            models.Index(fields=["earner", "badge_template"], name="assertions_earner_template"),
            models.Index(
                fields=["recipient_email", "-emitted_at", "-id"], name="assertions_recipient_email"
            ),
            models.Index(
                fields=["expires_at"],
                name="assertions_valid_expiring",
                condition=Q(status=AssertionStatus.VALID, expires_at__isnull=False),
            ),
            # The staff badge list's filters (assertions.selectors.issuer_badges_filtered),
            # led by the issuer: by status, newest first; imported ones. Its search (the
            # start of an email or of a name, LIKE 'abc%') reads PostgreSQL-only
            # pattern-ops indexes made by migration 0007 (assertions_issuer_*_like).
            models.Index(
                fields=["organization", "status", "-emitted_at"], name="assertions_issuer_status"
            ),
            models.Index(
                fields=["organization", "-emitted_at"],
                name="assertions_issuer_imported",
                condition=Q(imported=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                name="assertions_unique_idempotency_key",
                condition=~Q(idempotency_key=""),
            ),
            models.UniqueConstraint(
                fields=["organization", "imp_legacy_id"],
                name="assertions_unique_legacy_id",
                condition=~Q(imp_legacy_id=""),
            ),
            # An imported badge may be revoked on a date its source never recorded
            # (Badgr keeps none): "revoked, date unknown", not an invented date.
            models.CheckConstraint(
                condition=(
                    Q(status=AssertionStatus.REVOKED, revoked_at__isnull=False)
                    | Q(status=AssertionStatus.REVOKED, imported=True)
                    | (~Q(status=AssertionStatus.REVOKED) & Q(revoked_at__isnull=True))
                ),
                name="assertions_revoked_iff_revoked_at",
            ),
            # An imported badge keeps its source's dates even when its expiry precedes
            # its issue date (Badgr accepts that): it is shown as expired, never dropped.
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True)
                | Q(expires_at__gt=F("emitted_at"))
                | Q(imported=True),
                name="assertions_expires_after_emitted",
                violation_error_message="A badge must expire after it was issued.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(activity_started_at__isnull=True)
                    | Q(activity_ended_at__isnull=True)
                    | Q(activity_ended_at__gte=F("activity_started_at"))
                ),
                name="assertions_activity_ends_after_start",
                violation_error_message="The activity cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.badge_template_version.name} → {self.recipient_email}"

    @property
    def url(self) -> str:
        return f"{settings.SITE_URL}/public/assertions/{self.entity_id}"

    @property
    def is_hidden(self) -> bool:
        """Hidden from everyone but its earner: made private, or rejected."""
        return self.is_private or self.acceptance == Acceptance.REJECTED

    @property
    def recipient_name(self) -> str:
        return f"{self.recipient_first_name} {self.recipient_last_name}".strip()


class EventKind(models.TextChoices):
    ISSUED = "issued", _("Issued")
    IMPORTED = "imported", _("Imported")
    UPDATED = "updated", _("Updated")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    EMAIL_QUEUED = "email_queued", _("Email queued")
    EMAILED = "emailed", _("Emailed")
    EMAIL_FAILED = "email_failed", _("Email failed")
    VIEWED = "viewed", _("Viewed by a verifier")
    ACCEPTANCE = "acceptance", _("Accepted or rejected by its earner")


class AssertionEvent(models.Model):
    """Append-only audit trail of an assertion. Never updated or deleted by the services."""

    created_at = models.DateTimeField(auto_now_add=True)
    assertion = models.ForeignKey(
        Assertion,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # assertions_event_time leads with it
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["assertion", "created_at"], name="assertions_event_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.assertion_id}"


class ImportedBadge(EntityModel):
    """An Open Badges 2.0 badge from another platform that an earner added to their
    backpack, after it was verified (hosted, awarded to them, not revoked).

    The documents are kept as fetched; nothing here is issued by this platform, so it
    is never served under /public/.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_badges"
    )
    source_url = WebURLField(max_length=1024, help_text="The hosted assertion's id.")
    recipient_email = models.EmailField(max_length=254, help_text="The address it matched.")
    name = models.CharField(max_length=255)
    issuer_name = models.CharField(max_length=255)
    image_url = models.TextField(blank=True, help_text="The BadgeClass image (URL or data URI).")
    issued_on = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    assertion = models.JSONField()
    badgeclass = models.JSONField()
    issuer = models.JSONField()
    verified_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source_url"],
                name="assertions_imported_unique_per_user",
                violation_error_message="This badge is already in your backpack.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer_name}) → {self.user}"


class Collection(EntityModel):
    """An earner's chosen set of their badges (Badgr's BackpackCollection): shown to
    anyone at /public/collections/<entity_id> while `published`, each badge linking to
    its own page, where it is verified."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badge_collections"
    )
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True, max_length=2000)
    published = models.BooleanField(default=False)
    assertions = models.ManyToManyField(Assertion, related_name="collections", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def share_url(self) -> str | None:
        if not self.published:
            return None
        return f"{settings.SITE_URL}/public/collections/{self.entity_id}"
