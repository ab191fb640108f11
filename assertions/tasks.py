import logging

from celery import shared_task
from django.utils.translation import gettext

from assertions.services import (
    assertions_expire_due,
    batch_chunk_fail,
    batch_chunk_run,
    batch_fail,
    batch_start,
    batches_resume_stale,
    expiry_reminders_queue,
)
from core.exceptions import NotFoundError

log = logging.getLogger(__name__)


def _stop_or_retry(task, exc, stop):
    """Inline (make run) or out of retries: stop the batch rather than the caller (what
    was issued stays, the rest of the credits go back); otherwise retry, backing off."""
    if task.request.is_eager or task.request.retries >= task.max_retries:
        message = gettext("The batch stopped on an error: %(error)s. Ask support.") % {
            "error": type(exc).__name__
        }
        return stop(message)
    raise task.retry(exc=exc, countdown=min(30 * 2**task.request.retries, 900)) from exc


@shared_task(bind=True, acks_late=True, max_retries=5)
def run_assignment_batch(self, batch_id: int) -> str:
    """Start a batch: split it into chunks, each a task of its own (run_assignment_chunk)."""
    try:
        return batch_start(batch_id=batch_id).status
    except NotFoundError:
        return "missing"
    except Exception as exc:
        log.exception("Assignment batch %s: its start failed", batch_id)

        def stop(message):
            return batch_fail(batch_id=batch_id, message=message).status

        return _stop_or_retry(self, exc, stop)


@shared_task(bind=True, acks_late=True, max_retries=5)
def run_assignment_chunk(self, chunk_id: int) -> str:
    """Award a chunk of a batch; a retry (or a redelivery) finds it done or does it."""
    try:
        return batch_chunk_run(chunk_id=chunk_id)
    except Exception as exc:
        log.exception("Assignment chunk %s failed", chunk_id)

        def stop(message):
            batch = batch_chunk_fail(chunk_id=chunk_id, message=message)
            return "missing" if batch is None else batch.status

        return _stop_or_retry(self, exc, stop)


@shared_task(acks_late=True)
def resume_assignment_batches() -> int:
    """Re-enqueue batches whose run was lost (broker down at commit, worker killed)."""
    return batches_resume_stale()


@shared_task(acks_late=True)
def expire_badges() -> int:
    return assertions_expire_due()


@shared_task(acks_late=True)
def remind_expiring_badges() -> int:
    """Email earners whose badges expire soon, where their issuer asks for it."""
    return expiry_reminders_queue()
