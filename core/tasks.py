from celery import shared_task
from django.conf import settings

from core.services import MAX_ATTEMPTS, EmailSendError, outbox_send, outbox_sweep


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1)
def send_outbound_email(self, email_id: int) -> bool:
    try:
        return outbox_send(email_id=email_id)
    except EmailSendError as exc:
        if self.request.is_eager:
            # Inline (make run): never fail the request that queued the email; the row
            # stays pending with its error for the outbox sweep and staff to see.
            return False
        backoff = settings.OUTBOX_RETRY_BACKOFF_SECONDS * 2**self.request.retries
        raise self.retry(exc=exc, countdown=min(backoff, 3600)) from exc


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    return outbox_sweep()
