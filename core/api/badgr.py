"""What every /v2 (Badgr-compatible) view shares."""

from django.utils.translation import gettext
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    renderer_classes,
)
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.views import APIView

from core.api.permissions import HasScope
from core.api.renderers import BadgrEnvelopeRenderer
from core.exceptions import NotFoundError, PermissionDeniedError

NOT_FOUND = "entity not found or insufficient privileges"
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Repeat a POST safely: the same key (and body) returns the first result.",
)


def idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    return key[:255] or None


class BadgrStatusSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    description = serializers.CharField()


class BadgrErrorSerializer(serializers.Serializer):
    """The Badgr envelope of an error (core.api.renderers.envelope_error)."""

    status = BadgrStatusSerializer()
    result = serializers.ListField(child=serializers.JSONField(), max_length=0)
    fieldErrors = serializers.DictField(  # noqa: N815 (Badgr's name)
        help_text="What is wrong with which field, nested like the request body."
    )
    validationErrors = serializers.ListField(child=serializers.CharField())  # noqa: N815


V2_ERRORS = {
    "400": "Invalid input: `fieldErrors` says what, per field.",
    "401": "No or bad token.",
    "403": "The token's scope does not allow this.",
    "404": NOT_FOUND.capitalize() + ".",
    "409": "Conflicts with the current state (e.g. a badge class that has been awarded).",
}


class BadgrAutoSchema(AutoSchema):
    """Documents what BadgrEnvelopeRenderer sends: every body inside the envelope, a
    detail as a one-item `result` list, and the error envelope for every error code."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        status_ref = self.resolve_serializer(BadgrStatusSerializer(), direction).ref
        for code, response in responses.items():
            if not code.startswith("2") or code == "204":
                continue
            contents = response.setdefault("content", {"application/json": {}})
            for content in contents.values():
                inner = content.get("schema")
                if inner is None:
                    result = {"type": "array", "items": {}, "maxItems": 0}
                elif inner.get("type") == "array":
                    result = inner
                else:
                    result = {"type": "array", "items": inner, "minItems": 1, "maxItems": 1}
                content["schema"] = {
                    "type": "object",
                    "properties": {"status": status_ref, "result": result},
                    "required": ["status", "result"],
                }
        error_ref = self.resolve_serializer(BadgrErrorSerializer(), direction).ref
        if any(getattr(p, "name", "") == IDEMPOTENCY.name for p in self.get_override_parameters()):
            responses.setdefault(
                "422",
                {
                    "description": "This Idempotency-Key was used with a different request.",
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
        anonymous = not self.view.authentication_classes  # no token read: no 401 nor 403
        for code, description in V2_ERRORS.items():
            if anonymous and code in ("401", "403"):
                continue
            content = {"application/json": {"schema": error_ref}}
            responses.setdefault(code, {"description": description, "content": content})
        return responses


class BadgrAPIView(APIView):
    """Badgr envelope, OAuth2 scope check, and Badgr's rule that what a user may not
    touch is indistinguishable from what does not exist (404)."""

    schema = BadgrAutoSchema()
    renderer_classes = [BadgrEnvelopeRenderer]
    permission_classes = [IsAuthenticated, HasScope]
    oauth_scope = "issuer"

    def handle_exception(self, exc):
        if isinstance(exc, PermissionDeniedError | NotFoundError | NotFound):
            exc = NotFoundError(NOT_FOUND)
        return super().handle_exception(exc)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
@renderer_classes([BadgrEnvelopeRenderer])
def unknown_endpoint(request):
    raise NotFoundError(gettext("No such endpoint."))
