import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from core.log_scrub import scrub_handlers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badges_project.settings.local")

app = Celery("badges_project")
# Every CELERY_* Django setting configures the app (CELERY_BROKER_URL -> broker_url).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def scrub_worker_logs(logger, **kwargs):
    """A worker sets up its own log handlers; they scrub credentials too."""
    scrub_handlers(logger)
