from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api.badgr import IDEMPOTENCY, BadgrAPIView, BadgrErrorSerializer
from core.api.exception_handler import error_body
from core.idempotency import idempotent
from issuers import services
from issuers.api.v2.serializers import (
    IssuerSerializer,
    IssuerTokenSerializer,
    IssuerTokensRequestSerializer,
)
from issuers.models import Role
from issuers.permissions import must_ask_for_issuer, require_issuer_creation
from issuers.selectors import issuer_for_user, issuers_for_user

CREATION_REFUSED = OpenApiResponse(
    BadgrErrorSerializer,
    description="You may not create an issuer (settings.ISSUER_CREATION; the description "
    "says why), or, where operators approve new issuers, your request was sent to them "
    "(`status.description` says so; `GET /api/v1/organization-requests` shows it).",
)


def _with_staff(queryset):
    return queryset.select_related("created_by").prefetch_related("memberships__user")


class IssuerListView(BadgrAPIView):
    issuer_scoped_tokens = False  # a token for one issuer neither lists nor creates issuers

    @extend_schema(responses=IssuerSerializer(many=True), summary="Issuers you are a member of")
    def get(self, request):
        issuers = _with_staff(issuers_for_user(request.user)).order_by("name")
        return Response(IssuerSerializer(issuers, many=True).data)

    @extend_schema(
        request=IssuerSerializer,
        responses={201: IssuerSerializer, 403: CREATION_REFUSED},
        summary="Create an issuer",
        description="Who may: settings.ISSUER_CREATION (docs/api-v2.md). Refused, the answer "
        "is a 403 with the reason, as Badgr's own for restricted issuer creation.",
        parameters=[IDEMPOTENCY],
    )
    @idempotent
    def post(self, request):
        # Refused before the body is read: a 403 with why, whatever was sent.
        require_issuer_creation(request.user, or_request=True)
        serializer = IssuerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.service_fields()
        if must_ask_for_issuer(request.user):
            # Badgr clients know only "created" (201 with the issuer) or an error; a
            # request for approval is neither, so it is the error they show, with what
            # happened. A 2xx would make them read the request as an issuer.
            image = fields.pop("image", None)
            issuer_request = services.issuer_request_create(actor=request.user, **fields)
            message = _(
                "Your request for the issuer %(name)s has been sent to the platform's "
                "operators for approval; you will get an email when they decide."
            ) % {"name": issuer_request.name}
            if image:
                message += " " + _("Its image is not kept: add it once the issuer exists.")
            body = error_body(message, "issuer_request_sent")
            return Response(body, status=status.HTTP_403_FORBIDDEN)
        issuer = services.issuer_create(actor=request.user, **fields)
        issuer = _with_staff(issuers_for_user(request.user)).get(pk=issuer.pk)
        return Response(IssuerSerializer(issuer).data, status=status.HTTP_201_CREATED)


class IssuerDetailView(BadgrAPIView):
    def _issuer(self, request, entity_id, role=Role.STAFF):
        issuer = issuer_for_user(request.user, entity_id, role)
        return _with_staff(type(issuer).objects).get(pk=issuer.pk)

    @extend_schema(responses=IssuerSerializer, summary="Get an issuer")
    def get(self, request, entity_id):
        return Response(IssuerSerializer(self._issuer(request, entity_id)).data)

    @extend_schema(request=IssuerSerializer, responses=IssuerSerializer, summary="Update an issuer")
    def put(self, request, entity_id):
        issuer = self._issuer(request, entity_id)
        serializer = IssuerSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.issuer_update(issuer=issuer, actor=request.user, **serializer.service_fields())
        return Response(IssuerSerializer(self._issuer(request, entity_id)).data)

    @extend_schema(responses={200: None}, summary="Delete an issuer that has awarded nothing")
    def delete(self, request, entity_id):
        services.issuer_delete(issuer=self._issuer(request, entity_id), actor=request.user)
        return Response([])


class IssuerTokensView(BadgrAPIView):
    """POST /v2/tokens/issuers: tokens that act in one issuer each (`rw:issuer:<id>`)."""

    issuer_scoped_tokens = False

    @extend_schema(
        request=IssuerTokensRequestSerializer,
        responses={201: IssuerTokenSerializer(many=True)},
        summary="Access tokens limited to issuers you own",
        description="One token per issuer, scope `rw:issuer:<entityId>`, for the same "
        "application as the token that asks, acting as you in that issuer only. Unlike "
        "Badgr, no one is added to the issuer's staff, and a token lives "
        "ISSUER_TOKEN_LIFETIME_DAYS (365 by default), not a century. Asking again makes a "
        "new token. Needs an OAuth2 token with rw:issuer.",
    )
    def post(self, request):
        serializer = IssuerTokensRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.issuer_tokens_create(
            actor=request.user,
            application=getattr(request.auth, "application", None),
            issuer_ids=serializer.validated_data["issuers"],
        )
        return Response(
            IssuerTokenSerializer(tokens, many=True).data, status=status.HTTP_201_CREATED
        )
