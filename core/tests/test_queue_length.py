"""core.enqueue.queue_length: what the sweeps ask the broker before sending again."""

import pytest

from core.enqueue import queue_length
from core.tasks import send_outbound_emails
from tests.celery_stack import through_redis  # noqa: F401

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_counts_the_messages_waiting_and_a_missing_queue_as_none_waiting(through_redis):  # noqa: F811
    assert queue_length("no-such-queue") == 0
    for _ in range(3):
        send_outbound_emails.delay([1])
    assert queue_length("emails") == 3


def test_tasks_run_inline_have_no_queue(settings):
    assert queue_length("emails") is None  # the test settings run tasks inline


def test_a_broker_that_lost_its_messages_is_noticed_once(through_redis):  # noqa: F811
    from core.enqueue import broker_lost_its_messages

    # a new broker counts as one that lost everything, once
    with through_redis.connection_for_write() as connection:
        connection.default_channel.client.delete("_badges.broker-marker.emails")
    assert broker_lost_its_messages("emails") is True
    assert broker_lost_its_messages("emails") is False
    # when Redis comes back empty (restarted without persistence)
    with through_redis.connection_for_write() as connection:
        connection.default_channel.client.flushdb()
    # then the next sweep knows, and only that one
    assert broker_lost_its_messages("emails") is True
    assert broker_lost_its_messages("emails") is False


def test_after_a_broker_loss_waiting_rows_are_not_left_to_the_newer_backlog(
    monkeypatch, django_capture_on_commit_callbacks
):
    from assertions.tests.factories import AssertionFactory
    from core import services
    from core.models import OutboundEmail
    from issuers.services import credits_top_up
    from templates_app.tests.factories import BadgeTemplateFactory

    template = BadgeTemplateFactory()
    credits_top_up(issuer=template.issuer, amount=1)
    with django_capture_on_commit_callbacks(execute=False):
        AssertionFactory(template=template, notify=True)
    row = OutboundEmail.objects.get()
    old = row.created_at.replace(year=row.created_at.year - 1)
    OutboundEmail.objects.filter(pk=row.pk).update(updated_at=old)
    monkeypatch.setattr(services, "queue_length", lambda name: 40)  # a backlog queued
    monkeypatch.setattr(services, "broker_lost_its_messages", lambda name: False)
    monkeypatch.setattr(services.settings, "OUTBOX_BACKLOG_RETRY_SECONDS", 10**9)
    assert services.outbox_sweep() == 0
    monkeypatch.setattr(services, "broker_lost_its_messages", lambda name: True)
    assert services.outbox_sweep() == 1
