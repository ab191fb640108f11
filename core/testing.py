"""Helpers for tests, benchmarks and demo data: real image files, and this project
started under its production settings."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image, ImageDraw, ImageFont


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
