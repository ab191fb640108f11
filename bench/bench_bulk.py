"""1. Bulk assignment from a CSV through the real service path, against a plain
`bulk_create` of bare Assertion rows in the same run.

The service path is what the assign wizard does with an uploaded file: read and map the
CSV (`assign.files`), check every row (including who already holds the badge),
`batch_create` (credits reserved in one ledger entry, rows stored) and `batch_run` (earners
upserted, passwordless accounts created for new earners, badges, events and outbox rows
bulk-inserted in chunks, unused credits refunded). The workers' tasks (`batch_start`, then
`batch_chunk_run` per chunk) are run here in-process by `batch_run`, so that the figure is
the work, not the broker (bench_bulk_workers times real workers).

An assignment takes at most `MAX_EARNERS` (10,000) rows, so 100,000 earners are ten
assignments of 10,000 run one after the other on a growing table: s per 10k at both sizes
shows whether the time grows linearly with the data already there.
"""

import secrets
import time

from django.db import connection
from django.utils import timezone

from accounts.models import User
from assertions.models import Assertion, AssignmentBatch, BatchStatus
from assertions.services import MAX_EARNERS, batch_create, batch_run, recipient_hash
from assign import files as assign_files
from bench.figures import Figure
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


def assign_from_csv(data: bytes, *, template, actor) -> AssignmentBatch:
    table = assign_files.read_bytes(data, name="earners.csv")
    rows = assign_files.earner_rows(table, assign_files.guess_mapping(table))
    checked = assign_files.check_rows(rows, issuer=template.issuer, template=template)
    assert not checked.problems, checked.problems[:3]
    batch = batch_create(
        template=template,
        rows=[
            {k: r[k] for k in ("email", "first_name", "last_name", "metadata")}
            for r in checked.valid
        ],
        actor=actor,
        activity_title="Benchmark cohort",
    )
    batch = batch_run(batch_id=batch.pk)
    assert batch.status == BatchStatus.DONE, batch.errors[:3]
    assert batch.issued == len(checked.valid), (batch.issued, batch.failed)
    return batch


def _bare_rows(issuer, template, earners) -> float:
    version = template.current_version
    salt = "s" * 32
    now = timezone.now()
    rows = [
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
    start = time.perf_counter()
    Assertion.objects.bulk_create(rows, batch_size=2000)
    return time.perf_counter() - start


def _analyze():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def run(repeat: int) -> list[Figure]:
    figures = []
    service_times, bare_times = [], []
    for run_no in range(repeat):
        owner, issuer, template = _world(N)
        data = _csv(N, f"r{run_no}-")
        start = time.perf_counter()
        assign_from_csv(data, template=template, actor=owner)
        service_times.append(time.perf_counter() - start)

        # The baseline: the same number of bare badge rows for existing earners.
        _, issuer2, template2 = _world(0)
        earners = Earner.objects.bulk_create(
            Earner(
                issuer=issuer2,
                email=f"bare{run_no}-{i}@bulk.example",
                first_name="A",
                last_name=str(i),
            )
            for i in range(N)
        )
        bare_times.append(_bare_rows(issuer2, template2, earners))
        _analyze()
    service = sorted(service_times)[len(service_times) // 2]
    bare = sorted(bare_times)[len(bare_times) // 2]
    figures.append(
        Figure(
            f"bulk assignment of {N:,} from CSV (service path)",
            service,
            "s",
            target="< 10 s",
            passed=service < 10,
        )
    )
    figures.append(Figure(f"bulk_create of {N:,} bare Assertion rows", bare, "s"))
    ratio = service / bare
    figures.append(
        Figure("bulk assignment / bare bulk_create", ratio, "x", target="<= 5", passed=ratio <= 5)
    )

    # 100,000 earners: ten assignments of MAX_EARNERS on one issuer, one after the other.
    owner, issuer, template = _world(LARGE)
    parts = LARGE // MAX_EARNERS
    start = time.perf_counter()
    for part in range(parts):
        assign_from_csv(_csv(MAX_EARNERS, f"big{part}-"), template=template, actor=owner)
    large = time.perf_counter() - start
    per_10k_small = service / (N / 10_000)
    per_10k_large = large / (LARGE / 10_000)
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
