from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users (login by email) and OAuth2 glue."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth scheme)
