from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection

from core.services import (
    MAX_ATTEMPTS,
    EmailSendError,
    backoff_seconds,
    outbox_send,
    outbox_send_many,
    outbox_sweep,
)


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1)
def send_outbound_email(self, email_id: int) -> bool:
    try:
        return outbox_send(email_id=email_id)
    except EmailSendError as exc:
        if self.request.is_eager:
            # Inline (make run): never fail the request that queued the email; the row
            # stays pending with its error for the outbox sweep and staff to see.
            return False
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(acks_late=True)
def send_outbound_emails(email_ids: list[int]) -> int:
    """Send a chunk of outbox rows over one mail connection. A row that fails is retried
    on its own (send_outbound_email, with backoff); rows already sent are skipped, so a
    chunk redelivered after a worker died sends only what was left. A chunk of one (a
    single award's email) opens no connection to share: its send opens its own, once."""
    connection = get_connection() if len(email_ids) > 1 else None
    try:
        if connection is not None:
            connection.open()
    except Exception:  # the server is down: each row fails, and retries, on its own
        connection = None
    try:
        sent, failed = outbox_send_many(email_ids=email_ids, connection=connection)
    finally:
        if connection is not None:
            connection.close()
    for email_id in failed:
        # This chunk's try was the row's first: its own task goes on as its first retry,
        # so the waits double from here as they do for a row sent on its own.
        send_outbound_email.apply_async(
            (email_id,), countdown=settings.OUTBOX_RETRY_BACKOFF_SECONDS, retries=1
        )
    return sent


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    return outbox_sweep()
