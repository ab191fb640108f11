"""Real Celery workers (separate processes, on the Redis of `make test`) and an SMTP
sink (aiosmtpd) for tests that go through the whole assignment path."""

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from badges_project.celery import app as celery_app
from conftest import services_required
from core.testing import BIN, ROOT, free_port, stop


def need_services() -> None:
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        if services_required():
            pytest.fail("needs the PostgreSQL and Redis of make test")
        pytest.skip("needs the PostgreSQL and Redis of make test")


class Sink:
    """Collects every message an SMTP client delivers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"

    def recipients(self) -> Counter:
        with self.lock:
            return Counter(r for m in self.messages for r in m.rcpt_tos)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def bodies_for(self, address: str) -> list:
        with self.lock:
            found = [m for m in self.messages if address in m.rcpt_tos]
        return [message_from_bytes(m.content) for m in found]


class Workers:
    """Celery worker processes on the test database, started and killed by the test."""

    def __init__(self, tmp_path, smtp_port: int, **env):
        from django.conf import settings

        db = connection.settings_dict
        self.env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        self.env.update(
            DJANGO_SETTINGS_MODULE="tests.worker_settings",
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            PYTHONPATH=str(ROOT),
            # the rows of a batch are stored files: the same place as this test's
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),
            **env,
        )
        self.tmp_path = tmp_path
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = {}

    def start(self, name: str, queues: str, pool: str = "solo", concurrency: int = 1, **env):
        log = open(self.tmp_path / f"worker-{name}.log", "w")  # noqa: SIM115
        self.logs[name] = log
        self.processes[name] = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "badges_project",
                "worker",
                "-Q",
                queues,
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                "-n",
                f"{name}@%h",
            ],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self.processes[name]

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no ack, the open transaction dies with the connection."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=20)

    def log(self, name: str) -> str:
        return (self.tmp_path / f"worker-{name}.log").read_text()[-3000:]

    def stop_all(self) -> None:
        stop(*self.processes.values(), timeout=20)
        self.processes.clear()
        for log in self.logs.values():
            log.close()


def wait_for(condition, *, timeout: float, what, every: float = 0.05):
    """Poll `condition` until it is true; fail with `what` (text, or a function giving
    it, e.g. a worker's log) when it does not happen in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


@pytest.fixture
def smtp_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


def purge_queues() -> None:
    """Empty the queues, and forget messages a killed worker left unacknowledged (Redis
    would hand them to a later test's worker after the visibility timeout)."""
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in ("default", "emails", "bulk"):
            channel.queue_purge(queue)
        channel.client.delete("unacked", "unacked_index")


@pytest.fixture
def through_redis():
    """Tasks of this process go to Redis (not run inline); queues emptied afterwards."""
    need_services()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    purge_queues()
    yield celery_app
    celery_app.conf.task_always_eager = eager
    purge_queues()
