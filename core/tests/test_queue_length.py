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
