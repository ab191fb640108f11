import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badges_project.settings.local")

app = Celery("badges_project")
# Every CELERY_* Django setting configures the app (CELERY_BROKER_URL -> broker_url).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
