from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public pages, no login: a badge, its badge class, its issuer, the baked image
    and the revocation list, as HTML for people and Open Badges 2.0 JSON-LD for machines."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "public_pages"
    verbose_name = "Public badge pages"
