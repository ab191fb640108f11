from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing: base models, ids, errors, API envelope, time formats."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # The private storage's system check and its reset when a test changes STORAGES;
        # core.freshness listens for the start and end of each request.
        from core import freshness, storage  # noqa: F401
