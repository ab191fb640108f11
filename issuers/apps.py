from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from core.emails import register_send_time_context


class IssuersConfig(AppConfig):
    """Issuing organisations, their members and credits."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "issuers"
    verbose_name = "Issuers"

    def ready(self):
        # Here, not at the top: models (and the services using them) are loaded only
        # after Django has imported every app's AppConfig.
        from core.models import EmailKind
        from issuers.services import invitation_link

        register_send_time_context(
            EmailKind.MEMBER_INVITED,
            lambda email: {
                "accept_url": invitation_link(invitation_id=email.context["invitation_id"])
            },
        )
        checks.register(check_issuer_creation, checks.Tags.security)


def check_issuer_creation(app_configs, **kwargs):
    from issuers.models import IssuerCreation  # not at the top: as in ready()

    if settings.ISSUER_CREATION not in IssuerCreation.values:
        return [
            checks.Error(
                f"ISSUER_CREATION is {settings.ISSUER_CREATION!r}.",
                hint=f"Set it to one of {', '.join(IssuerCreation.values)}.",
                id="issuers.E001",
            )
        ]
    return []
