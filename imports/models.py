from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel, EntityModel


class LegacyKind(models.TextChoices):
    ISSUER = "issuer", _("Issuer")
    BADGECLASS = "badgeclass", _("Badge class")
    ASSERTION = "assertion", _("Assertion")


class LegacyObject(BaseModel):
    """What an object of the old platform became here.

    Re-running an import finds its issuers and badge classes again through this table
    (badges also carry their old id in `Assertion.imp_legacy_id`), and the legacy public
    URLs (`/public/assertions/<old id>`) redirect through it.
    """

    source = models.CharField(
        max_length=255, help_text="Where it came from: the old server's origin, or 'file'."
    )
    kind = models.CharField(max_length=20, choices=LegacyKind.choices)
    legacy_id = models.CharField(max_length=255)
    issuer = models.ForeignKey(
        "issuers.Issuer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    template = models.ForeignKey(
        "templates_app.BadgeTemplate",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    assertion = models.ForeignKey(
        "assertions.Assertion", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["kind", "legacy_id"], name="imports_legacy_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "legacy_id"], name="imports_legacy_unique_per_source"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=LegacyKind.ISSUER, issuer__isnull=False)
                    | Q(kind=LegacyKind.BADGECLASS, template__isnull=False)
                    | Q(kind=LegacyKind.ASSERTION, assertion__isnull=False)
                ),
                name="imports_legacy_target_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.legacy_id} ({self.source})"


class RunKind(models.TextChoices):
    BADGR = "badgr", _("Badgr server")
    DOCUMENTS = "documents", _("Open Badges files")
    SPREADSHEET = "spreadsheet", _("Spreadsheet")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportRun(EntityModel):
    """One import: what it read, how far it got, and what went wrong item by item.

    The counts move in the same transaction as the items they count, so after a crash
    they say what is really there, and a new run of the same source resumes (already
    imported items are found by their legacy ids and left alone).
    """

    kind = models.CharField(max_length=20, choices=RunKind.choices)
    issuer = models.ForeignKey(
        "issuers.Issuer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="import_runs",
        help_text="Where everything goes; empty: each old issuer becomes an issuer here.",
    )
    source_url = models.CharField(max_length=1024, blank=True)
    # Kept only while the run may still need it; cleared when the run ends.
    token = models.CharField(max_length=2048, blank=True)
    source_issuers = models.JSONField(default=list, blank=True)
    dry_run = models.BooleanField(default=False)
    anyway = models.BooleanField(
        default=False, help_text="Keep what the source holds where the data allows."
    )
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING, db_index=True
    )
    stage = models.CharField(max_length=255, blank=True, help_text="What it is doing now.")
    total = models.PositiveIntegerField(default=0, help_text="Items known so far.")
    processed = models.PositiveIntegerField(default=0)
    counts = models.JSONField(
        default=dict, blank=True, help_text="{kind: {created, updated, unchanged, failed}}"
    )
    errors = models.JSONField(default=list, blank=True, help_text="[{kind, id, message}]")
    warnings = models.JSONField(
        default=list,
        blank=True,
        help_text="[{kind, id, message}]: imported, with something to know (kept as is).",
    )
    message = models.TextField(blank=True, help_text="Why the run stopped, when it failed.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.entity_id} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.processed * 100 // self.total)
