"""A bulk assignment through real Celery workers on Redis and PostgreSQL, with every
email delivered to an SMTP server (aiosmtpd): 1,000 earners, its chunks shared by two
bulk workers, and one of them killed with SIGKILL in the middle of a chunk."""

import re
import time

import pytest
from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from assertions.models import Assertion, AssignmentBatch, AssignmentChunk, BatchStatus
from assertions.services import batch_assign, batches_resume_stale
from core.models import EmailStatus, OutboundEmail
from core.services import outbox_sweep
from earners.models import Earner
from issuers.models import CreditLedgerEntry, CreditReason, Issuer, Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.celery_stack import Workers, smtp_sink, through_redis, wait_for  # noqa: F401

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
N = 1000


@pytest.fixture
def world(through_redis, smtp_sink, tmp_path):  # noqa: F811
    sink, port = smtp_sink
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=N + 5)
    template = BadgeTemplateFactory(issuer=membership.issuer, name="Reliable badge")
    rows = [
        {"email": f"earner{i}@bulk.example", "first_name": "Earner", "last_name": str(i)}
        for i in range(N)
    ]
    workers = Workers(tmp_path, port)
    yield {
        "sink": sink,
        "template": template,
        "rows": rows,
        "actor": membership.user,
        "workers": workers,
        "issuer": membership.issuer,
        "tmp_path": tmp_path,
    }
    workers.stop_all()


def _batch(world):
    return AssignmentBatch.objects.get(pk=world["batch"].pk)


KILLED = "application_name=bulk-1"


def _awarding(name: str) -> bool:
    """Whether the worker whose connection is named `name` is inside a chunk's award: its
    transaction has inserted badges (and holds that table's lock until it ends)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.application_name = %s AND l.mode = 'RowExclusiveLock' "
            "AND l.relation = 'assertions_assertion'::regclass",
            [name],
        )
        return cursor.fetchone() is not None


def _chunk_done(world, name: str) -> bool:
    """Whether the worker `name` has logged a chunk it awarded."""
    log = (world["tmp_path"] / f"worker-{name}.log").read_text()
    done = re.search(r"run_assignment_chunk\[[^\]]+\] succeeded in [\d.]+s: 'done'", log)
    return done is not None


def _row_held(model, pk):
    """A connection of its own whose open transaction holds `model`'s row `pk` locked
    (rollback to let it go)."""
    held = connection.get_new_connection(connection.get_connection_params())
    held.autocommit = False
    held.execute(f"SELECT 1 FROM {model._meta.db_table} WHERE id = %s FOR UPDATE", [pk])
    return held


def _snapshot(batch) -> dict:
    """The batch's count of badges issued, and its badges and emails, in one statement."""

    def count(model, path):
        rows = model.objects.filter(**{path: OuterRef("pk")}).order_by().values(path)
        return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)

    return (
        AssignmentBatch.objects.filter(pk=batch.pk)
        .annotate(badges=count(Assertion, "batch"), emails=count(OutboundEmail, "assertion__batch"))
        .values("issued", "badges", "emails")
        .get()
    )


def _assert_everything_once(world):
    sink = world["sink"]
    expected = {row["email"] for row in world["rows"]}
    batch = _batch(world)
    assert batch.status == BatchStatus.DONE
    assert (batch.total, batch.issued, batch.failed) == (N, N, 0)
    assert batch.credits_used == batch.credits_reserved == N
    # one badge per earner, no more
    assert Assertion.objects.filter(batch=batch).count() == N
    assert set(Assertion.objects.values_list("recipient_email", flat=True)) == expected
    assert not Assertion.objects.values("earner").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert Earner.objects.count() == N
    # one outbox row per badge, all sent
    assert OutboundEmail.objects.count() == N
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == N
    # give a duplicate the time to arrive if there were one
    time.sleep(1.5)
    received = sink.recipients()
    assert set(received) == expected
    assert max(received.values()) == 1, [a for a, n in received.items() if n > 1][:5]
    assert sink.count() == N
    # the credits: one reservation of N, nothing refunded, the balance down by N
    ledger = CreditLedgerEntry.objects.filter(batch=batch)
    assert list(ledger.values_list("reason", "amount")) == [(CreditReason.ASSIGNMENT, -N)]
    assert Issuer.objects.get(pk=world["issuer"].pk).credit_balance == 5


def _all_sent(world):
    return (
        _batch(world).status == BatchStatus.DONE
        and OutboundEmail.objects.filter(status=EmailStatus.SENT).count() >= N
        and world["sink"].count() >= N
    )


