"""Shared by the fault tests: a Redis server, an SMTP server and a Celery worker of the
test's own, so that stopping or breaking them harms no other test."""

import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from conftest import services_required
from core.testing import BIN, ROOT, free_port, production_env, stop


def need_postgresql():
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("needs the PostgreSQL of make test")
        pytest.skip("needs the PostgreSQL of make test")
    need_redis_server()


def need_redis_server():
    if not shutil.which("redis-server"):
        if services_required():
            pytest.fail("redis-server is not installed; run scripts/system-deps.sh")
        pytest.skip("redis-server is not installed")


class RedisServer:
    """A redis-server on a fixed free port that can be stopped and started again."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class Sink:
    """An SMTP server that keeps what it receives; `refuse` makes it answer 550."""

    def __init__(self):
        self.messages = []
        self.attempts = []  # time of every RCPT, accepted or not
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.attempts.append(time.monotonic())
        if self.refuse:
            return "550 5.7.1 Relaying refused by the test"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(r for m in self.messages for r in m.rcpt_tos)


@contextmanager
def smtp_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


@contextmanager
def silent_smtp_server():
    """Accepts connections and never answers: an SMTP server that times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    accepted = []
    stop = threading.Event()

    def serve():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                continue
            accepted.append((time.monotonic(), client))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield accepted, server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for _, client in accepted:
            client.close()
        server.close()


def worker_env(*, broker: str, smtp_port: int, media_root: str, **extra) -> dict:
    """The production settings, on this test's database, broker and SMTP server."""
    return production_env(
        8000,
        CELERY_BROKER_URL=f"{broker}/0",
        REDIS_URL=f"{broker}/1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        MEDIA_ROOT=media_root,
        **extra,
    )


@contextmanager
def celery_worker(env: dict, log: Path):
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "badges_project",
                "worker",
                "-Q",
                "default,emails,bulk",
                "--pool=threads",
                "--concurrency=4",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            stop(worker, timeout=20)


def wait_for(condition, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n{tail}")
