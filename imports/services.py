"""What every import shares: the report of what happened, progress, runs, legacy ids.

The importers themselves are `imports.badgr` (a Badgr server through its v2 API),
`imports.documents` (Open Badges 2.0 baked images and hosted assertion URLs) and
`imports.spreadsheet` (a sheet of past awards). Each is idempotent on legacy ids: a
second run finds what the first one made (LegacyObject for issuers and badge classes,
Assertion.imp_legacy_id for badges), updates what changed and duplicates nothing.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from imports.models import ImportRun, LegacyKind, LegacyObject, RunKind, RunStatus
from issuers.models import Issuer
from issuers.permissions import MANAGE_TEMPLATES, require_role

MAX_STORED_ERRORS = 1000
OUTCOMES = ("created", "updated", "unchanged", "failed")


@dataclass(frozen=True)
class ItemError:
    kind: str  # issuer | badgeclass | assertion | file | row
    legacy_id: str
    message: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.legacy_id, "message": self.message}


@dataclass
class Report:
    """Counts per kind of object and outcome, and the problems item by item."""

    counts: dict = field(default_factory=lambda: defaultdict(lambda: dict.fromkeys(OUTCOMES, 0)))
    errors: list[ItemError] = field(default_factory=list)
    dry_run: bool = False

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        if n:
            self.counts[kind][outcome] += n

    def fail(self, kind: str, legacy_id, message: str) -> None:
        self.add(kind, "failed")
        self.errors.append(ItemError(kind, str(legacy_id or ""), message))

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    @property
    def changed(self) -> bool:
        return bool(self.total("created") or self.total("updated"))

    def counts_dict(self) -> dict:
        return {kind: dict(c) for kind, c in self.counts.items()}

    def errors_list(self) -> list[dict]:
        return [e.as_dict() for e in self.errors[:MAX_STORED_ERRORS]]


class Progress:
    """Told how far an import got; the command draws a bar, a web run saves its row."""

    def stage(self, text: str) -> None:
        pass

    def add_total(self, n: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def note(self, report: Report) -> None:
        """Called inside each chunk's transaction with the report so far."""


class RunProgress(Progress):
    """Keeps an ImportRun's row up to date, in the transaction of the chunk it counts."""

    def __init__(self, run: ImportRun):
        self.run = run

    def _save(self, *fields):
        self.run.save(update_fields=[*fields, "updated_at"])

    def stage(self, text: str) -> None:
        self.run.stage = text[:255]
        self._save("stage")

    def add_total(self, n: int) -> None:
        self.run.total += n
        self._save("total")

    def advance(self, n: int = 1) -> None:
        self.run.processed += n
        self._save("processed")

    def note(self, report: Report) -> None:
        self.run.counts = report.counts_dict()
        self.run.errors = report.errors_list()
        self._save("counts", "errors")


