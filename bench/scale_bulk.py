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
tenth's (target: within 20 %). About 14 minutes at 8 s per 10k; progress goes to stderr
every 10 assignments. `BENCH_SCALE_BULK=100000` runs a smaller total (a multiple of
10,000) while developing; its total's target is 4 minutes per million, pro rata.
"""

import os
import statistics
import sys
import time

from assertions.services import MAX_EARNERS
from bench.bench_bulk import _world, assignments
from bench.figures import Figure

TOTAL = int(os.environ.get("BENCH_SCALE_BULK", "1000000"))
TARGET_S_PER_MILLION = 240
FLAT = 1.2  # the slowest tenth at most 20 % slower than the first


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
    return [
        Figure(
            f"bulk assignment of {TOTAL:,} earners ({parts} x {MAX_EARNERS:,}, one issuer)",
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
