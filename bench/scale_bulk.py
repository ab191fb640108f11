"""Bulk assignment of 1,000,000 earners (`make bench BENCH_ARGS=--scale`), batched as
the product takes it: an assignment holds at most MAX_EARNERS (10,000) rows, so the
million is 100 assignments of 10,000 from CSV, one after the other on one issuer and
one badge template, through bench_bulk's real path (the file read, mapped and checked
against who holds the badge already, `batch_create`, `batch_run`: earners, accounts,
credits, badges, events, outbox). Each assignment is a batch of its own, its chunks
committed one by one (a batch whose worker died is run again: `batches_resume_stale`);
here `batch_run` runs them in this process, one after the other.

Figures: the total time (target under 4 minutes for the million), and whether the time
of an assignment stays flat while the tables grow to a million badges: the median s per
10k of the last tenth of the assignments and of the slowest tenth against the first
tenth's (target: within 20 %).

Then the million again, for another issuer, as a deployment runs it: BULK_WORKERS real
bulk workers (prefork, concurrency 1 each, as bench_bulk_workers starts them) take the
chunks of the batches while this process reads, checks and queues the 100 files one
after the other, as the wizard would for uploads made one after the other; timed from
the first file until the last batch is done (the CSV texts are made before).

About 11 minutes in all (6 in one process, 4 through the workers); progress goes to
stderr every 10 assignments. `BENCH_SCALE_BULK=100000` runs a smaller total (a multiple
of 10,000) while developing; its total's target is 4 minutes per million, pro rata.
"""

import os
import statistics
import sys
import time

from assertions.services import MAX_EARNERS
from bench.bench_bulk import _csv, _world, assignments, queue_from_csv
from bench.bench_bulk_workers import bulk_workers, wait_done
from bench.figures import Figure

TOTAL = int(os.environ.get("BENCH_SCALE_BULK", "1000000"))
TARGET_S_PER_MILLION = 240
FLAT = 1.2  # the slowest tenth at most 20 % slower than the first
BULK_WORKERS = 2  # one per core of the machine the README's figures come from


def _progress(started: float):
    def report(done: int, seconds: list[float]) -> None:
        if done % 10 == 0 or done * MAX_EARNERS == TOTAL:
            recent = statistics.median(seconds[-10:])
            print(
                f"scale_bulk: {done * MAX_EARNERS:,}/{TOTAL:,} earners in "
                f"{time.perf_counter() - started:.0f} s (median of the last 10: "
                f"{recent:.2f} s per {MAX_EARNERS:,})",
                file=sys.stderr,
                flush=True,
            )

    return report


def _through_workers(total: int) -> float:
    """Seconds to assign `total` earners as files queued one after the other, their
    batches run by BULK_WORKERS bulk workers (see the module's docstring)."""
    owner, _issuer, template = _world(total)
    files = [_csv(MAX_EARNERS, f"w{part}-") for part in range(total // MAX_EARNERS)]
    with bulk_workers(BULK_WORKERS) as logs:
        started = time.perf_counter()
        batches = []
        for data in files:
            batches.append(queue_from_csv(data, template=template, actor=owner).pk)
            if len(batches) % 10 == 0:
                print(
                    f"scale_bulk: {len(batches) * MAX_EARNERS:,}/{total:,} earners queued in "
                    f"{time.perf_counter() - started:.0f} s ({BULK_WORKERS} bulk workers)",
                    file=sys.stderr,
                    flush=True,
                )
        wait_done(batches, logs, timeout=3600)
        return time.perf_counter() - started


def run(repeat: int) -> list[Figure]:  # one run: it is the million that is measured
    if TOTAL < MAX_EARNERS or TOTAL % MAX_EARNERS:
        raise ValueError(f"BENCH_SCALE_BULK must be a multiple of {MAX_EARNERS:,}, not {TOTAL}")
    owner, _issuer, template = _world(TOTAL)
    started = time.perf_counter()
    seconds = assignments(
        TOTAL, owner=owner, template=template, prefix="m", progress=_progress(started)
    )
    total = time.perf_counter() - started
    parts = len(seconds)
    tenth = max(1, parts // 10)
    deciles = [statistics.median(seconds[i : i + tenth]) for i in range(0, parts, tenth)]
    first, last, worst = deciles[0], deciles[-1], max(deciles)
    target = TARGET_S_PER_MILLION * TOTAL / 1_000_000
    per_10k = 10_000 / MAX_EARNERS
    workers_total = _through_workers(TOTAL)
    return [
        Figure(
            f"bulk assignment of {TOTAL:,} earners, {parts} files queued one after the "
            f"other, run by {BULK_WORKERS} bulk workers",
            workers_total,
            "s",
            target=f"< {target:.0f} s",
            passed=workers_total < target,
        ),
        Figure(
            f"bulk assignment of {TOTAL:,} earners ({parts} x {MAX_EARNERS:,}, one issuer), "
            "in one process",
            total,
            "s",
            target=f"< {target:.0f} s",
            passed=total < target,
        ),
        Figure("the same: s per 10k, the first assignment", seconds[0] * per_10k, "s"),
        Figure(
            f"the same: s per 10k, median of the first tenth (up to {tenth * MAX_EARNERS:,})",
            first * per_10k,
            "s",
        ),
        Figure(
            f"the same: s per 10k, median of the last tenth (to {TOTAL:,}) / first tenth",
            last / first,
            "x",
            target=f"<= {FLAT} (flat within 20 %)",
            passed=last / first <= FLAT,
        ),
        Figure(
            "the same: s per 10k, median of the slowest tenth / first tenth",
            worst / first,
            "x",
            target=f"<= {FLAT} (flat within 20 %)",
            passed=worst / first <= FLAT,
        ),
    ]
