"""Assignments too large for one request, run by a worker in resumable chunks.

- `batch_create` checks every row, reserves ALL the credits the batch may use in one
  ledger entry (InsufficientCreditsError, 402, and nothing recorded when they are not
  there) and stores the rows beside the batch in the private storage
  (`assignment-batches/<batch id>.jsonl`: the model has no place for them).
- `batch_run` awards the rows in chunks through `assertions_award`, one transaction per
  chunk. The batch's counts move in the same transaction, so `issued + failed` is where
  a crashed run resumes; a row is never issued twice (the batch row is locked per chunk
  and every badge carries the idempotency key `batch:<batch id>:<row>`). At the end the
  credits not used are refunded and the batch is done (or failed when nothing could be
  issued).

Rows are numbered from 1 in the order given.
"""

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assertions.models import AssignmentBatch, BatchStatus
from assertions.services.award import assertions_award, template_awardable
from assertions.services.credits import award_credits_refund, award_credits_reserve
from assertions.services.rows import (
    MAX_EARNERS,
    dates_check,
    earner_rows_clean,
    email_message_clean,
)
from core.enqueue import broker_lost_its_messages, enqueue_on_commit, queue_length
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.iterables import chunks
from core.storage import private_delete, private_open, private_storage
from issuers.permissions import ASSIGN, require_role
from templates_app.models import BadgeTemplate

log = logging.getLogger(__name__)

CHUNK = 500  # rows per transaction of a running batch
MAX_STORED_ERRORS = 1_000  # per-row errors kept on a batch (the count stays exact)
ROWS_DIR = "assignment-batches"
# The task that runs a batch (assertions.tasks, which imports this module), by its name.
RUN_BATCH = "assertions.tasks.run_assignment_batch"


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
    lines = [json.dumps(header)] + [json.dumps(row, ensure_ascii=False) for row in rows]
    name = rows_file_name(batch)
    stored = private_storage.save(name, ContentFile(("\n".join(lines) + "\n").encode("utf-8")))
    if stored != name:
        private_storage.delete(stored)
        raise ConflictError(_("The rows of this batch could not be stored; try again."))
    # With the broker down the batch still stands (202); the sweep enqueues it.
    enqueue_on_commit(RUN_BATCH, batch.pk)
    return batch


def _read_rows(batch: AssignmentBatch):
    """(header, iterator of (row number, row)) from the stored rows file, streamed."""
    handle = private_open(rows_file_name(batch))

    def rows():
        with handle:
            for number, line in enumerate(lines, start=1):
                yield number, json.loads(line)

    lines = (line for line in handle if line.strip())
    header = json.loads(next(lines))
    return header, rows()


def batch_run(*, batch_id: int) -> AssignmentBatch:
    """Run (or resume) a batch until every row is issued or failed. Safe to call again at
    any point, also concurrently: finished batches are left alone and rows done are
    skipped."""
    with transaction.atomic():
        batch = AssignmentBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None:
            raise NotFoundError(_("Assignment batch not found."))
        if batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
            return batch
        if batch.status == BatchStatus.PENDING:
            batch.status = BatchStatus.RUNNING
            batch.started_at = timezone.now()
            batch.save(update_fields=["status", "started_at", "updated_at"])
    try:
        header, rows = _read_rows(batch)
    except (OSError, ValueError, StopIteration):
        log.exception("Rows of assignment batch %s cannot be read", batch.entity_id)
        return batch_fail(batch_id=batch_id, message="The rows of this batch cannot be read.")
    allow_duplicate = bool(header.get("allow_duplicate", True))
    # A setting so that tests can make many small chunks (and kill a worker between them).
    size = getattr(settings, "ASSIGN_BATCH_CHUNK", CHUNK)
    for chunk in chunks(rows, size):
        _run_chunk(batch_id, chunk, allow_duplicate=allow_duplicate)
    return _finish(batch_id)


