"""Settings of the Celery workers that tests start as separate processes
(tests/celery_stack.py): the test settings, with tasks sent through Redis and emails
to the SMTP server the test runs."""

from badges_project.settings.test import *  # noqa: F403
from badges_project.settings.test import env

CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Small chunks, so that a test can kill a worker between two of them.
ASSIGN_BATCH_CHUNK = env.int("ASSIGN_BATCH_CHUNK", default=500)
