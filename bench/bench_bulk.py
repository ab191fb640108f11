"""1. Bulk assignment from a CSV through the real service path, against a bare insert of
the same number of badge rows by COPY (`core.inserts.copy_many`, the fastest way rows
get into PostgreSQL) in the same run; `bulk_create` of them is shown beside it.

The service path is what the assign wizard does with an uploaded file: read and map the
CSV (`assign.files`), check every row (including who already holds the badge),
`batch_create` (credits reserved in one ledger entry, rows stored) and `batch_run` (earners
upserted, passwordless accounts created for new earners, badges, events and outbox rows
bulk-inserted in chunks, unused credits refunded). The workers' tasks (`batch_start`, then
`batch_chunk_run` per chunk) are run here in-process by `batch_run`, so that the figure is
the work, not the broker (bench_bulk_workers times real workers).

The assignment writes more than badge rows: for each earner an account, an earner, a
badge, two events (issued, email queued) and an outbox row. Those rows put in by COPY in
one transaction, with nothing else (no file, no checks, no rules; building them is not
timed), are the floor of any assignment that writes them: its figure shows what is left
above the writes themselves.

An assignment takes at most `MAX_EARNERS` (10,000) rows, so 100,000 earners are ten
assignments of 10,000 run one after the other on a growing table: s per 10k at both sizes
shows whether the time grows linearly with the data already there.
"""

import secrets
import statistics
import time

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from assertions.models import Assertion, AssertionEvent, AssignmentBatch, BatchStatus, EventKind
from assertions.services import MAX_EARNERS, batch_create, batch_run, recipient_hash
from assign import files as assign_files
from bench.figures import Figure
from core.inserts import copy_many, insert_rows, instances
from core.models import OutboundEmail
from core.testing import png_upload
from earners.models import Earner
from issuers.services import credits_top_up, issuer_create
from templates_app.services import template_create

N = 10_000
LARGE = 100_000


