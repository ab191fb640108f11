from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users (login by email) and OAuth2 glue."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Registers the OpenAPI auth scheme; here because drf-spectacular reads the
        # settings, which are only complete once the apps are.
        from accounts import schema  # noqa: F401
        from accounts.services import email_change_send_context
        from core.emails import register_send_time_context
        from core.models import EmailKind

        register_send_time_context(EmailKind.EMAIL_CHANGE, email_change_send_context)
