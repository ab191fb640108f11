"""Assignments too large for one request, run by a worker in resumable chunks.

- `batch_create` checks every row, reserves ALL the credits the batch may use in one
  ledger entry (InsufficientCreditsError, 402, and nothing recorded when they are not
  there) and stores the rows beside the batch in the private storage
  (`assignment-batches/<batch id>.jsonl`: the model has no place for them).
- `batch_start` (the worker's first task) splits the batch into chunks of
  ASSIGN_BATCH_CHUNK rows (`AssignmentChunk`) and enqueues a task per chunk, which any
  worker of the bulk queue takes: a second worker speeds up one batch, a dead worker
  loses at most the chunk it held. `batch_chunk_run` awards a chunk's rows through
  `assertions_award` in one transaction, holding the chunk's row locked; the chunk is
  marked done and the batch's counts and credits used move in that transaction, so a
  row is never issued twice (and every badge carries the idempotency key
  `batch:<batch id>:<row>`). Chunks finish in any order; the last one refunds the credits
  not used and marks the batch done (or failed when nothing could be issued), once.
- `batches_resume_stale` (beat, every few seconds) sends again what a dead worker held or
  the broker lost: a chunk claimed and not locked by a live worker, a chunk or batch
  whose message was lost.
- `batch_run` runs a whole batch in the caller's process, chunk after chunk.

Rows are numbered from 1 in the order given.
"""

import logging
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import router, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assertions.models import (
    Assertion,
    AssertionEvent,
    AssignmentBatch,
    AssignmentChunk,
    BatchStatus,
)
from assertions.services.award import assertions_award, template_awardable
from assertions.services.credits import award_credits_refund, award_credits_reserve
from assertions.services.rows import (
    MAX_EARNERS,
    dates_check,
    earner_rows_clean,
    email_message_clean,
)
from core.analyze import analyze_unknown
from core.enqueue import broker_lost_its_messages, enqueue_on_commit, queue_length
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.models import OutboundEmail
from core.storage import private_delete, private_open, private_storage
from earners.models import Earner
from issuers.permissions import ASSIGN, require_role
from templates_app.models import BadgeTemplate

log = logging.getLogger(__name__)

CHUNK = 500  # rows per transaction of a running batch
MAX_STORED_ERRORS = 1_000  # per-row errors kept on a batch (the count stays exact)
ROWS_DIR = "assignment-batches"
# A chunk claimed this many times without being done (its workers died, or it failed
# each time) stops its batch rather than going round for ever.
MAX_CHUNK_ATTEMPTS = 6
# What the chunks of a batch write and query in bulk: analysed at a batch's start when
# PostgreSQL has no statistics of them yet (core.analyze).
BULK_TABLES = [m._meta.db_table for m in (Earner, User, Assertion, AssertionEvent, OutboundEmail)]
# The tasks that start a batch and award a chunk (assertions.tasks, which imports this
# module), by their names.
RUN_BATCH = "assertions.tasks.run_assignment_batch"
RUN_CHUNK = "assertions.tasks.run_assignment_chunk"


def rows_file_name(batch: AssignmentBatch) -> str:
    return f"{ROWS_DIR}/{batch.entity_id}.jsonl"


def batch_numbering_clean(source_rows, rejected, *, count: int) -> dict:
    """How the caller's list numbers an assignment's rows, checked: `source_rows`, one
    distinct positive number per row (None or empty: 1.. in order), and `rejected`, the rows of
    that list left out before, each {row, email, message} (at most MAX_EARNERS)."""
    errors = {}
    numbers = list(source_rows or [])
    if numbers and (
        len(numbers) != count
        or not all(type(n) is int and n > 0 for n in numbers)
        or len(set(numbers)) != len(numbers)
    ):
        errors["source_rows"] = [_("Give one distinct positive row number per earner.")]
    left_out = []
    if not isinstance(rejected or [], list) or len(rejected or []) > MAX_EARNERS:
        errors["rejected"] = [_("Give at most %(n)s rows left out.") % {"n": MAX_EARNERS}]
    else:
        for item in rejected or []:
            row = item.get("row") if isinstance(item, dict) else None
            if type(row) is not int or row <= 0:
                errors["rejected"] = [_("Each row left out needs its row number.")]
                break
            left_out.append(
                {
                    "row": row,
                    "email": str(item.get("email") or "")[:254],
                    "message": str(item.get("message") or "")[:1000],
                }
            )
    if errors:
        raise ApplicationError(_("The rows' numbers are not consistent."), field_errors=errors)
    return {"source_rows": numbers, "rejected": left_out}


