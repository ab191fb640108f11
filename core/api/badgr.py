"""What every /v2 (Badgr-compatible) view shares."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
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


class BadgrAPIView(APIView):
    """Badgr envelope, OAuth2 scope check, and Badgr's rule that what a user may not
    touch is indistinguishable from what does not exist (404)."""

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
    raise NotFoundError("No such endpoint.")
