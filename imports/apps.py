from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Moving in: badges from a Badgr server, Open Badges files and spreadsheets."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "imports"
    verbose_name = "Imports"
