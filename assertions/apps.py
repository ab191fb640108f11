from django.apps import AppConfig

from core.signals import emails_attempted


class AssertionsConfig(AppConfig):
    """Awarded badges, assignment batches and their audit trail."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "assertions"
    verbose_name = "Badges"

    def ready(self):
        # Here, not at the top: the receivers use the models, which Django loads only
        # after it has imported every app's AppConfig.
        from assertions import receivers

        emails_attempted.connect(receivers.email_outcomes, dispatch_uid="assertions.emails")
