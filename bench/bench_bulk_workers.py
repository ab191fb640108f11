"""7. One queued batch of 10,000 earners run by one bulk worker, then by two: its chunk
tasks (ASSIGN_BATCH_CHUNK rows each, 500) go to whichever worker of the bulk queue is
free (real Celery workers, prefork with concurrency 1 each, as docs/deployment.md runs
them). Timed from the batch's commit (its start enqueued) until it is done; its emails
are queued for the emails queue, which no worker serves here (bench_emails times them).
"""

import statistics
import tempfile
import time
from pathlib import Path

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


def _batch_seconds(bulk_workers: int, *, owner, template, prefix: str) -> float:
    purge_queues()
    with tempfile.TemporaryDirectory() as tmp:
        workers = Workers(Path(tmp), smtp_port=0)  # no emails worker: nothing is sent
        try:
            for i in range(bulk_workers):
                workers.start(f"bulk-{i}", "bulk", pool="prefork", concurrency=1)
            time.sleep(5)  # let the workers connect before the clock starts
            rows = _rows(prefix)
            batch = batch_create(template=template, rows=rows, actor=owner, activity_title="W")
            start = time.perf_counter()
            deadline = start + 900
            while time.perf_counter() < deadline:
                status = AssignmentBatch.objects.values_list("status", flat=True).get(pk=batch.pk)
                if status in (BatchStatus.DONE, BatchStatus.FAILED):
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            logs = "\n".join(workers.log(f"bulk-{i}") for i in range(bulk_workers))
        finally:
            workers.stop_all()
            purge_queues()
    batch.refresh_from_db()
    if batch.status != BatchStatus.DONE or batch.issued != N:
        raise RuntimeError(f"the batch: {batch.status}, {batch.issued}/{N}:\n{logs}")
    return elapsed


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
