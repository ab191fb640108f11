from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    """Badge templates and their immutable versions."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "templates_app"
    verbose_name = "Badge templates"
