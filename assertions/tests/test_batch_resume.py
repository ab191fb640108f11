"""Issue 26: a batch whose worker died is run again within a minute, one a live worker
holds is not, and queued batches are left to their queue."""

import datetime as dt
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from assertions.models import AssignmentBatch, BatchStatus
from assertions.services import batches, batches_resume_stale
from assertions.tasks import run_assignment_batch
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory


def _batch(status):
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=5)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    return AssignmentBatch.objects.create(
        issuer=template.issuer,
        badge_template_version=template.current_version,
        status=status,
        total=1,
    )


def _age(batch, seconds):
    then = timezone.now() - dt.timedelta(seconds=seconds)
    AssignmentBatch.objects.filter(pk=batch.pk).update(updated_at=then)


@pytest.fixture
def enqueued(monkeypatch):
    runs = []
    monkeypatch.setattr(run_assignment_batch, "delay", runs.append)
    return runs


@pytest.mark.django_db
def test_a_running_batch_idle_past_the_threshold_is_run_again_once(
    enqueued, django_capture_on_commit_callbacks
):
    batch = _batch(BatchStatus.RUNNING)
    _age(batch, django_settings.ASSIGN_BATCH_IDLE_SECONDS - 5)
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_resume_stale() == 0
    _age(batch, django_settings.ASSIGN_BATCH_IDLE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_resume_stale() == 1
        # touched: the next sweep leaves it to the run enqueued now
        assert batches_resume_stale() == 0
    assert enqueued == [batch.pk]


@pytest.mark.django_db
def test_a_pending_batch_behind_a_queued_backlog_is_left_to_it(
    enqueued, monkeypatch, django_capture_on_commit_callbacks
):
    batch = _batch(BatchStatus.PENDING)
    monkeypatch.setattr(batches, "queue_length", lambda name: 3)
    _age(batch, django_settings.ASSIGN_BATCH_IDLE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_resume_stale() == 0
    monkeypatch.setattr(batches, "queue_length", lambda name: 0)
    with django_capture_on_commit_callbacks(execute=True):
        assert batches_resume_stale() == 1
    assert enqueued == [batch.pk]


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_row_a_live_worker_holds_is_not_run_again(enqueued):
    # given an idle-looking batch whose row a worker has locked for a slow chunk
    batch = _batch(BatchStatus.RUNNING)
    _age(batch, django_settings.ASSIGN_BATCH_IDLE_SECONDS + 1)
    locked, release = threading.Event(), threading.Event()

    def worker():
        with transaction.atomic():
            AssignmentBatch.objects.select_for_update().get(pk=batch.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert locked.wait(10)
        # when the sweep runs, then it neither waits for the lock nor enqueues it
        assert batches_resume_stale() == 0
    finally:
        release.set()
        thread.join()
    assert enqueued == []
    assert batches_resume_stale() == 1
