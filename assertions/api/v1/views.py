from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assertions import services
from assertions.api.v1 import exports
from assertions.api.v1.filters import AssignmentFilterSet, BadgeFilterSet, StatisticsFilterSet
from assertions.api.v1.serializers import (
    AssignmentCreateSerializer,
    AssignmentResultSerializer,
    AssignmentSerializer,
    BadgeImportSerializer,
    BadgeRevokeSerializer,
    BadgeSerializer,
    BadgeUpdateSerializer,
    StatisticsSerializer,
)
from assertions.exports import XLSX_TYPE
from assertions.selectors import badges_for_user, batches_for_user
from assertions.statistics import badge_statistics
from core.api.renderers import JSONRenderer
from core.api.v1 import ERRORS, IDEMPOTENCY_KEY, V1GenericViewSet, error
from core.exceptions import NotFoundError
from core.idempotency import idempotent
from earners.selectors import earners_for_user
from issuers.selectors import issuers_for_user
from templates_app.models import BadgeTemplate
from templates_app.selectors import templates_for_user

CREDITS_402 = error(
    "Not enough credits: `detail` and `field_errors.credits` give the numbers; nothing was issued.",
    examples=[
        OpenApiExample(
            "Not enough credits",
            value={
                "detail": "Not enough credits: this needs 150 and Demo Academy has 20. "
                "Ask an owner of the issuer to top up.",
                "code": "insufficient_credits",
                "field_errors": {"credits": ["Needed: 150. Available: 20."]},
                "errors": [],
            },
        )
    ],
)


def with_templates(serializer, user):
    """Narrow the body's `badge_template` to templates the user can see."""
    serializer.fields["badge_template"].queryset = templates_for_user(user)
    return serializer


