"""What every Open Badge /api/v1 view and serializer shares.

- IDs in URLs are entity ids (`{id}`), never primary keys.
- OAuth2 tokens need `r:issuer` to read and `rw:issuer` to write (core.api.permissions);
  the site's own pages use the session.
- Objects of organisations the caller is not a member of are 404; a role too low for a
  write is 403 (the services check the role matrix with `actor=request.user`).
- Bodies are strict: a field that is unknown or cannot be written is a 400 naming it,
  never silently ignored.
"""

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated

from core.api.pagination import V1PageNumberPagination
from core.api.permissions import HasScope
from core.api.renderers import JSONRenderer

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Repeat a POST safely: the same key (and body) returns the first answer.",
)


class ApiErrorSerializer(serializers.Serializer):
    """The one error shape (core.api.exception_handler)."""

    detail = serializers.CharField(help_text="One sentence for people.")
    code = serializers.CharField(help_text="Stable, for programs.")
    field_errors = serializers.DictField(
        help_text="What is wrong with which field, nested like the request body."
    )
    errors = serializers.ListField(child=serializers.CharField(), help_text="Other messages.")


def error(description: str, **kwargs) -> OpenApiResponse:
    return OpenApiResponse(response=ApiErrorSerializer, description=description, **kwargs)


ERRORS = {
    400: error("Invalid input: `field_errors` says what, per field."),
    401: error("No or bad credentials."),
    403: error("Your role or token scope does not allow this."),
    404: error("Not found (or not in your organizations)."),
}
CONFLICT = error("Conflicts with the current state: `detail` says how.")


def absolute_media_url(file) -> str | None:
    """The absolute URL of a stored file (SITE_URL + its URL when storage gives a path)."""
    if not file:
        return None
    url = file.url
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


class V1AutoSchema(AutoSchema):
    """Groups the /api/v1 operations by resource in the docs ("v1 badges", ...)."""

    def get_tags(self) -> list[str]:
        parts = self.path.strip("/").split("/")  # api, v1, <resource>, ...
        return [f"v1 {parts[2]}"] if len(parts) > 2 else super().get_tags()

    def _is_list_view(self, serializer=None) -> bool:
        # A `list` action that answers one object (statistics) says so on its viewset.
        if getattr(self.view, "list_is_one_object", False):
            return False
        return super()._is_list_view(serializer)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method != "GET":
            # Services refuse a write that conflicts with the current state (an earner
            # who holds badges, a template that has been awarded) with 409.
            conflict = self._get_response_for_code(CONFLICT, "409", direction=direction)
            responses.setdefault("409", conflict)
        if any(
            getattr(p, "name", "") == IDEMPOTENCY_KEY.name for p in self.get_override_parameters()
        ):
            reused = error("This Idempotency-Key was used with a different request.")
            responses.setdefault(
                "422", self._get_response_for_code(reused, "422", direction=direction)
            )
        return responses


class V1ViewSetMixin:
    schema = V1AutoSchema()
    permission_classes = [IsAuthenticated, HasScope]
    oauth_scope = "issuer"
    pagination_class = V1PageNumberPagination
    lookup_field = "entity_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[A-Za-z0-9_-]+"

    @property
    def caller(self):
        """Whom querysets are scoped to: the request's user, or nobody while
        drf-spectacular builds the schema (its fake request cannot authenticate)."""
        if getattr(self, "swagger_fake_view", False):
            return AnonymousUser()
        return self.request.user


class V1GenericViewSet(V1ViewSetMixin, viewsets.GenericViewSet):
    pass


class StrictFieldsMixin:
    """Refuse keys the serializer does not accept (read-only or unknown) with a 400."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        key: [gettext("This field is unknown or cannot be set here.")]
                        for key in unknown
                    }
                )
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "description": "An entity id (22 characters)."})
class EntityIdField(serializers.SlugRelatedField):
    """A reference to an object by entity id, within a queryset the view narrows to what
    the caller may see (others read as missing)."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("No {model} with id {value!r} that you can use."),
        "invalid": gettext_lazy("Give an id (text)."),
    }

    def __init__(self, model_label: str = "object", **kwargs):
        self.model_label = model_label
        kwargs.setdefault("slug_field", "entity_id")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        queryset = self.get_queryset()
        obj = queryset.filter(**{self.slug_field: data}).first()
        if obj is None:
            self.fail("does_not_exist", model=self.model_label, value=data)
        return obj


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer])
def unknown_endpoint(request):
    """Last in /api/v1's URLs: a path no route takes (an unknown endpoint, or an id with
    characters no entity id has) is a 404 in the API's error shape, never Django's
    HTML page."""
    raise NotFound(gettext("No such endpoint or object."))
