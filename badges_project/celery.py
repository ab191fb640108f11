import os
import sys

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, worker_init

from core.heap import heap_settle
from core.log_scrub import scrub_handlers

# No default for a worker or beat: with none, Celery would load the local settings (emails
# printed to its stdout and marked sent, tasks run inline). Django processes (manage.py,
# wsgi.py, asgi.py, pytest) name theirs before importing this module; `celery -A
# badges_project` does not, so the environment must (the env file, docs/deployment.md;
# `make worker` / `make beat` pass the local settings).
if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    sys.exit(
        "DJANGO_SETTINGS_MODULE is not set. Workers and beat read the same environment file "
        "as the web processes: set DJANGO_SETTINGS_MODULE=badges_project.settings.production "
        "there (docs/deployment.md), or badges_project.settings.local on a development machine."
    )

app = Celery("badges_project")
# Every CELERY_* Django setting configures the app (CELERY_BROKER_URL -> broker_url).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def scrub_worker_logs(logger, **kwargs):
    """A worker sets up its own log handlers; they scrub credentials too. In production
    (worker_hijack_root_logger off) the tasks' logger writes through the root's handler
    instead, as JSON lines like every other record (docs/deployment.md, "Logs")."""
    if not app.conf.worker_hijack_root_logger and logger.name == "celery.task":
        logger.handlers = []
        logger.propagate = True
    scrub_handlers(logger)


@worker_init.connect
def settle_worker_heap(**kwargs):
    """Once the worker has loaded Django and the tasks, before its pool forks: what it
    loaded is out of the collector's reach (core.heap; a 10,000-badge assignment spent
    10 % of its time in the collector walking it)."""
    heap_settle()
