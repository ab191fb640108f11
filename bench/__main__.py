"""`make bench`: run every benchmark module, print a table of medians, write results.json.

Each `bench/bench_*.py` module has `run(repeat: int) -> list[Figure]`; so has each
`bench/scale_*.py`, run instead with `--scale` (results-scale.json), as they take longer.
Benchmarks run on a throw-away test database on the PostgreSQL that `make bench` starts
(scripts/services.sh), so figures come from the same engine as production.
"""

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import traceback
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badges_project.settings.test")
# As in production: tasks go to the broker (Redis, started by make bench), not inline.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "false")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

from bench.figures import Figure, render_markdown, render_table  # noqa: E402
from core.heap import heap_settle  # noqa: E402

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--repeat", type=int, default=5, help="runs per benchmark (median)")
    parser.add_argument("--only", default="", help="run only modules whose name contains this")
    parser.add_argument(
        "--skip",
        default="",
        help="leave out modules whose name contains any of these (comma-separated), e.g. "
        "badge_list,earner_list, which build a million rows each",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="run the scale benchmarks instead of the others (bench/scale_*.py: lists over "
        "1,000,000 badges, 1,000,000 earners assigned, 1,000,000 badges exported; each "
        "builds its own data in minutes)",
    )
    parser.add_argument(
        "--markdown",
        nargs="+",
        metavar="RESULTS",
        help="print the figures of results files (bench/results.json, results-scale.json) "
        "as the README's Markdown table, without running anything",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.markdown:
        for path in args.markdown:
            saved = json.loads(Path(path).read_text())
            machine = saved["machine"]
            print(
                f"\n{path}: Python {machine['python']}, {machine['cpus']} CPUs, "
                f"{machine['platform']}, {machine['database']} ({machine['durability']})\n"
            )
            print(render_markdown([Figure(**f) for f in saved["figures"]]))
        return 0

    modules = [
        m.name
        for m in pkgutil.iter_modules([str(HERE)])
        if m.name.startswith("scale_" if args.scale else "bench_")
        and args.only in m.name
        and not any(part and part in m.name for part in args.skip.split(","))
    ]
    if not modules:
        print(f"No benchmark module matches {args.only!r}.", file=sys.stderr)
        return 2

    durability = _durability()
    print(f"PostgreSQL durability: {durability}")
    old_config = setup_databases(verbosity=0, interactive=False)
    # What runs in this process (bulk chunks, signing, exports) runs in a web or Celery
    # worker in production, whose heap is settled once loaded: so is this one.
    heap_settle()
    figures: list[Figure] = []
    try:
        for name in sorted(modules):
            module = importlib.import_module(f"bench.{name}")
            try:
                figures.extend(module.run(repeat=args.repeat))
            except Exception as exc:  # report it and go on with the other benchmarks
                traceback.print_exc()
                figures.append(Figure(f"{name}: failed ({type(exc).__name__})", 0, "", "", False))
    finally:
        teardown_databases(old_config, verbosity=0)

    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "database": connection.vendor,
        "durability": durability,
    }
    print(render_table(figures))
    print(f"\nmachine: {machine}")
    (HERE / ("results-scale.json" if args.scale else "results.json")).write_text(
        json.dumps({"machine": machine, "figures": [f.as_dict() for f in figures]}, indent=2)
    )
    return 0 if all(f.passed is not False for f in figures) else 1


def _durability() -> str:
    """What the server really does with a commit (not what was asked for): "production"
    when every commit is flushed to disk, else "fast" with the settings that are off."""
    if connection.vendor != "postgresql":
        return connection.vendor
    with connection.cursor() as cursor:
        off = []
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            cursor.execute(f"SHOW {name}")
            if cursor.fetchone()[0] == "off":
                off.append(name)
    return f"fast ({', '.join(off)} off)" if off else "production (every commit flushed)"


if __name__ == "__main__":
    sys.exit(main())
