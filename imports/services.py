"""Import runs: an import recorded, run by a worker (a Badgr server, Open Badges files)
or at once (a spreadsheet, files), resumed when its worker was lost.

The importers themselves are `imports.badgr` (a Badgr server through its v2 API),
`imports.documents` (Open Badges 2.0 baked images and hosted assertion URLs) and
`imports.spreadsheet` (a sheet of past awards). Each is idempotent on legacy ids
(`imports.legacy`): a second run finds what the first one made (LegacyObject for issuers
and badge classes, Assertion.imp_legacy_id for badges), updates what changed and
duplicates nothing. Each fills a `imports.report.Report` and tells an
`imports.progress.Progress` how far it got.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from assertions.models import Acceptance, Assertion
from core.enqueue import enqueue_on_commit, task
from core.exceptions import ApplicationError
from imports.badgr_client import BadgrClient, BadgrError
from imports.documents import documents_store
from imports.models import ImportRun, LegacyKind, LegacyObject, RunKind, RunStatus
from imports.report import Report
from issuers.models import Issuer
from issuers.permissions import MANAGE_TEMPLATES, require_role

# The tasks that run them (imports.tasks, which imports this module), by their names.
RUN_BADGR = "imports.tasks.run_badgr_import"
RUN_DOCUMENTS = "imports.tasks.run_documents_import"


# --- legacy public URLs -------------------------------------------------------------------


def legacy_assertion_for_redirect(legacy_id: str):
    """The badge that the legacy public URL /public/assertions/<legacy_id> now is, from
    the legacy table (indexed: every unknown public id asks); None when unknown,
    ambiguous or private."""
    targets = list(
        LegacyObject.objects.filter(kind=LegacyKind.ASSERTION, legacy_id=legacy_id)
        .values_list("assertion_id", flat=True)
        .distinct()[:2]
    )
    if len(targets) != 1:
        return None
    return (
        Assertion.objects.filter(pk=targets[0], is_private=False)
        .exclude(acceptance=Acceptance.REJECTED)
        .only("entity_id")
        .first()
    )


def legacy_object_for_redirect(kind: str, legacy_id: str):
    """The template or issuer a legacy /public/badges|issuers/<id> names, if unambiguous."""
    rows = list(
        LegacyObject.objects.filter(kind=kind, legacy_id=legacy_id).select_related(
            "issuer", "template__current_version"
        )[:2]
    )
    if len(rows) != 1:
        return None
    return rows[0].issuer if kind == LegacyKind.ISSUER else rows[0].template


# --- runs ---------------------------------------------------------------------------------


@transaction.atomic
def import_run_create_badgr(
    *,
    issuer: Issuer,
    actor,
    url: str,
    token: str,
    source_issuers=(),
    dry_run: bool = False,
    anyway: bool = False,
) -> ImportRun:
    """Record an import from a Badgr server into `issuer`, run by a worker after commit."""
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
        anyway=anyway,
        created_by=actor,
    )
    enqueue_on_commit(RUN_BADGR, run.pk)
    return run


@transaction.atomic
def import_run_create_documents(*, issuer: Issuer, actor, documents, emails=()) -> ImportRun:
    """Record an import of Open Badges files/URLs into `issuer`, run by a worker."""
    require_role(actor, issuer, MANAGE_TEMPLATES)
    documents = list(documents)
    if not documents:
        raise ApplicationError(
            gettext("Give a badge image, a zip of them, or hosted badge URLs."),
            field_errors={"files": [gettext("Nothing to import.")]},
        )
    run = ImportRun.objects.create(
        kind=RunKind.DOCUMENTS,
        issuer=issuer,
        source_url=documents[0].url or documents[0].name,
        total=0,
        created_by=actor,
    )
    documents_store(run, documents, emails)
    enqueue_on_commit(RUN_DOCUMENTS, run.pk)
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
        run.warnings = report.warnings_list()
        fields += ["counts", "errors", "warnings"]
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
        warnings=report.warnings_list(),
        started_at=now,
        finished_at=now,
        created_by=actor,
    )


def import_runs_resume_stale(*, older_than_seconds: int = 900) -> int:
    """Enqueue again the background runs pending or running with no progress for a while
    (their worker died, or the broker was down when they were created); how many. Every
    import is idempotent, so running one again carries on where it stopped."""
    stale = ImportRun.objects.filter(
        status__in=[RunStatus.PENDING, RunStatus.RUNNING],
        kind__in=[RunKind.BADGR, RunKind.DOCUMENTS],
        updated_at__lt=timezone.now() - timedelta(seconds=older_than_seconds),
    ).values_list("pk", "kind")[:100]
    count = 0
    for pk, kind in stale:
        task(RUN_BADGR if kind == RunKind.BADGR else RUN_DOCUMENTS).delay(pk)
        count += 1
    return count
