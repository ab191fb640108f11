"""6. Email fan-out: 10,000 award emails already in the outbox, sent by a real Celery
worker on the `emails` queue (prefork, concurrency 4, as docs/deployment.md runs it) to
a local SMTP sink (aiosmtpd). Timed from the moment the send tasks are enqueued until
the sink holds every message; each address must arrive exactly once."""

import logging
import tempfile
import time
from pathlib import Path
from unittest import mock

from aiosmtpd.controller import Controller
from django.db import transaction

from bench import bench_bulk
from bench.figures import Figure
from core.models import EmailStatus, OutboundEmail
from core.services import enqueue_send_many
from tests.celery_stack import Sink, Workers, free_port, purge_queues

N = 10_000


def run(repeat: int) -> list[Figure]:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
    owner, _, template = bench_bulk._world(N)
    # The outbox rows of a real 10,000-earner assignment, not yet handed to the broker.
    with mock.patch("core.services.enqueue_send_many"):
        batch = bench_bulk.assign_from_csv(
            bench_bulk._csv(N, "mail-"), template=template, actor=owner
        )
    ids = list(
        OutboundEmail.objects.filter(
            assertion__batch=batch, status=EmailStatus.PENDING
        ).values_list("pk", flat=True)
    )
    assert len(ids) == N, len(ids)

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    purge_queues()
    with tempfile.TemporaryDirectory() as tmp:
        workers = Workers(Path(tmp), smtp.port)
        try:
            workers.start("emails", "emails", pool="prefork", concurrency=4)
            time.sleep(3)  # let the worker connect before the clock starts
            start = time.perf_counter()
            with transaction.atomic():
                enqueue_send_many(ids)
            deadline = start + 600
            while sink.count() < N and time.perf_counter() < deadline:
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
        finally:
            workers.stop_all()
            smtp.stop()
            purge_queues()
    received = sink.recipients()
    if sink.count() < N:
        raise RuntimeError(f"only {sink.count()} of {N} emails arrived:\n{workers.log('emails')}")
    twice = sum(1 for count in received.values() if count > 1)
    rate = N / elapsed
    return [
        Figure(f"{N:,} outbox emails to an SMTP sink, 1 worker x4", elapsed, "s"),
        Figure(
            "email fan-out",
            rate,
            "emails/s",
            target=">= 200/s, none twice",
            passed=rate >= 200 and twice == 0 and len(received) == N,
        ),
    ]
