"""Faults in the parts around the database: the broker (Redis) stops while badges are
being assigned, the SMTP server refuses or never answers. Each test runs a real Celery
worker (production settings) on a Redis and an SMTP server of its own."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from assertions.models import Assertion
from badges_project.celery import app as celery_app
from core.models import EmailStatus, OutboundEmail
from core.services import MAX_ATTEMPTS, outbox_sweep
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.admin.helpers import admin_url
from tests.api_v2.conftest import client_for
from tests.reliability.faults import (
    celery_worker,
    need_postgresql,
    silent_smtp_server,
    smtp_sink,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _reset_producer_pool():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis(own_redis, settings, monkeypatch):
    """A Redis of this test's own as broker (db 0) and cache (db 1) of this process, as in
    production, with tasks sent to it instead of run inline."""
    need_postgresql()
    server = own_redis
    broker = f"{server.url}/0"
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", broker)
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=broker)
    _reset_producer_pool()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": f"{server.url}/1",
        }
    }
    yield server
    celery_app.conf.update(saved)
    _reset_producer_pool()


@pytest.fixture
def issuer_api(db):
    owner = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=owner.issuer, amount=100)
    template = BadgeTemplateFactory(issuer=owner.issuer, name="Fault-tolerant badge")
    return owner, template, client_for(owner.user)


def _award(api, template, email):
    return api.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        {"recipient": {"identity": email}, "notify": True},
        format="json",
    )


def test_redis_stopped_during_assignments_loses_no_email_and_sends_none_twice(
    redis, issuer_api, tmp_path, settings
):
    owner, template, api = issuer_api
    log = tmp_path / "worker.log"
    with smtp_sink() as (sink, smtp_port):
        env = worker_env(broker=redis.url, smtp_port=smtp_port, media_root=str(settings.MEDIA_ROOT))
        with celery_worker(env, log):
            # given a working platform that has sent three award emails
            before = [f"before{i}@example.org" for i in range(3)]
            for email in before:
                assert _award(api, template, email).status_code == 201
            wait_for(lambda: len(sink.messages) == 3, 60, "the first three emails", log)

            # when Redis stops in the middle of the work: single awards on /v2 and an
            # assignment of five earners on /api/v1
            redis.stop()
            during = [f"during{i}@example.org" for i in range(5)]
            for email in during:
                response = _award(api, template, email)
                # then each award still commits and answers as usual
                assert response.status_code == 201, response.content
            batch = [f"batch{i}@example.org" for i in range(5)]
            response = api.post(
                "/api/v1/assignments",
                {
                    "badge_template": template.entity_id,
                    "activity_title": "Course run during an outage",
                    "earners": [{"email": email} for email in batch],
                    "send_email": True,
                },
                format="json",
            )
            assert response.status_code == 201, response.content
            everyone = before + during + batch
            assert Assertion.objects.count() == len(everyone)
            waiting = OutboundEmail.objects.exclude(status=EmailStatus.SENT)
            assert sorted(waiting.values_list("to_email", flat=True)) == sorted(during + batch)
            assert len(sink.messages) == 3

            # and when Redis is back, the beat's outbox sweep re-enqueues what lost its task
            redis.start()
            # Celery's Redis transport does not always resume consuming once its broker is
            # back (the worker can stop or stall: celery/kombu#582 and kin); in production a
            # supervisor restarts it (systemd Restart=always, docs/deployment.md). A second
            # worker stands in for that here, so the test proves what it is about: nothing
            # lost or sent twice across the outage, whichever worker sends.
            after = tmp_path / "worker-after.log"
            with celery_worker(env, after):
                later = timezone.now() + dt.timedelta(
                    seconds=settings.OUTBOX_RETRY_AFTER_SECONDS + 1
                )
                assert outbox_sweep(now=later) == len(during + batch)
                wait_for(lambda: len(sink.messages) == len(everyone), 60, "every email", after)

                # and sweeping again (as the beat does every minute) sends nothing twice
                assert outbox_sweep(now=later + dt.timedelta(minutes=10)) == 0
                wait_for(
                    lambda: not OutboundEmail.objects.exclude(status=EmailStatus.SENT).exists(),
                    30,
                    "every row marked sent",
                    after,
                )
    assert Counter(sink.recipients()) == Counter(everyone)  # none lost, none twice
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == len(everyone)


def _staff_sees_the_failure(client, email, owner, text):
    client.force_login(owner.user)
    changelist = client.get(admin_url(OutboundEmail, "changelist"), {"status__exact": "failed"})
    assert changelist.status_code == 200
    assert email.to_email.encode() in changelist.content
    page = client.get(admin_url(OutboundEmail, "change", email.pk))
    assert page.status_code == 200
    assert text.encode() in page.content
    return page


def test_a_refusing_smtp_server_is_retried_with_backoff_then_failed_and_resent_from_the_admin(
    redis, issuer_api, tmp_path, settings, client
):
    owner, template, api = issuer_api
    log = tmp_path / "worker.log"
    with smtp_sink() as (sink, smtp_port):
        sink.refuse = True
        env = worker_env(
            broker=redis.url,
            smtp_port=smtp_port,
            media_root=str(settings.MEDIA_ROOT),
            OUTBOX_RETRY_BACKOFF_SECONDS="0.5",
        )
        with celery_worker(env, log):
            # given an SMTP server that refuses every message
            assert _award(api, template, "refused@example.org").status_code == 201
            email = OutboundEmail.objects.get()
            # when the worker has tried as often as it may
            wait_for(
                lambda: OutboundEmail.objects.get().status == EmailStatus.FAILED,
                60,
                "the email to fail",
                log,
            )
            # then it tried MAX_ATTEMPTS times, each wait about twice the one before
            assert len(sink.attempts) == MAX_ATTEMPTS
            waits = [b - a for a, b in zip(sink.attempts, sink.attempts[1:], strict=False)]
            for i, wait in enumerate(waits):
                assert wait >= 0.5 * 2**i * 0.9, waits
            email.refresh_from_db()
            assert email.attempts == MAX_ATTEMPTS
            assert "Relaying refused" in email.last_error
            assert email.assertion.events.filter(kind="email_failed").count() == MAX_ATTEMPTS
            # and staff see it failed, with the error, in the admin
            page = _staff_sees_the_failure(client, email, owner, "Relaying refused")

            # when the server accepts again and staff resend it
            sink.refuse = False
            response = client.post(
                admin_url(OutboundEmail, "changelist"),
                {"action": "resend", "_selected_action": [email.pk]},
            )
            assert response.status_code == 302, page
            # then a new row is sent, exactly once, and the failed one stays as it was
            wait_for(lambda: len(sink.messages) == 1, 30, "the resent email", log)
    assert sink.recipients() == ["refused@example.org"]
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 1
    assert OutboundEmail.objects.filter(status=EmailStatus.FAILED).get().pk == email.pk


def test_an_smtp_server_that_never_answers_times_out_is_retried_then_failed(
    redis, issuer_api, tmp_path, settings, client
):
    owner, template, api = issuer_api
    log = tmp_path / "worker.log"
    with silent_smtp_server() as (connections, smtp_port):
        env = worker_env(
            broker=redis.url,
            smtp_port=smtp_port,
            media_root=str(settings.MEDIA_ROOT),
            EMAIL_TIMEOUT="1",
            OUTBOX_RETRY_BACKOFF_SECONDS="0.5",
        )
        with celery_worker(env, log):
            # given an SMTP server that accepts connections and never says a word
            assert _award(api, template, "silence@example.org").status_code == 201
            # when the worker has waited for it as often as it may
            wait_for(
                lambda: OutboundEmail.objects.get().status == EmailStatus.FAILED,
                90,
                "the email to fail",
                log,
            )
    # then every attempt gave up after EMAIL_TIMEOUT, and the error says so
    email = OutboundEmail.objects.get()
    assert email.attempts == MAX_ATTEMPTS
    assert len(connections) == MAX_ATTEMPTS
    assert "timed out" in email.last_error
    _staff_sees_the_failure(client, email, owner, "timed out")