def strip_nul(value):
    """The value with NUL characters removed from every string in it: PostgreSQL cannot
    store them (in text or JSON), and an old server's data is not ours to trust."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    return value


# --- legacy ids ---------------------------------------------------------------------------


def legacy_target(*, source: str, kind: str, legacy_id: str):
    """The issuer, template or assertion an old object became, or None."""
    row = (
        LegacyObject.objects.filter(source=source, kind=kind, legacy_id=legacy_id)
        .select_related("issuer", "template", "template__current_version", "assertion")
        .first()
    )
    if row is None:
        return None
    return {
        LegacyKind.ISSUER: row.issuer,
        LegacyKind.BADGECLASS: row.template,
        LegacyKind.ASSERTION: row.assertion,
    }[kind]


def legacy_record(*, source: str, kind: str, legacy_id: str, target) -> None:
    """Remember what an old object became (once; a second record is ignored)."""
    LegacyObject.objects.bulk_create(
        [LegacyObject(source=source, kind=kind, legacy_id=legacy_id, **{_fk(kind): target})],
        ignore_conflicts=True,
    )


def legacy_record_assertions(*, source: str, assertions) -> None:
    LegacyObject.objects.bulk_create(
        [
            LegacyObject(
                source=source,
                kind=LegacyKind.ASSERTION,
                legacy_id=a.imp_legacy_id,
                assertion=a,
            )
            for a in assertions
            if a.imp_legacy_id
        ],
        ignore_conflicts=True,
        batch_size=500,
    )


def _fk(kind: str) -> str:
    return {
        LegacyKind.ISSUER: "issuer",
        LegacyKind.BADGECLASS: "template",
        LegacyKind.ASSERTION: "assertion",
    }[kind]


def legacy_assertion_for_redirect(legacy_id: str):
    """The badge that the legacy public URL /public/assertions/<legacy_id> now is, from
    the legacy table (indexed: every unknown public id asks); None when unknown,
    ambiguous or private."""
    from assertions.models import Assertion

    targets = list(
        LegacyObject.objects.filter(kind=LegacyKind.ASSERTION, legacy_id=legacy_id)
        .values_list("assertion_id", flat=True)
        .distinct()[:2]
    )
    if len(targets) != 1:
        return None
    return (
        Assertion.objects.filter(pk=targets[0], is_private=False)
        .only("entity_id", "is_private")
        .first()
    )


def legacy_object_for_redirect(kind: str, legacy_id: str):
    """The template or issuer a legacy /public/badges|issuers/<id> names, if unambiguous."""
    rows = list(
        LegacyObject.objects.filter(kind=kind, legacy_id=legacy_id).select_related(
            "issuer", "template"
        )[:2]
    )
    if len(rows) != 1:
        return None
    return rows[0].issuer if kind == LegacyKind.ISSUER else rows[0].template


# --- runs -----------------------------------------------------------------------------------


@transaction.atomic
def import_run_create_badgr(
    *, issuer: Issuer, actor, url: str, token: str, source_issuers=(), dry_run: bool = False
) -> ImportRun:
    """Record an import from a Badgr server into `issuer`, run by a worker after commit."""
    from imports.badgr_client import BadgrClient, BadgrError
    from imports.tasks import run_badgr_import

    require_role(actor, issuer, MANAGE_TEMPLATES)
    try:
        # The URL and token are well-formed, and the address may be fetched: a private
        # address is refused here, connecting to nothing, with the worker's own sentence.
        BadgrClient(url, token).check_address()
    except BadgrError as exc:
        raise ApplicationError(exc.message, field_errors={"url": [exc.message]}) from None
    ids = [s.strip() for s in source_issuers if s and s.strip()]
    run = ImportRun.objects.create(
        kind=RunKind.BADGR,
        issuer=issuer,
        source_url=url.strip(),
        token=token.strip(),
        source_issuers=ids,
        dry_run=dry_run,
        created_by=actor,
    )
    run_id = run.pk
    transaction.on_commit(lambda: run_badgr_import.delay(run_id), robust=True)
    return run


@transaction.atomic
def import_run_create_documents(*, issuer: Issuer, actor, documents, emails=()) -> ImportRun:
    """Record an import of Open Badges files/URLs into `issuer`, run by a worker."""
    from imports.documents import documents_store
    from imports.tasks import run_documents_import

    require_role(actor, issuer, MANAGE_TEMPLATES)
    documents = list(documents)
    if not documents:
        raise ApplicationError(
            "Give a badge image, a zip of them, or hosted badge URLs.",
            field_errors={"files": ["Nothing to import."]},
        )
    run = ImportRun.objects.create(
        kind=RunKind.DOCUMENTS,
        issuer=issuer,
        source_url=documents[0].url or documents[0].name,
        total=0,
        created_by=actor,
    )
    documents_store(run, documents, emails)
    run_id = run.pk
    transaction.on_commit(lambda: run_documents_import.delay(run_id), robust=True)
    return run


def import_run_start(run: ImportRun) -> None:
    # A resumed run counts again from the start (what is there already is "unchanged").
    ImportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        updated_at=timezone.now(),
        total=0,
        processed=0,
    )
    run.refresh_from_db()


def import_run_finish(run: ImportRun, report: Report | None, *, message: str = "") -> ImportRun:
    """Done (or failed, with `message`); the token is forgotten either way."""
    run.status = RunStatus.FAILED if message else RunStatus.DONE
    run.message = message
    run.token = ""
    run.finished_at = timezone.now()
    run.stage = "Failed" if message else "Finished"
    fields = ["status", "message", "token", "finished_at", "stage", "updated_at"]
    if report is not None:
        run.counts = report.counts_dict()
        run.errors = report.errors_list()
        fields += ["counts", "errors"]
    run.save(update_fields=fields)
    return run


def import_run_record(
    *, kind: str, issuer: Issuer, actor, report: Report, source: str = ""
) -> ImportRun:
    """A finished run of a synchronous import (files, spreadsheet), to show its result."""
    now = timezone.now()
    total = report.total("created") + report.total("updated") + report.total("unchanged")
    return ImportRun.objects.create(
        kind=kind,
        issuer=issuer,
        source_url=source[:1024],
        status=RunStatus.DONE,
        stage="Finished",
        total=total + report.total("failed"),
        processed=total + report.total("failed"),
        counts=report.counts_dict(),
        errors=report.errors_list(),
        started_at=now,
        finished_at=now,
        created_by=actor,
    )


def import_runs_resume_stale(*, older_than_seconds: int = 900) -> int:
    """Enqueue again the background runs pending or running with no progress for a while
    (their worker died, or the broker was down when they were created); how many. Every
    import is idempotent, so running one again carries on where it stopped."""
    from datetime import timedelta

    from imports.tasks import run_badgr_import, run_documents_import

    stale = ImportRun.objects.filter(
        status__in=[RunStatus.PENDING, RunStatus.RUNNING],
        kind__in=[RunKind.BADGR, RunKind.DOCUMENTS],
        updated_at__lt=timezone.now() - timedelta(seconds=older_than_seconds),
    ).values_list("pk", "kind")[:100]
    count = 0
    for pk, kind in stale:
        task = run_badgr_import if kind == RunKind.BADGR else run_documents_import
        task.delay(pk)
        count += 1
    return count
