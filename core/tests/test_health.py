import pytest
from django.db import connections

from core.testing import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_auth(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_200_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "broker"}


def test_readyz_names_a_failing_database(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("connection refused")

    monkeypatch.setattr(connections["default"], "cursor", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "connection refused" in response.json()["checks"]["database"]["error"]


def test_readyz_names_an_unreachable_broker(client, monkeypatch):
    from badges_project.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its own
    # configuration, so both are pointed at a port nothing listens on.
    dead = "redis://127.0.0.1:1/0"
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    app.conf.update(task_always_eager=False, broker_url=dead)
    try:
        response = client.get("/readyz")
    finally:
        app.conf.update(saved)
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert "127.0.0.1:1" in response.json()["checks"]["broker"]["error"]


def test_readyz_turns_503_naming_cache_and_broker_when_redis_stops(
    client, settings, monkeypatch, own_redis
):
    from badges_project.celery import app

    url = own_redis.url
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": url}}
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    monkeypatch.setenv("CELERY_BROKER_URL", f"{url}/0")
    app.conf.update(task_always_eager=False, broker_url=f"{url}/0")
    try:
        before = client.get("/readyz")
        own_redis.stop()
        after = client.get("/readyz")
    finally:
        app.conf.update(saved)
    assert before.status_code == 200, before.content
    assert after.status_code == 503
    assert after.json()["failing"] == ["cache", "broker"]


@pytest.mark.django_db(transaction=True)
def test_readyz_names_the_database_when_postgresql_does_not_answer(client):
    # The default connection pointed at a port nothing listens on, as when PostgreSQL is
    # stopped: the check must connect and fail, not reuse an open connection.
    if connections["default"].vendor != "postgresql":
        pytest.skip("a closed port means something only for a networked database")
    database = connections["default"]
    dead_port = free_port()
    real_port = database.settings_dict["PORT"]
    database.close()
    database.settings_dict["PORT"] = dead_port
    try:
        response = client.get("/readyz")
    finally:
        database.close()
        database.settings_dict["PORT"] = real_port
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
    assert "OperationalError" in response.json()["checks"]["database"]["error"]


def test_probes_by_address_over_plain_http_are_answered_whatever_allowed_hosts_says(
    client, settings
):
    # given production's host list and HTTPS redirect, and a probe naming an address
    settings.ALLOWED_HOSTS = ["badges.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    probe = {"HTTP_HOST": "10.0.3.7:8000"}
    # then the probes answer, and nothing else does for that host
    assert client.get("/healthz", **probe).status_code == 200
    assert client.get("/readyz", **probe).status_code == 200
    assert client.get("/public/issuers/x", **probe).status_code == 400
