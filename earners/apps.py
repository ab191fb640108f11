from django.apps import AppConfig


class EarnersConfig(AppConfig):
    """The people badges are awarded to, per issuer."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "earners"
    verbose_name = "Earners"