@transaction.atomic
def batch_create(
    *,
    template: BadgeTemplate,
    rows,
    actor=None,
    activity_title: str = "",
    activity_started_at: datetime | None = None,
    activity_ended_at: datetime | None = None,
    expires_at: datetime | None = None,
    notes: str = "",
    narrative: str = "",
    notify: bool = True,
    allow_duplicate: bool = True,
    email_message: str = "",
    source_rows: list[int] | None = None,
    rejected: list[dict] | None = None,
) -> AssignmentBatch:
    """Record a batch to be run by a worker: rows checked, credits reserved, rows stored,
    the run enqueued once this commits. `expires_at` is the badges' expiry (None: never).
    `source_rows` and `rejected`: see `batch_numbering_clean`.
    """
    require_role(actor, template.issuer, ASSIGN)
    template = template_awardable(template)
    issuer = template.issuer
    rows = earner_rows_clean(rows)
    numbering = batch_numbering_clean(source_rows, rejected, count=len(rows))
    dates_check(
        emitted_at=timezone.now(),
        expires_at=expires_at,
        started=activity_started_at,
        ended=activity_ended_at,
    )
    batch = AssignmentBatch.objects.create(
        issuer=issuer,
        badge_template_version=template.current_version,
        activity_title=(activity_title or "").strip(),
        activity_started_at=activity_started_at,
        activity_ended_at=activity_ended_at,
        expires_at=expires_at,
        notes=notes or "",
        narrative=narrative or "",
        notify=notify,
        email_message=email_message_clean(email_message),
        status=BatchStatus.PENDING,
        total=len(rows),
        created_by=actor,
        **numbering,
    )
    if notify:
        batch.credits_reserved = award_credits_reserve(
            issuer=issuer,
            amount=len(rows),
            actor=actor,
            batch=batch,
            note=f"Assignment batch {batch.entity_id}",
        )
        batch.save(update_fields=["credits_reserved", "updated_at"])
    header = {"allow_duplicate": allow_duplicate}
    # orjson: JSON lines read and written 3-5 times faster than by json (reading them
    # was a tenth of a chunk's Python time).
    lines = [orjson.dumps(header)] + [orjson.dumps(row) for row in rows]
    name = rows_file_name(batch)
    stored = private_storage.save(name, ContentFile(b"\n".join(lines) + b"\n"))
    if stored != name:
        private_storage.delete(stored)
        raise ConflictError(_("The rows of this batch could not be stored; try again."))
    # With the broker down the batch still stands (202); the sweep enqueues it.
    enqueue_on_commit(RUN_BATCH, batch.pk)
    return batch


def _read_rows(batch: AssignmentBatch, *, first: int = 1, last: int = 0):
    """(header, [(row number, row)] for rows `first`..`last`) from the stored rows file,
    read until `last` (0: the header only)."""
    with private_open(rows_file_name(batch)) as handle:
        lines = (line for line in handle if line.strip())
        header = orjson.loads(next(lines))
        rows = []
        for number, line in enumerate(lines, start=1):
            if number > last:
                break
            if number >= first:
                rows.append((number, orjson.loads(line)))
    return header, rows


def _unreadable(batch_id: int, batch: AssignmentBatch) -> AssignmentBatch:
    log.exception("Rows of assignment batch %s cannot be read", batch.entity_id)
    return batch_fail(batch_id=batch_id, message=_("The rows of this batch cannot be read."))


