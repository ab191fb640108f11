from django.apps import AppConfig


class IssuersConfig(AppConfig):
    """Issuing organisations, their members and credits."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "issuers"
    verbose_name = "Issuers"
