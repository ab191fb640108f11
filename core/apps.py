from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing: base models, ids, errors, API envelope, time formats."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # The private storage's system check and its reset when a test changes STORAGES;
        # the request boundaries rows read in a request are fresh within (core.freshness).
        from core import freshness, storage  # noqa: F401