def batch_start(*, batch_id: int, enqueue: bool = True) -> AssignmentBatch:
    """Split a batch into its chunks (ASSIGN_BATCH_CHUNK rows each) and enqueue a task per
    chunk once this commits: any worker of the bulk queue takes any of them, so a second
    worker speeds up one batch and a dead worker loses at most its chunk. Safe to call
    again at any point: a batch split already is left to its chunks (closed when none is
    left), a finished one alone. A batch that a release before chunks had begun is split
    from the first row it had not done (its rows done were a prefix)."""
    batch = AssignmentBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundError(_("Assignment batch not found."))
    if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
        return batch
    try:
        _read_rows(batch)  # the rows are there to be read: or the batch stops now
    except (OSError, ValueError, StopIteration):
        return _unreadable(batch_id, batch)
    analyze_unknown(BULK_TABLES, using=router.db_for_write(Assertion))  # before the chunks
    with transaction.atomic():
        batch = (
            AssignmentBatch.objects.select_for_update(of=("self",))
            .select_related("issuer")
            .get(pk=batch_id)
        )
        if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
            return batch
        if batch.status == BatchStatus.PENDING:
            batch.status = BatchStatus.RUNNING
            batch.started_at = timezone.now()
            batch.save(update_fields=["status", "started_at", "updated_at"])
        made = []
        if not batch.chunks.exists():
            # A setting so that tests can make many small chunks (and kill a worker
            # between them).
            size = getattr(settings, "ASSIGN_BATCH_CHUNK", CHUNK)
            made = AssignmentChunk.objects.bulk_create(
                AssignmentChunk(
                    batch=batch, first_row=first, last_row=min(first + size - 1, batch.total)
                )
                for first in range(batch.issued + batch.failed + 1, batch.total + 1, size)
            )
        if not made and not batch.chunks.filter(done=False).exists():
            return _close(batch)
        for chunk in made if enqueue else []:
            enqueue_on_commit(RUN_CHUNK, chunk.pk)
    return batch


def batch_run(*, batch_id: int) -> AssignmentBatch:
    """Run (or resume) a whole batch in this process, chunk after chunk: what the bulk
    workers do with its chunk tasks, for a caller that waits for the end (tests,
    benchmarks). Safe to call again at any point, also concurrently: finished batches
    are left alone and chunks done (or held by a worker) are skipped."""
    batch_start(batch_id=batch_id, enqueue=False)
    todo = AssignmentChunk.objects.filter(batch_id=batch_id, done=False).order_by("first_row")
    for chunk_id in list(todo.values_list("pk", flat=True)):
        batch_chunk_run(chunk_id=chunk_id)
    return AssignmentBatch.objects.get(pk=batch_id)


class _BatchOver(Exception):
    """The batch stopped (failed) while a chunk of it was being awarded: undo the chunk."""


def batch_chunk_run(*, chunk_id: int) -> str:
    """Award one chunk of a running batch, in one transaction, unless it is done or
    another worker holds it; the last chunk to finish closes the batch, in the same
    transaction. What happened: "done" (awarded now), "skipped" (done already, held by
    another worker, or its batch is over), "failed" (the batch stopped).

    Every row is awarded at most once: a worker claims the chunk (a committed mark, so
    the sweep can tell a chunk whose worker died), then holds its row locked while it
    awards it and marks it done; each badge carries the idempotency key
    `batch:<batch id>:<row>`. The batch's row is locked only for the chunk's last
    statements (its counts, errors and credits used move there), so chunks of one batch
    run side by side and finish in any order.
    """
    chunk = _chunk_claim(chunk_id)
    if chunk is None:
        return "skipped"
    batch = chunk.batch
    if chunk.attempts > MAX_CHUNK_ATTEMPTS:
        message = _("A part of this batch stopped its worker too many times. Ask support.")
        batch_fail(batch_id=batch.pk, message=message)
        return "failed"
    try:
        header, rows = _read_rows(batch, first=chunk.first_row, last=chunk.last_row)
    except (OSError, ValueError, StopIteration):
        _unreadable(batch.pk, batch)
        return "failed"
    try:
        awarded = _chunk_award(
            chunk_id, rows, allow_duplicate=bool(header.get("allow_duplicate", True))
        )
    except _BatchOver:
        return "skipped"
    return "done" if awarded else "skipped"


