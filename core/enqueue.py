"""Enqueuing Celery tasks by their dotted path, as settings name them.

A `tasks` module imports the services it runs, so a service that enqueues one of those
tasks names it (`"core.tasks.send_outbound_email"`) instead of importing it: the arrow
stays one way, tasks → services. The path resolves to the task object the decorator
made, so `delay` behaves as on the imported task (inline under CELERY_TASK_ALWAYS_EAGER,
patched in tests); tests/test_architecture.py checks that every such path in the code
is a registered task.
"""

from django.db import transaction
from django.utils.module_loading import import_string


def task(path: str):
    """The task at `path` ("<app>.tasks.<function>")."""
    return import_string(path)


def enqueue_on_commit(path: str, *args) -> None:
    """`delay(*args)` the task once the transaction commits (at once outside one).

    robust: with the broker down, the change that caused the task still stands and its
    request still succeeds; every caller has a periodic sweep that enqueues what was lost
    (the outbox sweep, resumed batches and imports)."""
    transaction.on_commit(lambda: task(path).delay(*args), robust=True)
