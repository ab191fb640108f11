from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.parsers import PARSERS
from core.api.v1 import ERRORS, IDEMPOTENCY_KEY, V1GenericViewSet
from core.exceptions import NotFoundError
from core.idempotency import idempotent
from issuers.selectors import issuers_for_user
from templates_app import services
from templates_app.api.v1.filters import BadgeTemplateFilterSet
from templates_app.api.v1.serializers import (
    BadgeTemplateCreateSerializer,
    BadgeTemplateSerializer,
    BadgeTemplateVersionSerializer,
    BadgeTemplateWriteSerializer,
)
from templates_app.selectors import templates_for_user

VERSION_ID = OpenApiParameter("version_id", str, OpenApiParameter.PATH, description="Version id")


@extend_schema_view(
    list=extend_schema(
        summary="List badge templates",
        responses={200: BadgeTemplateSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get a badge template", responses={200: BadgeTemplateSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="Create a badge template (editors and owners)",
        description="JSON with the image as a data URI, or multipart with an image file. "
        "Creates version 1.",
        request={
            "application/json": BadgeTemplateCreateSerializer,
            "multipart/form-data": BadgeTemplateCreateSerializer,
        },
        parameters=[IDEMPOTENCY_KEY],
        responses={201: BadgeTemplateSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a badge template (editors and owners)",
        description="A change to what badges show (name, description, kind, criteria, "
        "image, tags, alignments) makes a new version; awarded badges keep theirs.",
        request={
            "application/json": BadgeTemplateWriteSerializer,
            "multipart/form-data": BadgeTemplateWriteSerializer,
        },
        responses={200: BadgeTemplateSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete a badge template that was never awarded (else archive it)",
        responses={204: None, **ERRORS},
    ),
)
class BadgeTemplateViewSet(V1GenericViewSet):
    serializer_class = BadgeTemplateSerializer
    filterset_class = BadgeTemplateFilterSet
    parser_classes = PARSERS
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return templates_for_user(self.caller)

    def _fresh(self, template):
        return self.get_queryset().get(pk=template.pk)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(BadgeTemplateSerializer(page, many=True).data)

    def retrieve(self, request, id=None):
        return Response(BadgeTemplateSerializer(self.get_object()).data)

    @idempotent
    def create(self, request):
        serializer = BadgeTemplateCreateSerializer(data=request.data)
        serializer.fields["organization_id"].queryset = issuers_for_user(request.user)
        serializer.is_valid(raise_exception=True)
        template = services.template_create(
            issuer=serializer.validated_data["organization_id"],
            actor=request.user,
            **serializer.service_fields(),
        )
        return Response(
            BadgeTemplateSerializer(self._fresh(template)).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, id=None):
        template = self.get_object()
        serializer = BadgeTemplateWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.template_update(
            template=template, actor=request.user, **serializer.service_fields()
        )
        return Response(BadgeTemplateSerializer(self._fresh(template)).data)

    def destroy(self, request, id=None):
        services.template_delete(template=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Archive a badge template: it can no longer be awarded",
        request=None,
        responses={200: BadgeTemplateSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, id=None):
        template = services.template_archive(template=self.get_object(), actor=request.user)
        return Response(BadgeTemplateSerializer(self._fresh(template)).data)

    @extend_schema(
        summary="Unarchive a badge template",
        request=None,
        responses={200: BadgeTemplateSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unarchive(self, request, id=None):
        template = services.template_archive(
            template=self.get_object(), actor=request.user, archived=False
        )
        return Response(BadgeTemplateSerializer(self._fresh(template)).data)

    def _versions(self, template):
        return template.versions.select_related("template").order_by("-number")

    @extend_schema(
        summary="Versions of a badge template, newest first",
        responses={200: BadgeTemplateVersionSerializer(many=True), **ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def versions(self, request, id=None):
        page = self.paginate_queryset(self._versions(self.get_object()))
        return self.get_paginated_response(BadgeTemplateVersionSerializer(page, many=True).data)

    @extend_schema(
        summary="One version of a badge template",
        parameters=[VERSION_ID],
        responses={200: BadgeTemplateVersionSerializer, **ERRORS},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<version_id>[A-Za-z0-9_-]+)",
        url_name="version",
        filterset_class=None,
    )
    def version(self, request, id=None, version_id=None):
        version = self._versions(self.get_object()).filter(entity_id=version_id).first()
        if version is None:
            raise NotFoundError(gettext("Badge template version not found."))
        return Response(BadgeTemplateVersionSerializer(version).data)