@transaction.atomic
def _chunk_claim(chunk_id: int) -> AssignmentChunk | None:
    chunk = (
        AssignmentChunk.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("batch")
        .filter(pk=chunk_id, done=False)
        .first()
    )
    if chunk is None or chunk.batch.status != BatchStatus.RUNNING:
        return None
    chunk.claimed_at = timezone.now()
    chunk.attempts += 1
    chunk.save(update_fields=["claimed_at", "attempts", "updated_at"])
    return chunk


@transaction.atomic
def _chunk_award(chunk_id: int, rows: list[tuple[int, dict]], *, allow_duplicate: bool) -> bool:
    chunk = (
        AssignmentChunk.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=chunk_id, done=False)
        .first()
    )
    if chunk is None:
        return False  # done meanwhile, or another worker took it over and holds it
    batch = AssignmentBatch.objects.select_related(
        "issuer", "badge_template_version__template", "created_by"
    ).get(pk=chunk.batch_id)
    if batch.status != BatchStatus.RUNNING:
        return False
    version = batch.badge_template_version
    template = version.template
    template.issuer = batch.issuer  # the same row, read already
    outcome = assertions_award(
        template=template,
        version=version,  # the one the batch was created with, whatever is current now
        items=[
            (number, {**row, "idempotency_key": f"batch:{batch.entity_id}:{number}"})
            for number, row in rows
        ],
        actor=batch.created_by,
        notify=batch.notify,
        allow_duplicate=allow_duplicate,
        batch=batch,
        fresh_keys=True,  # this chunk's, held locked: no award can have used them
        defaults={
            "activity_title": batch.activity_title,
            "activity_started_at": batch.activity_started_at,
            "activity_ended_at": batch.activity_ended_at,
            "expires_at": batch.expires_at,
            "notes": batch.notes,
            "narrative": batch.narrative,
        },
    )
    chunk.done = True
    chunk.issued, chunk.failed = outcome.issued, len(outcome.errors)
    chunk.save(update_fields=["done", "issued", "failed", "updated_at"])
    counts = {
        "issued": F("issued") + outcome.issued,
        "failed": F("failed") + len(outcome.errors),
        "updated_at": timezone.now(),
    }
    if batch.notify:
        counts["credits_used"] = F("credits_used") + outcome.issued
    # The batch's row is locked from here to the commit: chunks finishing together take
    # turns, and each then sees what the others committed.
    if not AssignmentBatch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(**counts):
        raise _BatchOver  # stopped meanwhile, its credits refunded: this chunk is undone
    if outcome.errors:
        _errors_add(batch.pk, [e.as_dict() for e in outcome.errors])
    if not AssignmentChunk.objects.filter(batch_id=batch.pk, done=False).exists():
        # the last chunk: the batch is over (its row is locked by this transaction)
        _close(
            AssignmentBatch.objects.select_for_update().select_related("issuer").get(pk=batch.pk)
        )
    return True


def _errors_add(batch_id: int, errors: list[dict]) -> None:
    """Keep the rows' errors on the batch (locked by the caller): the MAX_STORED_ERRORS
    first by row (its `failed` count stays exact)."""
    kept = AssignmentBatch.objects.filter(pk=batch_id).values_list("errors", flat=True).get()
    # The first rows' errors whatever order the chunks finish in.
    merged = sorted([*kept, *errors], key=lambda e: e["row"] or 0)[:MAX_STORED_ERRORS]
    AssignmentBatch.objects.filter(pk=batch_id).update(errors=merged)


@transaction.atomic
def _finish(batch_id: int, *, message: str = "") -> AssignmentBatch:
    batch = AssignmentBatch.objects.select_for_update().select_related("issuer").get(pk=batch_id)
    return _close(batch, message=message)