@extend_schema_view(
    list=extend_schema(
        summary="List badges",
        description="Badges of your organizations, filtered, ordered and paginated "
        "(`page`, `page_size` up to 500). Date filters take `YYYY-MM-DD HH:MM:SS` (read in "
        "the issuer's time zone; created_* in UTC), a date, or ISO 8601 with an offset.",
        responses={200: BadgeSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(summary="Get a badge", responses={200: BadgeSerializer, **ERRORS}),
    partial_update=extend_schema(
        summary="Correct a badge",
        description="Notes, additional details, expiry, activity fields and the recipient's "
        "name. Times without an offset are read in the issuer's time zone. Revoked badges "
        "cannot be changed (409).",
        request=BadgeUpdateSerializer,
        responses={200: BadgeSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Extend and correct",
                request_only=True,
                value={"expires_at": "2027-01-31 23:59:59", "recipient_last_name": "Byron"},
            )
        ],
    ),
)
class BadgeViewSet(V1GenericViewSet):
    """The Open Badge API badges."""

    serializer_class = BadgeSerializer
    filterset_class = BadgeFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return badges_for_user(self.caller)

    def perform_content_negotiation(self, request, force=False):
        if self.action == "export":
            # `?format=csv|xlsx` names the file type here, not a DRF renderer; errors
            # are JSON and a file is answered directly.
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def _fresh(self, badge):
        return self.get_queryset().get(pk=badge.pk)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(BadgeSerializer(page, many=True).data)

    def retrieve(self, request, id=None):
        return Response(BadgeSerializer(self.get_object()).data)

    def partial_update(self, request, id=None):
        badge = self.get_object()
        serializer = BadgeUpdateSerializer(
            data=request.data, context={"issuer_timezone": badge.organization.timezone}
        )
        serializer.is_valid(raise_exception=True)
        services.assertion_update(assertion=badge, actor=request.user, **serializer.validated_data)
        return Response(BadgeSerializer(self._fresh(badge)).data)

    @extend_schema(
        summary="Revoke a badge",
        description="Revoking a revoked badge changes nothing and answers the badge.",
        request=BadgeRevokeSerializer,
        responses={200: BadgeSerializer, **ERRORS},
        examples=[
            OpenApiExample("With a reason", request_only=True, value={"reason": "Issued by error"})
        ],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, id=None):
        badge = self.get_object()
        serializer = BadgeRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.assertion_revoke(
            assertion=badge,
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
            notify=serializer.validated_data["notify"],
        )
        return Response(BadgeSerializer(self._fresh(badge)).data)

    @extend_schema(
        summary="Import badges issued by another system",
        description="All or nothing, up to 1000 badges of one badge template: they get "
        "`imported = 1`, keep their `imp_legacy_id` (unique per organization: a repeat is "
        "409) and their dates. No email is sent unless `send_email` (one credit each).",
        request=BadgeImportSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: inline_serializer(
                "BadgeImportResult",
                {"count": serializers.IntegerField(), "results": BadgeSerializer(many=True)},
            ),
            402: CREDITS_402,
            409: error("A badge with one of these imp_legacy_id exists."),
            **ERRORS,
        },
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    @idempotent
    def import_badges(self, request):
        serializer = with_templates(
            BadgeImportSerializer(data=request.data, context={"request": request}), request.user
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        badges = services.assertions_import(
            template=data["badge_template"],
            rows=[dict(row) for row in data["badges"]],
            actor=request.user,
            notify=data["send_email"],
        )
        return Response(
            {"count": len(badges), "results": BadgeSerializer(badges, many=True).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Export badges as CSV or XLSX",
        description="The badges of the list with the same filters and ordering, every page, "
        "one row per badge with the badge object's keys as columns. Streamed.",
        parameters=[
            OpenApiParameter(
                "format", str, enum=["csv", "xlsx"], description="File type (default csv)"
            )
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
            **ERRORS,
        },
        filters=True,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        kind = request.query_params.get("format") or "csv"
        if kind not in ("csv", "xlsx"):
            raise ValidationError({"format": [gettext("Choose csv or xlsx.")]})
        queryset = self.filter_queryset(self.get_queryset())
        if kind == "xlsx":
            return exports.xlsx_response(queryset)
        return exports.csv_response(queryset)


class EarnerBadgeViewSet(V1GenericViewSet):
    """`GET /api/v1/earners/<id>/badges`: one earner's badges, as `GET /api/v1/badges`.
    (Here, beside the badges, so that earners never imports assertions.)"""

    serializer_class = BadgeSerializer
    filterset_class = BadgeFilterSet
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return badges_for_user(self.caller)

    @extend_schema(
        summary="Badges of one earner",
        description="Paginated, with the filters and ordering of `GET /api/v1/badges`.",
        parameters=[
            OpenApiParameter(
                "id", str, OpenApiParameter.PATH, pattern=f"^{V1GenericViewSet.lookup_value_regex}$"
            )
        ],
        responses={200: BadgeSerializer(many=True), **ERRORS},
    )
    def list(self, request, id=None):
        earner = earners_for_user(request.user).filter(entity_id=id).first()
        if earner is None:
            raise NotFoundError(gettext("Earner not found."))
        badges = self.get_queryset().filter(earner=earner)
        page = self.paginate_queryset(self.filter_queryset(badges))
        return self.get_paginated_response(BadgeSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List assignments",
        description="Assignments (batches) of your organizations, newest first.",
        responses={200: AssignmentSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="Get an assignment: status, progress, per-row errors, credits",
        responses={200: AssignmentSerializer, **ERRORS},
    ),
)
class AssignmentViewSet(V1GenericViewSet):
    """Badge assignment (the Open Badge API flow): one template to one or many earners."""

    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return batches_for_user(self.caller).order_by("-created_at", "-pk")

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AssignmentSerializer(page, many=True).data)

    def retrieve(self, request, id=None):
        return Response(AssignmentSerializer(self.get_object()).data)

    @extend_schema(
        summary="Assign a badge template to earners",
        description=(
            "Earners (one, or a list with metadata), the assignment context (activity title "
            "and dates), the badge template, the validity (`expires_at`, or the template's "
            "default when left out), notes and options. Each earner without an account gets "
            "one (and the account-creation email); with `send_email` each earner is emailed "
            "and the organization is charged one credit per earner.\n\n"
            f"Up to {services.SYNC_LIMIT} earners: done now, all or nothing; 201 with the "
            f"badges. More: 202 with the assignment, run in the background; follow it at "
            "`GET /api/v1/assignments/{id}` (Location header). All the credits are reserved "
            "up front (402 when short, nothing issued); unused ones are refunded at the end."
        ),
        request=AssignmentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: AssignmentResultSerializer,
            202: AssignmentSerializer,
            402: CREDITS_402,
            409: error("An earner already holds this badge (allow_duplicates false)."),
            **ERRORS,
        },
    )
    @idempotent
    def create(self, request):
        serializer = with_templates(
            AssignmentCreateSerializer(data=request.data, context={"request": request}),
            request.user,
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.batch_assign(
            template=data["badge_template"],
            rows=[dict(row) for row in data["earners"]],
            actor=request.user,
            activity_title=data["activity_title"],
            activity_started_at=data.get("activity_started_at"),
            activity_ended_at=data.get("activity_ended_at"),
            expires_at=data.get("expires_at", services.TEMPLATE_DEFAULT),
            notes=data.get("notes", ""),
            notify=data["send_email"],
            allow_duplicate=data["allow_duplicates"],
            email_message=data.get("email_message", ""),
        )
        batch = self.get_queryset().get(pk=result.batch.pk)
        location = f"/api/v1/assignments/{batch.entity_id}"
        if result.queued:
            return Response(
                AssignmentSerializer(batch).data,
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": location},
            )
        body = AssignmentSerializer(batch).data
        body["badges"] = BadgeSerializer(result.assertions, many=True).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class StatisticsViewSet(V1GenericViewSet):
    """Badge statistics of your organizations."""

    filterset_class = StatisticsFilterSet
    pagination_class = None
    serializer_class = StatisticsSerializer
    list_is_one_object = True  # for the schema (core.api.v1.V1AutoSchema)

    def get_queryset(self):
        return badges_for_user(self.caller)

    @extend_schema(
        summary="Statistics per organization and per badge template, by month",
        description="For the badges emitted in the selection (and in each month, in the "
        "organization's time zone): issued; valid, expired and revoked now; emails sent "
        "and failed; distinct earners with an account.",
        responses={200: StatisticsSerializer, **ERRORS},
    )
    def list(self, request):
        assertions = self.filter_queryset(self.get_queryset())
        issuers = issuers_for_user(request.user).order_by("name", "pk")
        templates = BadgeTemplate.objects.all()
        if request.query_params.get("organization_id"):
            issuers = issuers.filter(entity_id=request.query_params["organization_id"])
        if request.query_params.get("template"):
            templates = templates.filter(entity_id=request.query_params["template"])
        organizations = badge_statistics(
            issuers=issuers, assertions=assertions, templates=templates
        )
        return Response({"organizations": organizations})
