from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api.badgr import IDEMPOTENCY, BadgrAPIView
from core.idempotency import idempotent
from issuers import services
from issuers.api.v2.serializers import IssuerSerializer
from issuers.models import Role
from issuers.selectors import issuer_for_user, issuers_for_user


def _with_staff(queryset):
    return queryset.select_related("created_by").prefetch_related("memberships__user")


class IssuerListView(BadgrAPIView):
    @extend_schema(responses=IssuerSerializer(many=True), summary="Issuers you are a member of")
    def get(self, request):
        issuers = _with_staff(issuers_for_user(request.user)).order_by("name")
        return Response(IssuerSerializer(issuers, many=True).data)

    @extend_schema(
        request=IssuerSerializer,
        responses={201: IssuerSerializer},
        summary="Create an issuer",
        parameters=[IDEMPOTENCY],
    )
    @idempotent
    def post(self, request):
        serializer = IssuerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issuer = services.issuer_create(actor=request.user, **serializer.service_fields())
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