def _close(batch: AssignmentBatch, *, message: str = "") -> AssignmentBatch:
    """Refund the credits not used and mark the batch over, once: `batch` is locked (and
    a batch over already is left as it is)."""
    if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
        return batch
    award_credits_refund(
        issuer=batch.issuer,
        unused=batch.credits_reserved - batch.credits_used,
        batch=batch,
        note=f"Unused credits of assignment batch {batch.entity_id}",
    )
    if message:
        batch.errors = [*batch.errors, {"row": None, "field": None, "message": message}]
    batch.status = BatchStatus.DONE if batch.issued and not message else BatchStatus.FAILED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "errors", "finished_at", "updated_at"])
    name = rows_file_name(batch)
    # The rows (personal data) are not needed once the batch is over.
    transaction.on_commit(lambda: private_delete(name))
    return batch


def batch_fail(*, batch_id: int, message: str) -> AssignmentBatch:
    """Stop a batch that cannot go on: what was issued stays, the rest is refunded (a
    chunk being awarded meanwhile is undone: see batch_chunk_run)."""
    return _finish(batch_id, message=message)


def batch_chunk_fail(*, chunk_id: int, message: str) -> AssignmentBatch | None:
    """Stop the batch of a chunk that cannot go on (batch_fail); None if it is gone."""
    batch_id = AssignmentChunk.objects.filter(pk=chunk_id).values_list("batch_id", flat=True)
    found = batch_id.first()
    return None if found is None else batch_fail(batch_id=found, message=message)


BULK_QUEUE = "bulk"  # where RUN_BATCH and RUN_CHUNK go (CELERY_TASK_ROUTES)


def batches_resume_stale(*, older_than_seconds: int | None = None) -> int:
    """Enqueue again the work of batches that was lost; return how many tasks. Running a
    batch's start or a chunk twice is harmless (see batch_start, batch_chunk_run).

    - A chunk claimed ASSIGN_BATCH_IDLE_SECONDS ago, not done, and whose row no worker
      holds locked (a live one holds it while it awards it) lost its worker: it is sent
      again at once.
    - A chunk or a pending batch never taken has waited that long for a worker: its
      message was lost (broker down at commit, Redis restarted empty) when nothing waits
      in the bulk queue; with a backlog queued it may be in there, so it is left to it
      until ASSIGN_BATCH_BACKLOG_SECONDS (unless the broker lost its messages since the
      last sweep: Redis restarted empty).
    - A running batch with no chunk left to do and no progress for that long is started
      again: split (a batch a release before chunks had begun) or closed.

    What is sent again is touched (a chunk's claim forgotten), so the next sweep leaves
    it to the task enqueued now.
    """
    idle = settings.ASSIGN_BATCH_IDLE_SECONDS if older_than_seconds is None else older_than_seconds
    now = timezone.now()
    waiting = idle
    # A broker that lost its messages (Redis restarted empty) holds none of the waiting.
    lost = broker_lost_its_messages(BULK_QUEUE)
    if queue_length(BULK_QUEUE) and not lost:
        waiting = max(idle, settings.ASSIGN_BATCH_BACKLOG_SECONDS)
    idle_since, waiting_since = now - timedelta(seconds=idle), now - timedelta(seconds=waiting)
    todo = AssignmentChunk.objects.filter(batch=OuterRef("pk"), done=False)
    stale_batches = Q(status=BatchStatus.PENDING, updated_at__lt=waiting_since) | Q(
        ~Exists(todo), status=BatchStatus.RUNNING, updated_at__lt=idle_since
    )
    stale_chunks = Q(claimed_at__lt=idle_since) | Q(
        claimed_at__isnull=True, updated_at__lt=waiting_since
    )
    with transaction.atomic():
        batches = list(
            AssignmentBatch.objects.select_for_update(skip_locked=True)
            .filter(stale_batches)
            .values_list("pk", flat=True)[:1000]
        )
        AssignmentBatch.objects.filter(pk__in=batches).update(updated_at=now)
        chunks = list(
            AssignmentChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(stale_chunks, done=False, batch__status=BatchStatus.RUNNING)
            .values_list("pk", flat=True)[:1000]
        )
        AssignmentChunk.objects.filter(pk__in=chunks).update(claimed_at=None, updated_at=now)
        for batch_id in batches:
            enqueue_on_commit(RUN_BATCH, batch_id)
        for chunk_id in chunks:
            enqueue_on_commit(RUN_CHUNK, chunk_id)
    return len(batches) + len(chunks)
