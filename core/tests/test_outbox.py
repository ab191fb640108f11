import pytest
from django.core import mail

from assertions.tests.factories import AssertionFactory
from core.models import EmailStatus, OutboundEmail
from core.services import MAX_ATTEMPTS, EmailSendError, email_resend, outbox_send
from core.tasks import send_outbound_email
from issuers.services import credits_top_up
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(django_capture_on_commit_callbacks):
    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=5)
    # the send task is captured, not run: the row stays pending
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        AssertionFactory(template=template, notify=True)
    assert len(callbacks) == 1
    return OutboundEmail.objects.get()


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP refused")


def test_a_row_is_sent_once_even_if_asked_twice(queued):
    assert outbox_send(email_id=queued.pk) is True
    assert outbox_send(email_id=queued.pk) is False
    assert len(mail.outbox) == 1
    queued.refresh_from_db()
    assert queued.status == EmailStatus.SENT
    assert queued.attempts == 1
    assert queued.sent_at is not None


def test_a_failure_keeps_the_row_pending_with_the_error_then_fails_it(queued, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(EmailSendError):
            outbox_send(email_id=queued.pk)
        queued.refresh_from_db()
        assert queued.attempts == attempt
        assert "SMTP refused" in queued.last_error
    assert queued.status == EmailStatus.FAILED
    assert queued.assertion.events.filter(kind="email_failed").count() == MAX_ATTEMPTS
    assert outbox_send(email_id=queued.pk) is False  # failed rows are not retried silently


def test_eager_task_never_breaks_the_caller(queued, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    assert send_outbound_email.delay(queued.pk).get() is False
    queued.refresh_from_db()
    assert queued.status == EmailStatus.PENDING


def test_resend_queues_a_new_row(queued, django_capture_on_commit_callbacks):
    outbox_send(email_id=queued.pk)
    with django_capture_on_commit_callbacks(execute=True):
        copy = email_resend(email=queued)
    assert copy.pk != queued.pk
    copy.refresh_from_db()
    assert copy.status == EmailStatus.SENT
    assert len(mail.outbox) == 2


def test_sweep_resends_what_lost_its_task_and_frees_stuck_sends(queued, settings):
    import datetime as dt

    from django.utils import timezone

    from core.services import outbox_sweep

    settings.OUTBOX_RETRY_AFTER_SECONDS = 60
    settings.OUTBOX_STUCK_SENDING_SECONDS = 600
    # fresh rows are left to their own task
    assert outbox_sweep() == 0
    old = timezone.now() - dt.timedelta(minutes=30)
    OutboundEmail.objects.filter(pk=queued.pk).update(status=EmailStatus.SENDING, updated_at=old)
    # eager Celery: the re-enqueued task sends it at once
    assert outbox_sweep() == 1
    queued.refresh_from_db()
    assert queued.status == EmailStatus.SENT
    assert len(mail.outbox) == 1
    assert outbox_sweep() == 0


class FlakyConnection:
    """A mail connection that is opened once and refuses one address."""

    opened = 0
    sent: list[str] = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        FlakyConnection.opened += 1

    def close(self):
        pass

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["refused@learners.example"]:
                raise ConnectionRefusedError("550 mailbox unavailable")
            FlakyConnection.sent.append(message.to[0])
        return len(messages)


def test_a_chunk_goes_over_one_connection_and_a_failing_row_retries_alone(settings, monkeypatch):
    from core.tasks import send_outbound_emails

    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=5)
    emails = ["a@learners.example", "refused@learners.example", "b@learners.example"]
    for address in emails:
        AssertionFactory(template=template, notify=True, recipient_email=address)
    rows = {e.to_email: e.pk for e in OutboundEmail.objects.all()}
    settings.EMAIL_BACKEND = f"{__name__}.FlakyConnection"
    FlakyConnection.opened, FlakyConnection.sent = 0, []
    retried = []
    monkeypatch.setattr(
        send_outbound_email,
        "apply_async",
        lambda args, **options: retried.append((args[0], options)),
    )

    sent = send_outbound_emails.run([rows[e] for e in emails] + [rows["a@learners.example"]])

    assert sent == 2
    assert FlakyConnection.opened == 1
    assert FlakyConnection.sent == ["a@learners.example", "b@learners.example"]  # a only once
    # the failed row goes on alone, as its first retry: its waits double from here
    backoff = {"countdown": settings.OUTBOX_RETRY_BACKOFF_SECONDS, "retries": 1}
    assert retried == [(rows["refused@learners.example"], backoff)]
    refused = OutboundEmail.objects.get(pk=rows["refused@learners.example"])
    assert refused.status == EmailStatus.PENDING
    assert "550" in refused.last_error


def test_the_sweep_leaves_alone_a_row_a_worker_claimed_after_it_looked(
    queued, settings, monkeypatch
):
    import datetime as dt

    from django.db.models import QuerySet
    from django.utils import timezone

    from core.services import outbox_sweep

    settings.OUTBOX_RETRY_AFTER_SECONDS = 60
    old = timezone.now() - dt.timedelta(minutes=30)
    OutboundEmail.objects.filter(pk=queued.pk).update(updated_at=old)  # pending, overdue
    update = QuerySet.update
    claimed = []

    def worker_claims_first(self, **changes):
        # a worker claims the row between the sweep's SELECT and its UPDATE
        if changes.get("status") == EmailStatus.PENDING and not claimed:
            claimed.append(True)
            OutboundEmail.objects.filter(pk=queued.pk).update(
                status=EmailStatus.SENDING, updated_at=timezone.now()
            )
        return update(self, **changes)

    monkeypatch.setattr(QuerySet, "update", worker_claims_first)
    # the sweep neither puts it back to pending nor enqueues it: it is sent once
    assert outbox_sweep() == 0
    assert claimed
    queued.refresh_from_db()
    assert queued.status == EmailStatus.SENDING
    assert not mail.outbox


def test_the_outbox_tells_the_apps_once_per_send_what_it_sent_and_what_failed(
    settings, django_capture_on_commit_callbacks
):
    from django.core.mail import get_connection

    from assertions.models import AssertionEvent
    from core.models import EmailKind
    from core.services import email_queue, outbox_send_many
    from core.signals import emails_attempted

    # given two platform emails (of no badge), one to an address the server refuses
    context = {"requester_email": "o@acme.example", "amount": 5, "issuer_name": "Acme"}
    with django_capture_on_commit_callbacks(execute=False):
        ids = [
            email_queue(
                kind=EmailKind.CREDITS_REQUESTED, to_email=to, subject="Credits", context=context
            ).pk
            for to in ("ops@platform.example", "refused@learners.example")
        ]
    settings.EMAIL_BACKEND = f"{__name__}.FlakyConnection"
    heard = []

    def listener(sender, outcomes, **kwargs):
        heard.append([(o.email.to_email, o.sent, bool(o.error)) for o in outcomes])

    emails_attempted.connect(listener)
    try:
        # when the outbox sends them
        outbox_send_many(email_ids=ids, connection=get_connection())
    finally:
        emails_attempted.disconnect(listener)
    # then the apps hear it once, row by row; rows of no badge make no badge event
    assert heard == [
        [("ops@platform.example", True, False), ("refused@learners.example", False, True)]
    ]
    assert not AssertionEvent.objects.exists()
