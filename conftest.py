"""Fixtures every test package can use."""

import os

import pytest

# The staff pages' fixtures (staff, issuer, template), shared by assign and workspace.
pytest_plugins = ["issuers.tests.page_fixtures"]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium, never a downloaded one; without the networking flags it keeps
    # calling Google hosts that a closed network refuses.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary directories (the private ones
    beside the media, not inside)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (throttle counters, cached pages)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, so that stopping it harms no other test."""
    from tests.reliability.faults import RedisServer, need_redis_server

    need_redis_server()
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
