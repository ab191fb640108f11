"""OpenAPI (drf-spectacular) description of how the API authenticates."""

from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from rest_framework.permissions import SAFE_METHODS

from core.api.permissions import HasScope


class BadgrOAuth2Scheme(DjangoOAuthToolkitScheme):
    target_class = "accounts.authentication.BadgrOAuth2Authentication"

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        family = getattr(view, "oauth_scope", None)
        if family is None or not any(isinstance(p, HasScope) for p in view.get_permissions()):
            return super().get_security_requirement(auto_schema)
        if auto_schema.method in SAFE_METHODS:
            return [{self.name: [f"r:{family}"]}, {self.name: [f"rw:{family}"]}]
        return [{self.name: [f"rw:{family}"]}]
