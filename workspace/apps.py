from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The issuer's pages for its staff: the issuer list, the dashboard, joining by
    invitation. Thin, calling the services and selectors of the domain apps."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workspace"
    verbose_name = "Issuer workspace"
