from django.apps import AppConfig


class AssertionsConfig(AppConfig):
    """Awarded badges, assignment batches and their audit trail."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "assertions"
    verbose_name = "Badges"
