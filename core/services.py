"""The outbox: queue an email with the change that causes it, send it from a task."""

import logging
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from core.emails import render_email, reply_to
from core.enqueue import broker_lost_its_messages, enqueue_on_commit, queue_length, task
from core.inserts import insert_many, insert_rows
from core.models import EmailStatus, OutboundEmail
from core.signals import EmailOutcome, emails_attempted

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5

# The tasks that send (core.tasks, which imports this module), named rather than imported.
SEND_ONE = "core.tasks.send_outbound_email"
SEND_MANY = "core.tasks.send_outbound_emails"


def email_queue(
    *, kind: str, to_email: str, subject: str, context: dict, assertion=None, user=None
):
    """Write an outbox row; its send task is enqueued only if the transaction commits."""
    email = OutboundEmail.objects.create(
        kind=kind,
        to_email=to_email,
        subject=subject,
        context=context,
        assertion=assertion,
        user=user,
    )
    enqueue_send(email.pk)
    return email


def emails_queue_many(emails: list[OutboundEmail]) -> list[OutboundEmail]:
    """Write many unsaved outbox rows in one statement; they are sent as
    `enqueue_send_many` says once the transaction commits."""
    insert_many(emails)
    enqueue_send_many([email.pk for email in emails])
    return emails


def email_rows_queue(rows: list[dict]) -> list[int]:
    """`emails_queue_many` for outbox rows given as {field attname: value} (kind,
    to_email, subject, context, assertion_id, user_id), for the thousands of emails of
    an award, whose objects nobody needs; returns their keys, in order."""
    ids = insert_rows(OutboundEmail, rows)
    enqueue_send_many(ids)
    return ids


def enqueue_send(email_id: int) -> None:
    # With the broker down the row stays pending and the outbox sweep enqueues it.
    enqueue_on_commit(SEND_ONE, email_id)


SEND_CHUNK = 100  # outbox rows per send task when many are queued at once


def enqueue_send_many(email_ids: list[int]) -> None:
    """Enqueue the sending of many rows (a bulk assignment's) once the transaction
    commits: one task per SEND_CHUNK rows, each over one SMTP connection, instead of a
    broker message per email (10,000 publishes took longer than the assignment itself)."""
    chunks = [email_ids[i : i + SEND_CHUNK] for i in range(0, len(email_ids), SEND_CHUNK)]

    def publish():
        send_many = task(SEND_MANY)
        for chunk in chunks:
            send_many.delay(chunk)

    # robust, as above: rows whose task is lost are pending and the sweep sends them.
    transaction.on_commit(publish, robust=True)


def email_resend(*, email: OutboundEmail) -> OutboundEmail:
    """Queue a copy of an email (a new row: each row is sent at most once)."""
    return email_queue(
        kind=email.kind,
        to_email=email.to_email,
        subject=email.subject,
        context=email.context,
        assertion=email.assertion,
        user=email.user,
    )


EMAILS_QUEUE = "emails"  # where the send tasks go (CELERY_TASK_ROUTES)


def outbox_sweep(*, now=None) -> int:
    """Re-enqueue what the outbox should have sent by now; return how many.

    - Pending rows whose task was lost (the broker was down when their transaction
      committed, Redis restarted empty, a worker died holding their message) are sent
      again once they have waited OUTBOX_RETRY_AFTER_SECONDS while nothing waits in the
      emails queue: with a backlog queued, their task may well be in it, so they are left
      to it until OUTBOX_BACKLOG_RETRY_SECONDS, unless the broker lost its messages
      since the last sweep (Redis restarted empty).
    - Rows in "sending" for longer than OUTBOX_STUCK_SENDING_SECONDS lost their worker
      mid-send. The first time, they go back to pending (the SMTP server may have taken
      the message just before the worker died: then the recipient gets a second copy with
      the same Message-ID, which mail systems take as the same message). The second
      time, they fail with a message for staff instead: a row is handed to the SMTP server
      at most twice (docs/deployment.md, "Workers that die").
    """
    now = now or timezone.now()
    patience = settings.OUTBOX_RETRY_AFTER_SECONDS
    # A broker that lost its messages (Redis restarted empty) holds none of theirs: the
    # backlog now queued is newer, so the rows waiting are not left to it.
    lost = broker_lost_its_messages(EMAILS_QUEUE)
    if queue_length(EMAILS_QUEUE) and not lost:
        patience = max(patience, settings.OUTBOX_BACKLOG_RETRY_SECONDS)
    stuck = Q(
        status=EmailStatus.SENDING,
        updated_at__lt=now - timedelta(seconds=settings.OUTBOX_STUCK_SENDING_SECONDS),
    )
    _fail_interrupted_twice(stuck, now)
    overdue = (stuck & Q(interruptions=0)) | _pending_overdue(now, patience)
    due = list(OutboundEmail.objects.filter(overdue).values_list("pk", flat=True)[:5000])
    # Touch them so the next sweep leaves them to the tasks enqueued now. The UPDATE
    # repeats the conditions: a row that a worker claimed since the SELECT is "sending"
    # and fresh, and must not be put back to pending (it would be sent twice).
    OutboundEmail.objects.filter(overdue, pk__in=due).update(
        status=EmailStatus.PENDING,
        updated_at=now,
        interruptions=Case(
            When(status=EmailStatus.SENDING, then=F("interruptions") + 1),
            default=F("interruptions"),
            output_field=OutboundEmail._meta.get_field("interruptions"),
        ),
    )
    due = list(
        OutboundEmail.objects.filter(
            pk__in=due, status=EmailStatus.PENDING, updated_at=now
        ).values_list("pk", flat=True)
    )
    send_many = task(SEND_MANY)
    for start in range(0, len(due), SEND_CHUNK):
        send_many.delay(due[start : start + SEND_CHUNK])
    return len(due)