def _csv(n: int, prefix: str) -> bytes:
    lines = ["E-mail;Nome;Cognome;Cohort"]
    lines += [f"{prefix}{i}@bulk.example;Ada;Lovelace {i};2026-{i % 12 + 1:02d}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _world(credits: int):
    owner = User.objects.create_user(f"bulk-owner-{secrets.token_hex(4)}@bench.example")
    issuer = issuer_create(name="Bulk Academy", email="bulk@bench.example", owner=owner)
    if credits:
        credits_top_up(issuer=issuer, amount=credits)  # granted as an operator would
    template = template_create(
        issuer=issuer,
        name=f"Bulk badge {secrets.token_hex(3)}",
        criteria_url="https://bench.example",
        image=png_upload(),
        actor=owner,
    )
    return owner, issuer, template


def queue_from_csv(data: bytes, *, template, actor) -> AssignmentBatch:
    """What the assign wizard does with an uploaded file up to the queued batch: read and
    map the CSV, check every row, `batch_create` (its start enqueued on commit)."""
    table = assign_files.read_bytes(data, name="earners.csv")
    rows = assign_files.earner_rows(table, assign_files.guess_mapping(table))
    checked = assign_files.check_rows(rows, issuer=template.issuer, template=template)
    assert not checked.problems, checked.problems[:3]
    return batch_create(
        template=template,
        rows=[
            {k: r[k] for k in ("email", "first_name", "last_name", "metadata")}
            for r in checked.valid
        ],
        actor=actor,
        activity_title="Benchmark cohort",
    )


def assign_from_csv(data: bytes, *, template, actor) -> AssignmentBatch:
    """`queue_from_csv`, then the batch run here, in this process."""
    batch = queue_from_csv(data, template=template, actor=actor)
    batch = batch_run(batch_id=batch.pk)
    assert batch.status == BatchStatus.DONE, batch.errors[:3]
    assert batch.issued == batch.total, (batch.issued, batch.failed)
    return batch


def _earners(issuer, emails: list[str], users=None) -> list[Earner]:
    """Unsaved new earners of `issuer`, one per email, with the accounts `users` if given."""
    return instances(
        Earner,
        (
            {"issuer": issuer, "email": email, "user": user, "first_name": "A", "last_name": str(i)}
            for i, (email, user) in enumerate(
                zip(emails, users or [None] * len(emails), strict=True)
            )
        ),
    )


def _new_earners(issuer, prefix: str) -> list[Earner]:
    """N new earners of `issuer`, stored by COPY (untimed)."""
    return copy_many(_earners(issuer, [f"{prefix}{i}@bulk.example" for i in range(N)]))


def _bare_badges(issuer, template, earners) -> list[Assertion]:
    """Unsaved bare badge rows of `template` for `earners`: what the service path stores
    for each earner in the badge table, and nothing else."""
    version = template.current_version
    salt = "s" * 32
    now = timezone.now()
    return [
        Assertion(
            badge_template_version=version,
            badge_template=template,
            organization=issuer,
            earner=e,
            recipient_email=e.email,
            recipient_first_name=e.first_name,
            recipient_last_name=e.last_name,
            emitted_at=now,
            recipient_salt=salt,
            recipient_hash=recipient_hash(e.email, salt),
        )
        for e in earners
    ]


def _all_rows_by_copy(issuer, template, prefix: str, email: OutboundEmail) -> float:
    """Seconds to COPY, in one transaction, the rows an assignment of N earners writes:
    accounts, earners, badges, two events per badge and outbox rows (each like `email`,
    an award email the service queued). Only the COPYs and the commit are timed."""
    took = 0.0

    def timed(fn, *args):
        nonlocal took
        start = time.perf_counter()
        result = fn(*args)
        took += time.perf_counter() - start
        return result

    with transaction.atomic():
        users = timed(
            copy_many,
            instances(
                User, ({"email": f"{prefix}{i}@bulk.example", "password": "!"} for i in range(N))
            ),
        )
        earners = timed(copy_many, _earners(issuer, [u.email for u in users], users))
        badges = timed(copy_many, _bare_badges(issuer, template, earners))
        events = [
            {"assertion_id": b.pk, "kind": kind, "payload": {"version": 1, "notify": True}}
            for b in badges
            for kind in (EventKind.ISSUED, EventKind.EMAIL_QUEUED)
        ]
        timed(insert_rows, AssertionEvent, events)
        emails = [
            {
                "kind": email.kind,
                "to_email": b.recipient_email,
                "subject": email.subject,
                "context": {**email.context, "assertion": b.entity_id},
                "assertion_id": b.pk,
                "user_id": e.user_id,
            }
            for b, e in zip(badges, earners, strict=True)
        ]
        timed(insert_rows, OutboundEmail, emails)
        start = time.perf_counter()  # the commit, where the foreign keys are checked
    return took + time.perf_counter() - start


def _seconds(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def assignments(total: int, *, owner, template, prefix: str, progress=None) -> list[float]:
    """`total` earners assigned `template` as total / MAX_EARNERS assignments of
    MAX_EARNERS from CSV (an assignment takes no more), one after the other on the one
    issuer's growing tables: the seconds of each. `progress(done, seconds)` after each."""
    seconds = []
    for part in range(total // MAX_EARNERS):
        data = _csv(MAX_EARNERS, f"{prefix}{part}-")
        seconds.append(_seconds(assign_from_csv, data, template=template, actor=owner))
        if progress:
            progress(part + 1, seconds)
    return seconds


def _analyze():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def run(repeat: int) -> list[Figure]:
    # The modules before this one filled the tables in seconds; in production autovacuum
    # would have analysed them since (a plan made on statistics of empty tables read a
    # whole issuer's badges for each chunk's idempotency keys).
    _analyze()
    figures = []
    service_times, copy_times, bulk_create_times, floor_times = [], [], [], []
    for run_no in range(repeat):
        owner, issuer, template = _world(N)
        data = _csv(N, f"r{run_no}-")
        service_times.append(_seconds(assign_from_csv, data, template=template, actor=owner))

        # The baseline: the same number of bare badge rows for existing earners, by COPY;
        # and by bulk_create, the baseline this figure had before.
        _, issuer2, template2 = _world(0)
        rows = _bare_badges(issuer2, template2, _new_earners(issuer2, f"copy{run_no}-"))
        copy_times.append(_seconds(copy_many, rows))
        rows = _bare_badges(issuer2, template2, _new_earners(issuer2, f"bulk{run_no}-"))
        bulk_create_times.append(_seconds(Assertion.objects.bulk_create, rows, batch_size=2000))
        email = OutboundEmail.objects.filter(assertion__badge_template=template).first()
        floor_times.append(_all_rows_by_copy(issuer2, template2, f"all{run_no}-", email))
        _analyze()
    service = statistics.median(service_times)
    copy = statistics.median(copy_times)
    figures.append(
        Figure(
            f"bulk assignment of {N:,} earners from CSV (full service path)",
            service,
            "s",
            target="< 2 s",
            passed=service < 2,
        )
    )
    figures.append(Figure(f"COPY of {N:,} bare badge rows (core.inserts.copy_many)", copy, "s"))
    bulk_create = statistics.median(bulk_create_times)
    figures.append(
        Figure(f"bulk_create of {N:,} bare badge rows (was the baseline)", bulk_create, "s")
    )
    ratio = service / copy
    figures.append(
        Figure(
            "bulk assignment / COPY of the bare badge rows",
            ratio,
            "x",
            target="<= 2",
            passed=ratio <= 2,
        )
    )
    figures.append(Figure("the same / bulk_create of the bare rows", service / bulk_create, "x"))
    floor = statistics.median(floor_times)
    figures.append(
        Figure(
            f"COPY of all the rows an assignment of {N:,} writes (accounts, earners, badges, "
            "2 events each, outbox), one transaction",
            floor,
            "s",
        )
    )
    figures.append(Figure("the same: / COPY of the bare badge rows", floor / copy, "x"))
    figures.append(Figure("bulk assignment / COPY of all its rows", service / floor, "x"))

    # 100,000 earners: ten assignments of MAX_EARNERS on one issuer, one after the other.
    owner, issuer, template = _world(LARGE)
    large = sum(assignments(LARGE, owner=owner, template=template, prefix="big"))
    per_10k_small = service / (N / 10_000)
    per_10k_large = large / (LARGE / 10_000)
    parts = LARGE // MAX_EARNERS
    figures.append(Figure(f"bulk assignment, s per 10k at {N:,}", per_10k_small, "s"))
    growth = per_10k_large / per_10k_small
    figures.append(
        Figure(
            f"bulk assignment, s per 10k at {LARGE:,} ({parts} x {MAX_EARNERS:,})",
            per_10k_large,
            "s",
            target=f"linear (<= 1.25x of {N:,}: {growth:.2f}x)",
            passed=growth <= 1.25,
        )
    )
    return figures
