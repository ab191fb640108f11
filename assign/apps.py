from django.apps import AppConfig


class AssignConfig(AppConfig):
    """The assign wizard and the assignment (batch) pages: thin, calling the services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "assign"
    verbose_name = "Assign wizard"