def _pending_overdue(now, patience: float) -> Q:
    """Pending rows waiting longer than `patience`; one whose send failed waits its
    retry's backoff on top (its task is held by a worker until then, not lost)."""
    overdue = Q(attempts=0, updated_at__lt=now - timedelta(seconds=patience))
    for attempts in range(1, MAX_ATTEMPTS):
        wait = patience + backoff_seconds(attempts - 1)
        overdue |= Q(attempts=attempts, updated_at__lt=now - timedelta(seconds=wait))
    return Q(status=EmailStatus.PENDING) & overdue


def backoff_seconds(retries: int) -> float:
    """Seconds before the next try of a row that failed `retries + 1` times."""
    return min(settings.OUTBOX_RETRY_BACKOFF_SECONDS * 2**retries, 3600)


INTERRUPTED_TWICE = gettext_noop(
    "Its worker stopped twice while sending it: the recipient may have received it. "
    "Resend it if they did not."
)


def _fail_interrupted_twice(stuck: Q, now) -> None:
    rows = list(OutboundEmail.objects.filter(stuck, interruptions__gte=1).select_related("user"))
    if not rows:
        return
    message = gettext(INTERRUPTED_TWICE)  # shown to staff on the outbox's admin page
    OutboundEmail.objects.filter(stuck, pk__in=[r.pk for r in rows]).update(
        status=EmailStatus.FAILED, last_error=message, updated_at=now
    )
    _tell([EmailOutcome(row, sent=False, error=message) for row in rows])


def outbox_message_id(email: OutboundEmail) -> str:
    """The row's own Message-ID, the same on every attempt: a copy sent again after its
    worker died mid-send is recognisably the same message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{email.pk}.{email.created_at:%Y%m%d%H%M%S%f}@{domain}>"


class EmailSendError(Exception):
    pass


def _claim(email_id: int) -> bool:
    """pending -> sending with a conditional UPDATE: of two workers given the same id,
    exactly one gets True."""
    return bool(
        OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.PENDING).update(
            status=EmailStatus.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    )


def _deliver(email: OutboundEmail, connection, outcomes: list) -> None:
    """Send a claimed row and record the outcome on it at once (so a worker that dies
    later cannot make it go twice); the outcome is appended to `outcomes`."""
    try:
        subject, text, html = render_email(email)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[email.to_email],
            reply_to=reply_to(email),
            connection=connection,
            headers={"Message-ID": outbox_message_id(email)},
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception as exc:
        final = email.attempts >= MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED if final else EmailStatus.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            updated_at=timezone.now(),
        )
        outcomes.append(EmailOutcome(email, sent=False, error=str(exc)))
        raise EmailSendError(str(exc)) from exc
    now = timezone.now()
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=now, last_error="", updated_at=now
    )
    outcomes.append(EmailOutcome(email, sent=True))


def outbox_send(*, email_id: int) -> bool:
    """Send one outbox row. True when this call sent it; False when it was not pending."""
    if not _claim(email_id):
        return False
    email = OutboundEmail.objects.select_related("user").get(pk=email_id)
    outcomes = []
    try:
        _deliver(email, None, outcomes)
    finally:
        _tell(outcomes)
    return True


def outbox_send_many(*, email_ids: list[int], connection=None) -> tuple[int, list[int]]:
    """Send the pending rows among `email_ids` over one mail `connection` (opened by the
    caller). Returns (how many this call sent, the ids that failed and should be retried).

    The rows are read in one query; each is still claimed and marked on its own, so a
    worker dying mid-chunk leaves at most the one email it was sending in doubt.
    """
    rows = OutboundEmail.objects.select_related("user").in_bulk(email_ids)
    sent, failed, outcomes = 0, [], []
    try:
        for email_id in email_ids:
            email = rows.get(email_id)
            if email is None or email.status != EmailStatus.PENDING or not _claim(email_id):
                continue  # sent, failed for good, or another worker has it
            email.attempts += 1
            try:
                _deliver(email, connection, outcomes)
            except EmailSendError:
                failed.append(email_id)
            else:
                sent += 1
    finally:
        _tell(outcomes)
    return sent, failed


def _tell(outcomes: list[EmailOutcome]) -> None:
    """Tell the apps what was sent or failed, once per send (they record it in bulk)."""
    if outcomes:
        emails_attempted.send(sender=OutboundEmail, outcomes=outcomes)
