"""Issue 26: a queued batch is split into chunk tasks that any bulk worker takes. Chunks
finish in any order with the batch's counts, errors and credits exact and the batch
closed once; a chunk another worker holds is not awarded twice; a chunk whose worker
died is sent again by the sweep, and one a live worker holds is not."""

import threading
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from assertions.models import Assertion, AssignmentBatch, AssignmentChunk, BatchStatus
from assertions.services import (
    batch_chunk_run,
    batch_create,
    batch_start,
    batches,
    batches_resume_stale,
)
from assertions.tasks import run_assignment_batch, run_assignment_chunk
from assertions.tests.factories import AssertionFactory
from core.exceptions import ApplicationError
from core.models import OutboundEmail
from issuers.models import CreditLedgerEntry, CreditReason, Issuer, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory


def _rows(n: int) -> list[dict]:
    return [
        {"email": f"earner{i}@chunks.example", "first_name": "Ada", "last_name": f"L{i}"}
        for i in range(1, n + 1)
    ]


def _queued_batch(n: int, *, credits: int = 100, held: tuple[int, ...] = ()):
    """A batch of `n` rows queued (its start not run), the rows numbered in `held` given
    to earners who hold the badge already (refused: duplicates are not allowed)."""
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=credits)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    rows = _rows(n)
    for number in held:
        AssertionFactory(template=template, recipient_email=rows[number - 1]["email"])
    with mock.patch.object(run_assignment_batch, "delay"):  # not started at its commit
        return batch_create(
            template=template, rows=rows, actor=membership.user, allow_duplicate=False
        )


def _ledger(batch) -> list:
    entries = CreditLedgerEntry.objects.filter(batch=batch).order_by("pk")
    return list(entries.values_list("reason", "amount"))


@pytest.mark.django_db
def test_chunks_finish_in_any_order_and_the_last_closes_the_batch_once(
    settings, django_capture_on_commit_callbacks
):
    # given a batch of 45 rows in chunks of 10, rows 4 and 42 held already
    settings.ASSIGN_BATCH_CHUNK = 10
    batch = _queued_batch(45, held=(4, 42))
    # when it starts: a task per chunk, enqueued once that commits
    with django_capture_on_commit_callbacks() as enqueued:
        assert batch_start(batch_id=batch.pk).status == BatchStatus.RUNNING
    chunks = list(AssignmentChunk.objects.filter(batch=batch).order_by("first_row"))
    spans = [(c.first_row, c.last_row) for c in chunks]
    assert spans == [(1, 10), (11, 20), (21, 30), (31, 40), (41, 45)]
    assert len(enqueued) == len(chunks)
    # and its chunks are run out of order, as workers finish them
    for chunk in (chunks[4], chunks[1], chunks[3], chunks[0]):
        assert batch_chunk_run(chunk_id=chunk.pk) == "done"
        assert AssignmentBatch.objects.get(pk=batch.pk).status == BatchStatus.RUNNING
    assert batch_chunk_run(chunk_id=chunks[2].pk) == "done"

    # then the last one closed it: counts, errors (in row order) and credits exact
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert (batch.issued, batch.failed, batch.credits_used) == (43, 2, 43)
    assert [e["row"] for e in batch.errors] == [4, 42]
    keys = set(Assertion.objects.filter(batch=batch).values_list("idempotency_key", flat=True))
    assert keys == {f"batch:{batch.entity_id}:{n}" for n in range(1, 46) if n not in (4, 42)}
    assert OutboundEmail.objects.filter(assertion__batch=batch).count() == 43
    reserved_then_refunded = [(CreditReason.ASSIGNMENT, -45), (CreditReason.REFUND, 2)]
    assert _ledger(batch) == reserved_then_refunded
    assert Issuer.objects.get(pk=batch.issuer_id).credit_balance == 100 - 43
    # and running any chunk, or the start, again changes nothing
    for chunk in chunks:
        assert batch_chunk_run(chunk_id=chunk.pk) == "skipped"
    batch_start(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.issued, batch.failed) == (BatchStatus.DONE, 43, 2)
    assert Assertion.objects.filter(batch=batch).count() == 43
    assert _ledger(batch) == reserved_then_refunded
    assert Issuer.objects.get(pk=batch.issuer_id).credit_balance == 100 - 43


