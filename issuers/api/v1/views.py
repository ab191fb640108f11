from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import User, normalize_email
from core.api.v1 import ERRORS, V1GenericViewSet, error
from core.exceptions import ApplicationError, NotFoundError
from issuers import services
from issuers.api.v1.serializers import (
    CreditEntrySerializer,
    CreditsPageSerializer,
    MemberAddSerializer,
    MemberRoleSerializer,
    MemberSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
)
from issuers.models import CreditLedgerEntry, IssuerMembership
from issuers.selectors import issuers_for_user

CONFLICT = error("Already a member, or the last owner would go.")
USER_ID = OpenApiParameter("user_id", str, OpenApiParameter.PATH, description="A member's id")


@extend_schema_view(
    list=extend_schema(
        summary="Your organizations", responses={200: OrganizationSerializer(many=True), **ERRORS}
    ),
    retrieve=extend_schema(
        summary="An organization's profile", responses={200: OrganizationSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="Change an organization's profile (owners)",
        request={
            "application/json": OrganizationUpdateSerializer,
            "multipart/form-data": OrganizationUpdateSerializer,
        },
        responses={200: OrganizationSerializer, **ERRORS},
    ),
)
class OrganizationViewSet(V1GenericViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = None
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return issuers_for_user(self.caller).order_by("name", "pk")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrganizationSerializer(page, many=True).data)

    def retrieve(self, request, id=None):
        return Response(OrganizationSerializer(self.get_object()).data)

    def partial_update(self, request, id=None):
        issuer = self.get_object()
        data = request.data
        if hasattr(data, "getlist"):
            data = {key: data.get(key) for key in data}
        serializer = OrganizationUpdateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        services.issuer_update(issuer=issuer, actor=request.user, **serializer.validated_data)
        return Response(OrganizationSerializer(self.get_queryset().get(pk=issuer.pk)).data)

    # --- members -----------------------------------------------------------------------

    def _memberships(self, issuer):
        return (
            IssuerMembership.objects.filter(issuer=issuer)
            .select_related("user", "issuer")
            .order_by("user__email", "pk")
        )

    def _membership(self, issuer, user_id):
        membership = self._memberships(issuer).filter(user__entity_id=user_id).first()
        if membership is None:
            raise NotFoundError("Member not found.")
        return membership

    @extend_schema(
        summary="Members of an organization and their roles",
        responses={200: MemberSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def members(self, request, id=None):
        page = self.paginate_queryset(self._memberships(self.get_object()))
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a member (owners)",
        description="The person needs an account. Roles: owner (members and credits), "
        "editor (badge templates), staff (assign and revoke badges).",
        request=MemberAddSerializer,
        responses={
            201: MemberSerializer,
            409: CONFLICT,
            **ERRORS,
        },
    )
    @members.mapping.post
    def add_member(self, request, id=None):
        issuer = self.get_object()
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = User.objects.filter(
            email=normalize_email(serializer.validated_data["email"])
        ).first()
        if user is None:
            raise ApplicationError(
                "No one has an account with this email; they need one first.",
                field_errors={"email": ["No account with this email."]},
            )
        membership = services.membership_add(
            issuer=issuer, user=user, role=serializer.validated_data["role"], actor=request.user
        )
        membership = self._memberships(issuer).get(pk=membership.pk)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a member's role (owners)",
        parameters=[USER_ID],
        request=MemberRoleSerializer,
        responses={
            200: MemberSerializer,
            409: CONFLICT,
            **ERRORS,
        },
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"members/(?P<user_id>[A-Za-z0-9_-]+)",
        url_name="member",
    )
    def member(self, request, id=None, user_id=None):
        issuer = self.get_object()
        membership = self._membership(issuer, user_id)
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.membership_change_role(
            membership=membership, role=serializer.validated_data["role"], actor=request.user
        )
        return Response(MemberSerializer(self._memberships(issuer).get(pk=membership.pk)).data)

    @extend_schema(
        summary="Remove a member (owners)",
        parameters=[USER_ID],
        request=None,
        responses={204: None, 409: CONFLICT, **ERRORS},
    )
    @member.mapping.delete
    def remove_member(self, request, id=None, user_id=None):
        issuer = self.get_object()
        services.membership_remove(membership=self._membership(issuer, user_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- credits -----------------------------------------------------------------------

    @extend_schema(
        summary="Credit balance and ledger",
        description="The balance and every change to it, newest first (paginated): "
        "top-ups, credits reserved by assignments, refunds of unused ones.",
        responses={200: CreditsPageSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def credits(self, request, id=None):
        issuer = self.get_object()
        entries = (
            CreditLedgerEntry.objects.filter(issuer=issuer)
            .select_related("batch", "created_by")
            .order_by("-created_at", "-pk")
        )
        page = self.paginate_queryset(entries)
        response = self.get_paginated_response(CreditEntrySerializer(page, many=True).data)
        response.data = {
            "organization_id": issuer.entity_id,
            "balance": issuer.credit_balance,
            **response.data,
        }
        return response
