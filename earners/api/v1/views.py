from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from core.api.v1 import ERRORS, IDEMPOTENCY_KEY, V1GenericViewSet, error
from core.exceptions import NotFoundError
from core.idempotency import idempotent
from earners import services
from earners.api.v1.filters import EarnerFilterSet
from earners.api.v1.serializers import (
    EarnerCreateSerializer,
    EarnerSerializer,
    EarnerUpdateSerializer,
)
from earners.selectors import earners_for_user
from issuers.selectors import issuers_for_user


@extend_schema_view(
    list=extend_schema(
        summary="List earners", responses={200: EarnerSerializer(many=True), **ERRORS}
    ),
    retrieve=extend_schema(summary="Get an earner", responses={200: EarnerSerializer, **ERRORS}),
    create=extend_schema(
        summary="Add an earner",
        request=EarnerCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: EarnerSerializer,
            409: error("The organization has an earner with this email."),
            **ERRORS,
        },
    ),
    partial_update=extend_schema(
        summary="Correct an earner's names or replace their metadata",
        request=EarnerUpdateSerializer,
        responses={200: EarnerSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        summary="Delete an earner who holds no badges", responses={204: None, **ERRORS}
    ),
)
class EarnerViewSet(V1GenericViewSet):
    serializer_class = EarnerSerializer
    filterset_class = EarnerFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return earners_for_user(self.caller)

    def _fresh(self, earner):
        return self.get_queryset().get(pk=earner.pk)

    def _earner(self):
        """The earner of the URL, found without the list's filters."""
        earner = earners_for_user(self.request.user).filter(entity_id=self.kwargs["id"]).first()
        if earner is None:
            raise NotFoundError(gettext("Earner not found."))
        return earner

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EarnerSerializer(page, many=True).data)

    def retrieve(self, request, id=None):
        return Response(EarnerSerializer(self._earner()).data)

    @idempotent
    def create(self, request):
        serializer = EarnerCreateSerializer(data=request.data)
        serializer.fields["organization_id"].queryset = issuers_for_user(request.user)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        earner = services.earner_create(
            issuer=data.pop("organization_id"), actor=request.user, **data
        )
        return Response(EarnerSerializer(self._fresh(earner)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, id=None):
        earner = self._earner()
        serializer = EarnerUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.earner_update(earner=earner, actor=request.user, **serializer.validated_data)
        return Response(EarnerSerializer(self._fresh(earner)).data)

    def destroy(self, request, id=None):
        services.earner_delete(earner=self._earner(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
