"""A production-like server for benchmarks: gunicorn with the production settings,
on the benchmark's own database, stopped when the block ends."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PIDS: dict[str, int] = {}  # base URL -> gunicorn master pid, while it runs
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int | None = None):
    port = free_port()
    db = connection.settings_dict
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="badges_project.settings.production",
        SECRET_KEY="bench-" + "x" * 60,
        CREDENTIALS_ENCRYPTION_KEY="bench-credentials-" + "z" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
        REDIS_URL=os.environ.get("REDIS_URL", os.environ.get("CELERY_BROKER_URL", "")),
        SECURE_SSL_REDIRECT="false",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESSLOG="",
        LOG_LEVEL="WARNING",
        DB_SERVER_SIDE_BINDING=os.environ.get("DB_SERVER_SIDE_BINDING", "false"),
    )
    if workers:  # else gunicorn.conf.py's default, 2 x cores + 1
        env["WEB_CONCURRENCY"] = str(workers)
    with tempfile.TemporaryDirectory() as static, tempfile.TemporaryFile() as log:
        # As a deployment does: hashed static files with their manifest.
        env["STATIC_ROOT"] = static
        subprocess.run(
            [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "badges_project.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.05)
            else:
                log.seek(0)
                raise RuntimeError("gunicorn did not start:\n" + log.read().decode()[-3000:])
            PIDS[base] = process.pid
            yield base
        finally:
            PIDS.pop(base, None)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


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
