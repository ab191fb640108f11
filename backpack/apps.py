from django.apps import AppConfig


class BackpackConfig(AppConfig):
    """The earner's own badges (/me/badges): the list, privacy, and badges imported from
    other platforms."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "backpack"
    verbose_name = "Backpack"
