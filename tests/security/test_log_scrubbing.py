"""Issue 17, finding 9: no credential in any log line. A bearer token sent as
`?access_token=` (as Badgr clients may), an OAuth2 code or refresh token, a password in a
query string, an Authorization header, or a set-password link's token is written as
`[scrubbed]`: by Django's logging (every handler), and by gunicorn's access and error
logs under the production settings."""

import io
import logging
import os

import pytest
import requests
from celery.signals import after_setup_logger
from django.db import connection

from conftest import services_required
from core.testing import free_port, gunicorn_server, production_env

SECRETS = [f"SeCrEt{i}-{'x' * 20}" for i in range(8)]


def writing_handlers():
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return [
        (logger.name, handler)
        for logger in loggers
        for handler in logger.handlers
        # pytest's own capture (test reports only) is not the project's logging
        if not isinstance(handler, logging.NullHandler)
        and not type(handler).__module__.startswith("_pytest")
    ]


def test_every_handler_of_the_django_config_scrubs_what_it_writes():
    # given the logging Django configured from settings.LOGGING
    handlers = writing_handlers()
    assert handlers
    for name, handler in handlers:
        # when a line with a token in a query string goes through it
        record = logging.makeLogRecord(
            {
                "name": name,
                "levelno": logging.WARNING,
                "levelname": "WARNING",
                "msg": "Unauthorized: %s",
                "args": (f"/v2/users/self?access_token={SECRETS[0]}",),
            }
        )
        out = io.StringIO()
        stream = handler.setStream(out) if isinstance(handler, logging.StreamHandler) else None
        try:
            handler.handle(record)
        finally:
            if stream is not None:
                handler.setStream(stream)
        # then it is written without it
        assert SECRETS[0] not in out.getvalue(), name
        assert "access_token=[scrubbed]" in out.getvalue(), name


def test_a_celery_workers_own_handlers_scrub_too():
    # given a handler a worker sets up for itself (it replaces Django's on the root logger)
    logger = logging.getLogger("tests.worker")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    try:
        # when Celery says it has set up its logging
        after_setup_logger.send(
            sender=None,
            logger=logger,
            loglevel=logging.INFO,
            logfile=None,
            format="",
            colorize=False,
        )
        logger.warning("Could not read %s", f"https://old.example/v2/x?access_token={SECRETS[0]}")
    finally:
        logger.removeHandler(handler)
    # then that handler scrubs what it writes
    assert "access_token=[scrubbed]" in out.getvalue()
    assert SECRETS[0] not in out.getvalue()


@pytest.mark.django_db
def test_djangos_4xx_lines_and_tracebacks_hold_no_token(client):
    # given the handler every logger writes through, into a buffer
    handler = next(h for name, h in writing_handlers() if name == "root")
    out = io.StringIO()
    stream = handler.setStream(out)
    try:
        # when a client sends a bad token in the query string, a refresh token and a
        # password, and an Authorization header
        client.get(f"/v2/users/self?access_token={SECRETS[0]}")
        client.get(f"/api/v1/badges?refresh_token={SECRETS[1]}&password={SECRETS[2]}")
        client.get("/api/v1/badges", HTTP_AUTHORIZATION=f"Bearer {SECRETS[3]}")
        # and code logs a failure whose traceback and extras quote them
        request = client.get(f"/?code={SECRETS[4]}").wsgi_request
        try:
            raise ValueError(f"could not read /o/authorize?code={SECRETS[4]}")
        except ValueError:
            logging.getLogger("django.request").exception(
                "Failed: Bearer %s", SECRETS[5], extra={"request": request}
            )
    finally:
        handler.setStream(stream)
    # then the lines are there, the secrets are not
    written = out.getvalue()
    assert "Unauthorized: /v2/users/self" in written
    assert "ValueError: could not read /o/authorize?code=[scrubbed]" in written
    for secret in SECRETS[:6]:
        assert secret not in written


@pytest.fixture
def production_server(tmp_path, settings):
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        if services_required():
            pytest.fail("needs the PostgreSQL and Redis of make test")
        pytest.skip("needs the PostgreSQL and Redis of make test")
    env = production_env(free_port(), WEB_CONCURRENCY="1", MEDIA_ROOT=str(settings.MEDIA_ROOT))
    with open(tmp_path / "web.log", "w+") as log, gunicorn_server(env, log) as web:
        yield web.base_url, log


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_gunicorn_and_django_under_production_settings_log_no_token(production_server):
    # given the app under gunicorn.conf.py and the production settings (JSON logs)
    base, log = production_server
    # when clients send credentials in URLs and headers, answered 200, 401 and 404
    requests.get(f"{base}/healthz?access_token={SECRETS[0]}", timeout=10)
    assert requests.get(f"{base}/v2/users/self?access_token={SECRETS[1]}", timeout=10).status_code
    requests.get(f"{base}/api/v1/nope?refresh_token={SECRETS[2]}&code={SECRETS[3]}", timeout=10)
    requests.get(
        f"{base}/v2/users/self",
        headers={
            "Authorization": f"Bearer {SECRETS[4]}",
            "Referer": f"{base}/x?client_secret={SECRETS[5]}",
        },
        timeout=10,
    )
    requests.get(f"{base}/accounts/set-password/MQ/{SECRETS[6]}/", timeout=10)
    requests.get(f"{base}/admin/login/?next=/v2/x%3Faccess_token%3D{SECRETS[7]}", timeout=10)
    # then the access lines and Django's 4xx lines are in the log, without the secrets
    log.flush()
    log.seek(0)
    written = log.read()
    assert '"GET /healthz?access_token=[scrubbed] HTTP/1.1" 200' in written, written[-2000:]
    assert '"GET /v2/users/self?access_token=[scrubbed] HTTP/1.1" 401' in written
    assert "Unauthorized: /v2/users/self" in written
    assert "/accounts/set-password/MQ/[scrubbed]/" in written
    leaked = [secret for secret in SECRETS if secret in written]
    assert leaked == [], written[-3000:]
