"""7. One queued batch of 10,000 earners run by one bulk worker, then by two: its chunk
tasks (ASSIGN_BATCH_CHUNK rows each, 500) go to whichever worker of the bulk queue is
free (real Celery workers, prefork with concurrency 1 each, as docs/deployment.md runs
them). Timed from the batch's commit (its start enqueued) until it is done; its emails
are queued for the emails queue, which no worker serves here (bench_emails times them).
"""

import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from django.db.models import F

from assertions.models import AssignmentBatch, BatchStatus
from assertions.services import MAX_EARNERS, batch_create
from bench import bench_bulk
from bench.figures import Figure
from tests.celery_stack import Workers, purge_queues

N = MAX_EARNERS  # 10,000, the largest assignment


def _rows(prefix: str) -> list[dict]:
    return [
        {"email": f"{prefix}{i}@workers.example", "first_name": "Ada", "last_name": f"L{i}"}
        for i in range(N)
    ]


@contextlib.contextmanager
def bulk_workers(count: int):
    """`count` real bulk workers (prefork, concurrency 1 each) on the benchmark's
    database, connected when the block starts; their logs' tails for an error message
    (a function) as the value. No emails worker: the emails queued wait in Redis."""
    purge_queues()
    with tempfile.TemporaryDirectory() as tmp:
        workers = Workers(Path(tmp), smtp_port=0)
        try:
            for i in range(count):
                workers.start(f"bulk-{i}", "bulk", pool="prefork", concurrency=1)
            time.sleep(5)  # let the workers connect before the clock starts
            yield lambda: "\n".join(workers.log(f"bulk-{i}") for i in range(count))
        finally:
            workers.stop_all()
            purge_queues()


def wait_done(batch_ids: list[int], logs, *, timeout: float) -> None:
    """Until every batch of `batch_ids` is done; RuntimeError with the workers' logs if
    one failed, fell short or was not done in `timeout` seconds."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        statuses = AssignmentBatch.objects.filter(pk__in=batch_ids).values_list("status", flat=True)
        if all(s in (BatchStatus.DONE, BatchStatus.FAILED) for s in statuses):
            break
        time.sleep(0.05)
    unfinished = (
        AssignmentBatch.objects.filter(pk__in=batch_ids)
        .exclude(status=BatchStatus.DONE, issued=F("total"))
        .values_list("entity_id", "status", "issued", "total")
    )
    if unfinished:
        raise RuntimeError(f"batches not done: {list(unfinished)[:3]}\n{logs()}")


def _batch_seconds(count: int, *, owner, template, prefix: str) -> float:
    with bulk_workers(count) as logs:
        rows = _rows(prefix)
        batch = batch_create(template=template, rows=rows, actor=owner, activity_title="W")
        start = time.perf_counter()
        wait_done([batch.pk], logs, timeout=900)
        return time.perf_counter() - start


def run(repeat: int) -> list[Figure]:
    runs = max(1, min(repeat, 3))  # each run is a whole 10,000-earner batch
    owner, _, template = bench_bulk._world(2 * runs * N)
    seconds = {}
    for bulk_workers in (1, 2):
        seconds[bulk_workers] = statistics.median(
            _batch_seconds(
                bulk_workers, owner=owner, template=template, prefix=f"w{bulk_workers}r{r}-"
            )
            for r in range(runs)
        )
    return [
        Figure(f"{N:,}-earner batch, 1 bulk worker", seconds[1], "s"),
        Figure(f"{N:,}-earner batch, 2 bulk workers", seconds[2], "s"),
        Figure("a second bulk worker on one batch", seconds[1] / seconds[2], "x faster"),
    ]