def test_a_batch_of_1000_earners_completes_and_every_email_arrives_once(world):
    workers = world["workers"]
    workers.start("bulk", "bulk")
    workers.start("mail", "default,emails", pool="threads", concurrency=8)
    started = time.monotonic()
    result = batch_assign(template=world["template"], rows=world["rows"], actor=world["actor"])
    assert result.queued
    world["batch"] = result.batch
    wait_for(
        lambda: _batch(world).status in (BatchStatus.DONE, BatchStatus.FAILED),
        timeout=120,
        what=lambda: "the batch: " + workers.log("bulk"),
    )
    issued_in = time.monotonic() - started
    wait_for(
        lambda: _all_sent(world), timeout=180, what=lambda: "the emails: " + workers.log("mail")
    )
    emailed_in = time.monotonic() - started
    print(f"\n1,000-earner batch: issued in {issued_in:.1f}s, all emails in {emailed_in:.1f}s")
    _assert_everything_once(world)


def test_two_workers_share_a_batch_and_one_killed_mid_chunk_loses_nothing(world, settings):
    workers = world["workers"]
    # given two bulk workers, and chunks of 50 rows so that there are many to share (the
    # first one's database connection named, to see when it is inside a chunk)
    url = workers.env["DATABASE_URL"]
    workers.start("bulk-1", "bulk", ASSIGN_BATCH_CHUNK="50", DATABASE_URL=f"{url}?{KILLED}")
    workers.start("bulk-2", "bulk", ASSIGN_BATCH_CHUNK="50")
    workers.start("mail", "default,emails", pool="threads", concurrency=8)
    result = batch_assign(template=world["template"], rows=world["rows"], actor=world["actor"])
    world["batch"] = result.batch
    # when one of them is killed while it awards a chunk: once 300 are issued, the
    # batch's row is held, so that a worker that has inserted a chunk's badges waits
    # inside its transaction for that row (a chunk's last statements) and is killed
    # there, not just after its commit (which left no chunk in flight, now and then)
    # (and once each worker has awarded a chunk: which takes the first ones is a race)
    wait_for(
        lambda: _batch(world).issued >= 300 and _chunk_done(world, "bulk-1"),
        timeout=120,
        what=lambda: "progress: " + workers.log("bulk-1") + workers.log("bulk-2"),
        every=0.01,
    )
    holder = _row_held(AssignmentBatch, world["batch"].pk)
    try:
        wait_for(
            lambda: _awarding("bulk-1"),
            timeout=120,
            what=lambda: "bulk-1 in a chunk: " + workers.log("bulk-1"),
            every=0.01,
        )
        workers.kill("bulk-1")
    finally:
        holder.rollback()
        holder.close()
    at_kill = _batch(world)
    assert at_kill.status == BatchStatus.RUNNING
    assert 300 <= at_kill.issued < N, at_kill.issued
    # what was committed stands; the chunk in flight was rolled back entirely (read in
    # one statement: the other worker commits chunks meanwhile)
    now = _snapshot(at_kill)
    assert now["badges"] == now["emails"] == now["issued"], now
    # then the other worker goes on with the chunks in the queue, and the sweep (as beat
    # runs it) sends again the chunk the dead worker had claimed: its message is held
    # by Redis for the visibility timeout (16 minutes), so without the sweep the batch
    # would not end within the test's time
    claimed = AssignmentChunk.objects.filter(batch=at_kill, done=False, claimed_at__isnull=False)
    assert claimed.exists()
    settings.OUTBOX_RETRY_AFTER_SECONDS = 0

    def swept_and_done():
        batches_resume_stale(older_than_seconds=5)
        return _batch(world).status in (BatchStatus.DONE, BatchStatus.FAILED)

    wait_for(
        swept_and_done,
        timeout=120,
        every=1,
        what=lambda: "the batch after the kill: " + workers.log("bulk-2"),
    )
    outbox_sweep()  # re-enqueues emails still pending: sent once all the same
    wait_for(
        lambda: _all_sent(world), timeout=180, what=lambda: "the emails: " + workers.log("mail")
    )
    _assert_everything_once(world)
    # and both workers awarded chunks of the one batch
    chunks = AssignmentChunk.objects.filter(batch=at_kill)
    assert chunks.count() == N // 50
    assert not chunks.filter(done=False).exists()
    # each taken once, but the dead worker's: none was left aside for the sweep
    assert chunks.filter(attempts__gt=1).count() <= 1
    for name in ("bulk-1", "bulk-2"):
        assert _chunk_done(world, name)
