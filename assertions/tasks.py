import logging

from celery import shared_task
from django.utils.translation import gettext

from assertions.services import (
    assertions_expire_due,
    batch_fail,
    batch_run,
    batches_resume_stale,
    expiry_reminders_queue,
)
from core.exceptions import NotFoundError

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5)
def run_assignment_batch(self, batch_id: int) -> str:
    """Run or resume a batch; a retry (or a redelivery) continues where it stopped."""
    try:
        return batch_run(batch_id=batch_id).status
    except NotFoundError:
        return "missing"
    except Exception as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            # Inline (make run) or out of retries: stop the batch rather than the caller;
            # what was issued stays, the rest of the credits go back.
            log.exception("Assignment batch %s stopped", batch_id)
            message = gettext("The batch stopped on an error: %(error)s. Ask support.") % {
                "error": type(exc).__name__
            }
            return batch_fail(batch_id=batch_id, message=message).status
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc


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
