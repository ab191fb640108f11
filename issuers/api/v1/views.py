from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.parsers import PARSERS
from core.api.v1 import ERRORS, IDEMPOTENCY_KEY, V1GenericViewSet, error
from core.exceptions import NotFoundError, PermissionDeniedError
from core.idempotency import idempotent
from issuers import services
from issuers.api.v1.serializers import (
    CreditEntrySerializer,
    CreditGrantSerializer,
    CreditRequestCreateSerializer,
    CreditRequestSerializer,
    CreditsPageSerializer,
    InvitationSerializer,
    MemberAddSerializer,
    MemberRoleSerializer,
    MemberSerializer,
    OrganizationCreateSerializer,
    OrganizationRequestSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
)
from issuers.models import (
    CreditLedgerEntry,
    CreditRequest,
    Invitation,
    IssuerMembership,
    IssuerRequest,
)
from issuers.permissions import (
    MANAGE_ISSUER,
    has_role,
    is_operator,
    must_ask_for_issuer,
    require_issuer_creation,
)
from issuers.selectors import issuer_for_operator, issuers_for_user

CONFLICT = error("Already a member, or the last owner would go.")
USER_ID = OpenApiParameter("user_id", str, OpenApiParameter.PATH, description="A member's id")
INVITATION_ID = OpenApiParameter(
    "invitation_id", str, OpenApiParameter.PATH, description="An invitation's id"
)
CREATION_REFUSED = error(
    "You may not create an organization (settings.ISSUER_CREATION): `detail` says why."
)


def _form_or_json(data):
    """A multipart body as a plain dict of its fields (one value each)."""
    return {key: data.get(key) for key in data} if hasattr(data, "getlist") else data


