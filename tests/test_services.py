"""`make test` runs on real PostgreSQL and Redis; prove the suite really uses them."""

import os
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from badges_project.celery import app as celery_app
from conftest import services_required


def _need(variable: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        if services_required():
            pytest.fail(f"{variable} is not set although REQUIRE_SERVICES=1")
        pytest.skip(f"{variable} is not set (run through `make test` for real services)")
    return value


@celery_app.task(ignore_result=False)
def add_in_worker(x, y):
    return {"sum": x + y, "thread": threading.current_thread().name}


@pytest.mark.services
@pytest.mark.django_db
def test_database_vendor_follows_database_url():
    # given the environment names a database
    url = _need("DATABASE_URL")
    # then Django talks to that kind of server
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("select 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.services
def test_a_task_round_trips_through_redis_to_a_real_worker():
    # given a real broker and result backend, and a worker started in this process
    assert _need("CELERY_BROKER_URL").startswith("redis://")
    _need("CELERY_RESULT_BACKEND")
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the readiness check)

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", loglevel="WARNING", perform_ping_check=True):
            # when a task is sent through the broker
            result = add_in_worker.delay(2, 3)
            payload = result.get(timeout=20)
    finally:
        celery_app.conf.task_always_eager = eager

    # then the worker's thread, not this one, computed it
    assert payload["sum"] == 5
    assert payload["thread"] != threading.current_thread().name