@pytest.mark.django_db
def test_a_batch_begun_before_chunks_is_split_after_its_rows_done(settings):
    # given a batch that a release before chunks ran to row 20 of 35 (its rows done were
    # a prefix, counted on the batch), then its worker was replaced
    settings.ASSIGN_BATCH_CHUNK = 10
    batch = _queued_batch(35)
    AssignmentBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RUNNING, issued=19, failed=1, credits_used=19
    )
    # when it is started again (the sweep's way)
    batch_start(batch_id=batch.pk, enqueue=False)
    # then only the rows after 20 are split into chunks, and running them ends the batch
    chunks = AssignmentChunk.objects.filter(batch=batch).order_by("first_row")
    assert [(c.first_row, c.last_row) for c in chunks] == [(21, 30), (31, 35)]
    for chunk in chunks:
        assert batch_chunk_run(chunk_id=chunk.pk) == "done"
    batch.refresh_from_db()
    assert (batch.status, batch.issued, batch.failed, batch.credits_used) == (
        BatchStatus.DONE,
        34,
        1,
        34,
    )
    assert Assertion.objects.filter(batch=batch).count() == 15
    assert _ledger(batch) == [(CreditReason.ASSIGNMENT, -35), (CreditReason.REFUND, 1)]


@pytest.mark.django_db
def test_a_batch_stopped_while_a_chunk_runs_keeps_that_chunk_out(settings, monkeypatch):
    # given a started batch of two chunks, the first done
    settings.ASSIGN_BATCH_CHUNK = 10
    batch = _queued_batch(20)
    batch_start(batch_id=batch.pk, enqueue=False)
    first, second = AssignmentChunk.objects.filter(batch=batch).order_by("first_row")
    assert batch_chunk_run(chunk_id=first.pk) == "done"
    # when the batch is stopped (its credits refunded) while the second is being awarded
    real = batches.assertions_award

    def stopped_meanwhile(**kwargs):
        outcome = real(**kwargs)
        AssignmentBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED)
        return outcome

    monkeypatch.setattr(batches, "assertions_award", stopped_meanwhile)
    assert batch_chunk_run(chunk_id=second.pk) == "skipped"
    # then that chunk is undone: no badge, no email, no credit beyond the first's
    batch.refresh_from_db()
    assert (batch.issued, batch.credits_used) == (10, 10)
    assert Assertion.objects.filter(batch=batch).count() == 10
    assert OutboundEmail.objects.filter(assertion__batch=batch).count() == 10
    assert not AssignmentChunk.objects.get(pk=second.pk).done


def _while_a_worker_awards(monkeypatch, chunk, then):
    """Call `then()` while a first worker (a thread, on its own connection) is inside the
    award of `chunk`: (the first worker's result, what `then()` returned)."""
    real = batches.assertions_award
    inside, release = threading.Event(), threading.Event()
    results = []

    def slow_award(**kwargs):
        outcome = real(**kwargs)
        inside.set()
        release.wait(10)
        return outcome

    def first_worker():
        try:
            results.append(batch_chunk_run(chunk_id=chunk.pk))
        finally:
            connection.close()

    monkeypatch.setattr(batches, "assertions_award", slow_award)
    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert inside.wait(10)
        monkeypatch.setattr(batches, "assertions_award", real)
        meanwhile = then()
    finally:
        release.set()
        thread.join(20)
    return (results or [None])[0], meanwhile


@pytest.mark.django_db(transaction=True)
def test_a_chunk_claimed_twice_is_awarded_once(settings, monkeypatch):
    # given a started batch of one chunk, which a first worker is awarding right now
    settings.ASSIGN_BATCH_CHUNK = 10
    batch = _queued_batch(10)
    batch_start(batch_id=batch.pk, enqueue=False)
    chunk = AssignmentChunk.objects.get(batch=batch)
    # when a second worker gets the same chunk (a redelivery, the sweep's copy)
    results = _while_a_worker_awards(monkeypatch, chunk, lambda: batch_chunk_run(chunk_id=chunk.pk))
    # then it leaves it to the first, which awards it once and closes the batch
    assert results == ("done", "skipped")
    batch.refresh_from_db()
    assert (batch.status, batch.issued, batch.credits_used) == (BatchStatus.DONE, 10, 10)
    assert Assertion.objects.filter(batch=batch).count() == 10
    assert OutboundEmail.objects.filter(assertion__batch=batch).count() == 10
    assert AssignmentChunk.objects.get(pk=chunk.pk).attempts == 1
    assert _ledger(batch) == [(CreditReason.ASSIGNMENT, -10)]


