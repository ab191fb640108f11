from collections.abc import Mapping

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api.badgr import IDEMPOTENCY, BadgrAPIView
from core.api.parsers import PARSERS
from core.exceptions import ApplicationError
from core.idempotency import idempotent
from issuers.selectors import issuer_for_user
from templates_app import services
from templates_app.api.v2.serializers import BadgeClassSerializer
from templates_app.selectors import templates_for_user


def _create(request, issuer):
    serializer = BadgeClassSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    parts = serializer.service_fields()
    template = services.template_create(issuer=issuer, actor=request.user, **parts["fields"])
    template = templates_for_user(request.user).get(pk=template.pk)
    return Response(BadgeClassSerializer(template).data, status=status.HTTP_201_CREATED)


class BadgeClassListView(BadgrAPIView):
    parser_classes = PARSERS

    @extend_schema(
        responses=BadgeClassSerializer(many=True), summary="Badge classes of your issuers"
    )
    def get(self, request):
        return Response(BadgeClassSerializer(templates_for_user(request.user), many=True).data)

    @extend_schema(
        request=BadgeClassSerializer,
        responses={201: BadgeClassSerializer},
        summary="Create a badge class (`issuer` in the body)",
        parameters=[IDEMPOTENCY],
    )
    @idempotent
    def post(self, request):
        # A JSON body may be any value; only an object can name an issuer.
        issuer_id = request.data.get("issuer") if isinstance(request.data, Mapping) else None
        if not issuer_id:
            raise ApplicationError(
                gettext("Say which issuer."),
                field_errors={"issuer": [gettext("This field is required.")]},
            )
        return _create(request, issuer_for_user(request.user, str(issuer_id)))


class IssuerBadgeClassListView(BadgrAPIView):
    parser_classes = PARSERS

    @extend_schema(responses=BadgeClassSerializer(many=True), summary="Badge classes of an issuer")
    def get(self, request, entity_id):
        issuer = issuer_for_user(request.user, entity_id)
        templates = templates_for_user(request.user).filter(issuer=issuer)
        return Response(BadgeClassSerializer(templates, many=True).data)

    @extend_schema(
        request=BadgeClassSerializer,
        responses={201: BadgeClassSerializer},
        summary="Create a badge class of an issuer",
        parameters=[IDEMPOTENCY],
    )
    @idempotent
    def post(self, request, entity_id):
        return _create(request, issuer_for_user(request.user, entity_id))


class BadgeClassDetailView(BadgrAPIView):
    parser_classes = PARSERS

    def _template(self, request, entity_id):
        return templates_for_user(request.user).get_or_404(entity_id)

    @extend_schema(responses=BadgeClassSerializer, summary="Get a badge class")
    def get(self, request, entity_id):
        return Response(BadgeClassSerializer(self._template(request, entity_id)).data)

    @extend_schema(
        request=BadgeClassSerializer,
        responses=BadgeClassSerializer,
        summary="Update a badge class (a new version when what badges show changes)",
    )
    def put(self, request, entity_id):
        template = self._template(request, entity_id)
        serializer = BadgeClassSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        parts = serializer.service_fields()
        if parts["fields"]:
            services.template_update(template=template, actor=request.user, **parts["fields"])
        if parts["archived"] is not None:
            services.template_archive(
                template=template, actor=request.user, archived=parts["archived"]
            )
        return Response(BadgeClassSerializer(self._template(request, entity_id)).data)

    @extend_schema(responses={200: None}, summary="Delete a badge class that was never awarded")
    def delete(self, request, entity_id):
        services.template_delete(template=self._template(request, entity_id), actor=request.user)
        return Response([])