@transaction.atomic
def _run_chunk(batch_id: int, chunk: list[tuple[int, dict]], *, allow_duplicate: bool) -> None:
    batch = (
        AssignmentBatch.objects.select_for_update(of=("self",))
        .select_related("issuer", "badge_template_version__template", "created_by")
        .get(pk=batch_id)
    )
    if batch.status != BatchStatus.RUNNING:
        return
    done = batch.issued + batch.failed
    todo = [(number, row) for number, row in chunk if number > done]
    if not todo:
        return
    version = batch.badge_template_version
    template = version.template
    template.issuer = batch.issuer  # the same row, read already
    outcome = assertions_award(
        template=template,
        version=version,  # the one the batch was created with, whatever is current now
        items=[
            (number, {**row, "idempotency_key": f"batch:{batch.entity_id}:{number}"})
            for number, row in todo
        ],
        actor=batch.created_by,
        notify=batch.notify,
        allow_duplicate=allow_duplicate,
        batch=batch,
        defaults={
            "activity_title": batch.activity_title,
            "activity_started_at": batch.activity_started_at,
            "activity_ended_at": batch.activity_ended_at,
            "expires_at": batch.expires_at,
            "notes": batch.notes,
            "narrative": batch.narrative,
        },
    )
    batch.issued += outcome.issued
    batch.failed += len(outcome.errors)
    room = MAX_STORED_ERRORS - len(batch.errors)
    if room > 0:
        batch.errors = [*batch.errors, *(e.as_dict() for e in outcome.errors[:room])]
    if batch.notify:
        batch.credits_used += outcome.issued
    batch.save(
        update_fields=["issued", "failed", "errors", "credits_used", "updated_at"],
    )


@transaction.atomic
def _finish(batch_id: int, *, message: str = "") -> AssignmentBatch:
    batch = AssignmentBatch.objects.select_for_update().select_related("issuer").get(pk=batch_id)
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
    """Stop a batch that cannot go on: what was issued stays, the rest is refunded."""
    return _finish(batch_id, message=message)


BULK_QUEUE = "bulk"  # where RUN_BATCH goes (CELERY_TASK_ROUTES)


def batches_resume_stale(*, older_than_seconds: int | None = None) -> int:
    """Enqueue again the batches whose run was lost; return how many. Running one twice
    is harmless (see batch_run).

    A running batch moves its `updated_at` with every chunk: one idle for
    ASSIGN_BATCH_IDLE_SECONDS lost its worker, unless a chunk holds its row locked right
    now (a live worker on a slow chunk), which is skipped. A pending batch has waited
    that long for a worker: its message was lost (broker down at commit, Redis restarted
    empty) when nothing waits in the bulk queue; with a backlog queued it may be in
    there, so it is left to it until ASSIGN_BATCH_BACKLOG_SECONDS (unless the broker lost
    its messages since the last sweep: Redis restarted empty). The batches sent again
    are touched, so the next sweep leaves them to the run enqueued now.
    """
    idle = settings.ASSIGN_BATCH_IDLE_SECONDS if older_than_seconds is None else older_than_seconds
    now = timezone.now()
    waiting = idle
    # A broker that lost its messages (Redis restarted empty) holds no pending batch's.
    lost = broker_lost_its_messages(BULK_QUEUE)
    if queue_length(BULK_QUEUE) and not lost:
        waiting = max(idle, settings.ASSIGN_BATCH_BACKLOG_SECONDS)
    stale = Q(status=BatchStatus.RUNNING, updated_at__lt=now - timedelta(seconds=idle)) | Q(
        status=BatchStatus.PENDING, updated_at__lt=now - timedelta(seconds=waiting)
    )
    with transaction.atomic():
        found = list(
            AssignmentBatch.objects.select_for_update(skip_locked=True)
            .filter(stale)
            .values_list("pk", flat=True)[:1000]
        )
        AssignmentBatch.objects.filter(pk__in=found).update(updated_at=now)
        for batch_id in found:
            enqueue_on_commit(RUN_BATCH, batch_id)
    return len(found)
