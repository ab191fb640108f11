"""Helpers for tests, benchmarks and demo data: real image files, and this project
started under its production settings."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image, ImageDraw, ImageFont
from urllib3.util import connection as urllib3_connection


def png_bytes(size: int = 64, color: str = "#2456d6", text: str = "") -> bytes:
    """A round badge of `color`, with `text` (a few letters) centred on it in white."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((2, 2, size - 3, size - 3), fill=color)
    ring = max(2, size // 40)
    inset = size // 12
    draw.ellipse((inset, inset, size - 1 - inset, size - 1 - inset), outline="white", width=ring)
    if text:
        font = ImageFont.load_default(size=max(8, size // (len(text) + 1)))
        draw.text((size / 2, size / 2), text, fill="white", font=font, anchor="mm")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_upload(name: str = "badge.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")


# A gradient badge with text, as a drawing tool writes one.
SVG_BADGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="300" height="300" viewBox="0 0 300 300">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#2456d6"/>
    <stop offset="1" stop-color="#1f9d6b"/></linearGradient></defs>
  <circle cx="150" cy="150" r="140" fill="url(#g)"/>
  <text x="150" y="165" font-size="48" text-anchor="middle" fill="#fff"
        font-family="Montserrat, sans-serif">OB</text>
</svg>"""


def svg_upload(data: bytes = SVG_BADGE, name: str = "badge.svg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/svg+xml")


# --- this project under its production settings, for end-to-end tests and benchmarks ---

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(port: int, **overrides: str) -> dict:
    """The environment of a process that runs this project with the production settings
    on 127.0.0.1:`port`, on this process's database and the Redis of `make test`."""
    db = connection.settings_dict
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="badges_project.settings.production",
        SECRET_KEY="not-secret-" + "x" * 60,
        CREDENTIALS_ENCRYPTION_KEY="not-secret-credentials-" + "z" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=broker,
        REDIS_URL=os.environ.get("REDIS_URL", broker),
        SECURE_SSL_REDIRECT="false",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        # a batch's rows are stored where this process stored them
        PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),
    )
    env.update(overrides)
    return env


def stop(*processes: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to all at once, as a supervisor stops services; SIGKILL to any that has
    not ended in time."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gunicorn_server(env: dict, log) -> Iterator[subprocess.Popen]:
    """As a deployment runs it: `collectstatic` (into the env's STATIC_ROOT, else a
    temporary directory), then gunicorn with gunicorn.conf.py, its output to `log` (a
    file open for reading too, as "w+"). Yields the master process, with its
    `base_url`, once /healthz answers; stopped when the block ends."""
    with tempfile.TemporaryDirectory() as static:
        env = {"STATIC_ROOT": static, **env}
        subprocess.run(
            [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
        )
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "badges_project.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = "http://" + env["GUNICORN_BIND"]
        try:
            for _ in range(200):
                try:
                    if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.05)
            else:
                log.seek(0)
                output = log.read()[-3000:]
                raise RuntimeError(f"gunicorn did not answer /healthz:\n{output!s}")
            process.base_url = base
            yield process
        finally:
            stop(process)


# --- outbound requests (core.http) in tests ----------------------------------------------

# A public address that names in tests resolve to; nothing connects to it (`responses`
# answers, or the test refuses before connecting).
PUBLIC_ADDRESS = "93.184.215.14"


def fake_dns(monkeypatch, names: dict) -> dict[str, int]:
    """Make `socket.getaddrinfo` answer for these names (name → address, list of
    addresses, or a callable giving them; a key ".example" answers for every name under
    it), with no DNS server. Returns how many times each key was looked up."""
    real = socket.getaddrinfo
    lookups = dict.fromkeys(names, 0)

    def key(host):
        name = host.lower().rstrip(".") if isinstance(host, str) else ""
        if name in names:
            return name
        return next((k for k in names if k.startswith(".") and name.endswith(k)), None)

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        name = key(host)
        if name is None:
            return real(host, port, family, type, proto, flags)
        lookups[name] += 1
        answer = names[name]() if callable(names[name]) else names[name]
        answers = [answer] if isinstance(answer, str) else answer
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port or 0, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
            for a in answers
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def record_connections(monkeypatch) -> list[tuple[str, int]]:
    """Every (host, port) that requests/urllib3 opens a connection to, in order. Only
    loopback ones are really opened; any other is refused as if nothing listened, so a
    test never reaches out (this machine's network may answer on any public address)."""
    real = urllib3_connection.create_connection
    opened = []

    def create_connection(address, *args, **kwargs):
        opened.append(address[:2])
        host = address[0].strip("[]")
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ConnectionRefusedError(f"{host} is not reached from tests")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3_connection, "create_connection", create_connection)
    return opened


class TcpServer:
    """A TCP server on 127.0.0.1, in a thread, that counts the connections it accepts and
    answers each with `reply` (raw bytes) and closes it; with `reply=None` it says nothing
    and waits for the other side to hang up."""

    def __init__(self, reply: bytes | None = b""):
        self.reply = reply
        self.connections = 0
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:  # closed
                return
            self.connections += 1
            with conn:
                try:
                    conn.recv(65536)
                    if self.reply is None:
                        while conn.recv(65536):
                            pass
                    else:
                        conn.sendall(self.reply)
                except OSError:
                    pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        with suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the thread
        self.socket.close()
        self._thread.join(timeout=5)


@contextmanager
def http_server(answer) -> Iterator[ThreadingHTTPServer]:
    """An HTTP/1.1 server on 127.0.0.1, in a thread: each GET is handed to
    `answer(handler)` (a BaseHTTPRequestHandler). Yields the server with `url` and
    `requests` (each request's path and headers)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            server.requests.append((self.path, dict(self.headers)))
            answer(self)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
