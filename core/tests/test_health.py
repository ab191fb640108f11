import pytest
from django.db import connections

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


def test_readyz_names_an_unreachable_broker(client, settings):
    from badges_project.celery import app

    eager, url = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/readyz")
    finally:
        app.conf.task_always_eager, app.conf.broker_url = eager, url
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