@pytest.mark.django_db(transaction=True)
def test_two_chunks_of_one_batch_are_awarded_side_by_side(settings, monkeypatch):
    # given a started batch of two chunks, the first being awarded by a worker right now
    settings.ASSIGN_BATCH_CHUNK = 10
    batch = _queued_batch(20)
    batch_start(batch_id=batch.pk, enqueue=False)
    first, second = AssignmentChunk.objects.filter(batch=batch).order_by("first_row")
    # when a second worker takes the other chunk meanwhile
    results = _while_a_worker_awards(
        monkeypatch, first, lambda: batch_chunk_run(chunk_id=second.pk)
    )
    # then it awards it at once (the first's lock is on its own chunk, not the batch),
    # and the batch ends with both
    assert results == ("done", "done")
    batch.refresh_from_db()
    assert (batch.status, batch.issued, batch.credits_used) == (BatchStatus.DONE, 20, 20)
    assert Assertion.objects.filter(batch=batch).count() == 20


@pytest.fixture
def sent_again(monkeypatch):
    """What the sweep enqueues: ("batch" | "chunk", id)."""
    runs = []
    monkeypatch.setattr(run_assignment_batch, "delay", lambda pk: runs.append(("batch", pk)))
    monkeypatch.setattr(run_assignment_chunk, "delay", lambda pk: runs.append(("chunk", pk)))
    return runs


def _claimed(chunk, seconds_ago: int) -> None:
    then = timezone.now() - timezone.timedelta(seconds=seconds_ago)
    AssignmentChunk.objects.filter(pk=chunk.pk).update(claimed_at=then, attempts=1)


@pytest.mark.django_db(transaction=True)
def test_a_dead_workers_chunk_is_taken_over_and_a_live_ones_is_not(settings, sent_again):
    # given a started batch of three chunks: the first claimed by a worker that died
    # (claimed, not locked), the second held by a live worker (claimed and locked), the
    # third waiting in the queue
    settings.ASSIGN_BATCH_CHUNK = 10
    batch = _queued_batch(30)
    batch_start(batch_id=batch.pk, enqueue=False)
    dead, live, queued = AssignmentChunk.objects.filter(batch=batch).order_by("first_row")
    idle = django_settings.ASSIGN_BATCH_IDLE_SECONDS
    _claimed(dead, idle + 1)
    _claimed(live, idle + 1)
    locked, release = threading.Event(), threading.Event()

    def live_worker():
        with transaction.atomic():
            AssignmentChunk.objects.select_for_update().get(pk=live.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=live_worker)
    thread.start()
    try:
        assert locked.wait(10)
        # when the sweep runs: the queued chunk's message may be in the queue yet
        assert batches_resume_stale() == 1
        # then only the dead worker's chunk is sent again, its claim forgotten
        assert sent_again == [("chunk", dead.pk)]
        assert AssignmentChunk.objects.get(pk=dead.pk).claimed_at is None
        # and the next sweep leaves it to the task enqueued now
        assert batches_resume_stale() == 0
    finally:
        release.set()
        thread.join(20)
    # and a worker taking it over awards it: rows 1-10 once
    assert batch_chunk_run(chunk_id=dead.pk) == "done"
    batch.refresh_from_db()
    assert (batch.status, batch.issued) == (BatchStatus.RUNNING, 10)
    assert AssignmentChunk.objects.get(pk=dead.pk).attempts == 2


@pytest.mark.django_db
def test_a_batch_s_rows_come_back_from_its_file_as_they_were_given():
    # given rows with names and metadata in other scripts, numbers at the ends of what
    # can be stored, nesting and nulls
    metadata = {
        "città": "Zürich 東京 \u2028",
        "numbers": [2**64 - 1, -(2**63), 1.5e308, 0.1, True, None],
        "nested": {"a": [{"b": ""}]},
    }
    rows = [{**row, "metadata": metadata, "first_name": "Zoë"} for row in _rows(3)]
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=10)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    with mock.patch.object(run_assignment_batch, "delay"):
        batch = batch_create(template=template, rows=rows, actor=membership.user)
    # when its rows are read back as a chunk reads them
    header, read = batches._read_rows(batch, first=1, last=3)
    # then they are what was given, clean
    assert header == {"allow_duplicate": True}
    assert [number for number, _row in read] == [1, 2, 3]
    assert all(row["metadata"] == metadata and row["first_name"] == "Zoë" for _n, row in read)


@pytest.mark.django_db
def test_a_row_with_a_number_too_large_to_keep_is_refused_before_anything_is_stored():
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=10)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    rows = _rows(3)
    rows[1]["metadata"] = {"student": {"id": 10**25}}
    with pytest.raises(ApplicationError) as refused:
        batch_create(template=template, rows=rows, actor=membership.user)
    assert refused.value.field_errors == {
        "earners": {
            "1": {
                "metadata": [
                    "The number 10000000000000000000000000 is too large to keep; give it as text."
                ]
            }
        }
    }
    assert not AssignmentBatch.objects.filter(issuer=membership.issuer).exists()
    assert Issuer.objects.get(pk=membership.issuer_id).credit_balance == 10
