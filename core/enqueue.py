"""Enqueuing Celery tasks by their dotted path, as settings name them.

A `tasks` module imports the services it runs, so a service that enqueues one of those
tasks names it (`"core.tasks.send_outbound_email"`) instead of importing it: the arrow
stays one way, tasks → services. The path resolves to the task object the decorator
made, so `delay` behaves as on the imported task (inline under CELERY_TASK_ALWAYS_EAGER,
patched in tests); tests/test_architecture.py checks that every such path in the code
is a registered task.
"""

import logging

from celery import current_app
from django.db import transaction
from django.utils.module_loading import import_string
from kombu.exceptions import ChannelError

log = logging.getLogger(__name__)


def task(path: str):
    """The task at `path` ("<app>.tasks.<function>")."""
    return import_string(path)


def enqueue_on_commit(path: str, *args) -> None:
    """`delay(*args)` the task once the transaction commits (at once outside one).

    robust: with the broker down, the change that caused the task still stands and its
    request still succeeds; every caller has a periodic sweep that enqueues what was lost
    (the outbox sweep, resumed batches and imports)."""
    transaction.on_commit(lambda: task(path).delay(*args), robust=True)


def queue_length(name: str) -> int | None:
    """How many messages wait in the broker's queue `name` (not those a worker holds);
    None when the broker cannot tell (down) or there is none (tasks run inline)."""
    app = current_app  # the project's (badges_project.celery), which core does not import
    if app.conf.task_always_eager:
        return None
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
            declared = connection.default_channel.queue_declare(queue=name, passive=True)
            return declared.message_count
    except ChannelError:
        return 0  # no such queue (yet): no worker declared it, or Redis restarted empty
    except Exception as exc:  # noqa: BLE001 (any broker failure: the caller decides without)
        log.warning("Queue %s: its length is unknown (%s: %s)", name, type(exc).__name__, exc)
        return None


def broker_lost_its_messages(name: str) -> bool:
    """True once after the broker's Redis lost everything it held (restarted without
    persistence, flushed, replaced): a marker key of `name` is gone. Whoever sees True
    is the only one to see it for that loss, so one sweep sends again everything that
    was waiting. Also True once on a new broker. False when the broker cannot tell (not
    Redis, down, tasks run inline)."""
    app = current_app
    if app.conf.task_always_eager:
        return False
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
            client = getattr(connection.default_channel, "client", None)
            if client is None:
                return False
            # Outside the cache's KEY_PREFIX, which core.cache may clear in the same database.
            return bool(client.set(f"_badges.broker-marker.{name}", "1", nx=True))
    except Exception as exc:  # noqa: BLE001 (any broker failure: the caller decides without)
        log.warning("Broker marker %s: unknown (%s: %s)", name, type(exc).__name__, exc)
        return False
