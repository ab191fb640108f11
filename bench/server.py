"""A production-like server for benchmarks: gunicorn with the production settings,
on the benchmark's own database, stopped when the block ends."""

import contextlib
import os
import tempfile
from pathlib import Path

from core.testing import free_port, gunicorn_server, production_env

PIDS: dict[str, int] = {}  # base URL -> gunicorn master pid, while it runs


@contextlib.contextmanager
def gunicorn(workers: int | None = None, settings: str | None = None, **env_overrides: str):
    port = free_port()
    env = production_env(
        port,
        GUNICORN_ACCESSLOG="",
        LOG_LEVEL="WARNING",
        **env_overrides,
    )
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    if workers:  # else gunicorn.conf.py's default, 2 x cores + 1
        env["WEB_CONCURRENCY"] = str(workers)
    with tempfile.TemporaryFile() as log, gunicorn_server(env, log) as process:
        PIDS[process.base_url] = process.pid
        try:
            yield process.base_url
        finally:
            PIDS.pop(process.base_url, None)


def _children(parent: int):
    """(pid, fields of /proc/<pid>/stat after the name) of `parent` and its children."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            if pid == parent or int(fields[1]) == parent:  # field 4: the parent pid
                yield pid, fields
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile


def worker_peak_rss_mb(base: str) -> float:
    """The largest peak resident memory (VmHWM) among the server's worker processes."""
    master = PIDS[base]
    peaks = []
    for pid, _fields in _children(master):
        if pid == master:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def cpu_seconds(root: int) -> float:
    """CPU time used so far by process `root` and its children, live or reaped (a
    figure the machine's load barely moves, unlike wall time)."""
    ticks = 0
    for pid, fields in _children(root):
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if pid == root:
            ticks += int(fields[13]) + int(fields[14])  # of its reaped children
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data = cursor.fetchone()[0]
    return int(Path(data, "postmaster.pid").read_text().split()[0])
