"""A production-like server for benchmarks: gunicorn with the production settings,
on the benchmark's own database, stopped when the block ends."""

import contextlib
import os
import tempfile
from pathlib import Path

from core.testing import free_port, gunicorn_server, production_env

PIDS: dict[str, int] = {}  # base URL -> gunicorn master pid, while it runs


@contextlib.contextmanager
def gunicorn(workers: int | None = None):
    port = free_port()
    env = production_env(
        port,
        GUNICORN_ACCESSLOG="",
        LOG_LEVEL="WARNING",
        DB_SERVER_SIDE_BINDING=os.environ.get("DB_SERVER_SIDE_BINDING", "false"),
    )
    if workers:  # else gunicorn.conf.py's default, 2 x cores + 1
        env["WEB_CONCURRENCY"] = str(workers)
    with tempfile.TemporaryFile() as log, gunicorn_server(env, log) as process:
        PIDS[process.base_url] = process.pid
        try:
            yield process.base_url
        finally:
            PIDS.pop(process.base_url, None)


def worker_peak_rss_mb(base: str) -> float:
    """The largest peak resident memory (VmHWM) among the server's worker processes."""
    master = PIDS[base]
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != master:  # field 4 of stat: the parent pid
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)