@extend_schema_view(
    list=extend_schema(
        summary="Your organizations", responses={200: OrganizationSerializer(many=True), **ERRORS}
    ),
    retrieve=extend_schema(
        summary="An organization's profile", responses={200: OrganizationSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="Create an organization (operators; see ISSUER_CREATION)",
        description="Who may depends on the platform's ISSUER_CREATION setting: `closed` "
        "(operators only; others get 403), `approval` (operators create at once; anyone "
        "else signed in gets 202 with a request that an operator approves or declines, "
        "see `/api/v1/organization-requests`) or `open` (anyone signed in). The creator "
        "becomes the organization's owner.",
        request={
            "application/json": OrganizationCreateSerializer,
            "multipart/form-data": OrganizationCreateSerializer,
        },
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OrganizationSerializer,
            202: OrganizationRequestSerializer,
            **ERRORS,
            403: CREATION_REFUSED,
        },
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
    parser_classes = PARSERS
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return issuers_for_user(self.caller).order_by("name", "pk")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrganizationSerializer(page, many=True).data)

    def retrieve(self, request, id=None):
        return Response(OrganizationSerializer(self.get_object()).data)

    @idempotent
    def create(self, request):
        # Refused before the body is read: a 403 with why, whatever was sent.
        require_issuer_creation(request.user, or_request=True)
        serializer = OrganizationCreateSerializer(data=_form_or_json(request.data))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        if must_ask_for_issuer(request.user):
            issuer_request = services.issuer_request_create(actor=request.user, **fields)
            return Response(
                OrganizationRequestSerializer(issuer_request).data, status=status.HTTP_202_ACCEPTED
            )
        issuer = services.issuer_create(actor=request.user, **fields)
        return Response(
            OrganizationSerializer(self.get_queryset().get(pk=issuer.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request, id=None):
        issuer = self.get_object()
        serializer = OrganizationUpdateSerializer(data=_form_or_json(request.data))
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
            raise NotFoundError(_("Member not found."))
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
        summary="Invite a member (owners)",
        description="Sends an invitation to the email address; the person becomes a member "
        "with this role only by accepting it, signed in with that address. The answer is "
        "the invitation, the same whether or not an account uses the address. Roles: owner "
        "(members and credits), editor (badge templates), staff (assign and revoke badges).",
        request=MemberAddSerializer,
        responses={
            202: InvitationSerializer,
            409: error("Already a member, or invited already (pending)."),
            **ERRORS,
        },
    )
    @members.mapping.post
    def add_member(self, request, id=None):
        issuer = self.get_object()
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            issuer=issuer, actor=request.user, **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_202_ACCEPTED)

    # --- invitations -------------------------------------------------------------------

    def _owned(self, message):
        issuer = self.get_object()
        if not has_role(self.request.user, issuer, MANAGE_ISSUER):
            raise PermissionDeniedError(message)
        return issuer

    @extend_schema(
        summary="Invitations sent (owners)",
        description="Newest first; `status` pending, accepted or revoked.",
        responses={200: InvitationSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def invitations(self, request, id=None):
        issuer = self._owned(_("Only the organization's owners see its invitations."))
        invitations = (
            Invitation.objects.filter(issuer=issuer)
            .select_related("invited_by")
            .order_by("-created_at", "-pk")
        )
        page = self.paginate_queryset(invitations)
        return self.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(
        summary="Revoke a pending invitation (owners)",
        parameters=[INVITATION_ID],
        request=None,
        responses={200: InvitationSerializer, 409: error("Not pending."), **ERRORS},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"invitations/(?P<invitation_id>[A-Za-z0-9_-]+)",
        url_name="invitation",
    )
    def invitation(self, request, id=None, invitation_id=None):
        issuer = self.get_object()
        invitation = Invitation.objects.filter(issuer=issuer, entity_id=invitation_id).first()
        if invitation is None:
            raise NotFoundError(_("Invitation not found."))
        invitation = services.invitation_revoke(invitation=invitation, actor=request.user)
        return Response(InvitationSerializer(invitation).data)

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
        "grants by the platform's operators, credits reserved by assignments, refunds of "
        "unused ones.",
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

    @extend_schema(
        summary="Grant credits (platform operators)",
        description="Adds `amount` credits (a top-up in the ledger). Operators may grant "
        "to any organization; members get 403 (owners ask with `…/credit-requests`).",
        request=CreditGrantSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: CreditEntrySerializer, **ERRORS},
    )
    @credits.mapping.post
    @idempotent
    def grant_credits(self, request, id=None):
        issuer = issuer_for_operator(request.user, id)
        serializer = CreditGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.credits_top_up(
            issuer=issuer, actor=request.user, **serializer.validated_data
        )
        return Response(CreditEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Requests for credits (owners)",
        description="Newest first; the operators grant (a top-up in the ledger) or decline.",
        responses={200: CreditRequestSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="credit-requests")
    def credit_requests(self, request, id=None):
        issuer = self._owned(_("Only the organization's owners see its credit requests."))
        requests = (
            CreditRequest.objects.filter(issuer=issuer)
            .select_related("requested_by")
            .order_by("-created_at", "-pk")
        )
        page = self.paginate_queryset(requests)
        return self.get_paginated_response(CreditRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="Ask the platform's operators for credits (owners)",
        description="They get an email, and grant or decline; one request waits at a time.",
        request=CreditRequestCreateSerializer,
        responses={
            201: CreditRequestSerializer,
            409: error("A request is waiting already."),
            **ERRORS,
        },
    )
    @credit_requests.mapping.post
    def request_credits(self, request, id=None):
        issuer = self.get_object()
        serializer = CreditRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credit_request = services.credit_request_create(
            issuer=issuer, actor=request.user, **serializer.validated_data
        )
        return Response(
            CreditRequestSerializer(credit_request).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    list=extend_schema(
        summary="Requests for new organizations",
        description="Yours (where ISSUER_CREATION is `approval`); operators see everyone's.",
        responses={200: OrganizationRequestSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="A request for a new organization",
        responses={200: OrganizationRequestSerializer, **ERRORS},
    ),
)
class OrganizationRequestViewSet(V1GenericViewSet):
    serializer_class = OrganizationRequestSerializer
    filterset_class = None
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        requests = IssuerRequest.objects.select_related("issuer", "requested_by").order_by(
            "-created_at", "-pk"
        )
        if is_operator(self.caller):
            return requests
        if not self.caller.is_authenticated:
            return requests.none()
        return requests.filter(requested_by=self.caller)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OrganizationRequestSerializer(page, many=True).data)

    def retrieve(self, request, id=None):
        issuer_request = self.get_queryset().filter(entity_id=id).first()
        if issuer_request is None:
            raise NotFoundError(_("Request not found."))
        return Response(OrganizationRequestSerializer(issuer_request).data)
