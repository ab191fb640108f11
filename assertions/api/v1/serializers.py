"""The Open Badge API badge (spec/open-badge-api-badges.txt) and the assignment flow.

Timestamps are `YYYY-MM-DD HH:MM:SS`: created_at and revoked_at in UTC; the activity
dates, emitted_at, expires_at and updated_at in the issuer's time zone ("as per issuer's
input"). Input takes the same format, read in the issuer's zone, or ISO 8601.
"""

from collections.abc import Mapping

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from assertions.models import AssertionStatus, BatchStatus
from assertions.services import MAX_EARNERS, MAX_IMPORT
from core.api.fields import V1DateTimeField
from core.api.serializers import Serializer
from core.api.v1 import EntityIdField, StrictFieldsMixin, absolute_media_url
from templates_app.models import BadgeTemplate

# The badge object's keys, in the spec's order.
BADGE_FIELDS = (
    "id",
    "imported",
    "status",
    "image_path",
    "image_high_path",
    "image_thumbnail_path",
    "badge_template_version",
    "organization_id",
    "activity_title",
    "activity_started_at",
    "activity_ended_at",
    "recipient_email",
    "recipient_first_name",
    "recipient_last_name",
    "notes",
    "additional_details",
    "url",
    "emitted_at",
    "expires_at",
    "created_at",
    "updated_at",
    "revoked_at",
    "revoked_reason",
    "imp_legacy_id",
)

IMAGE_URL = {"type": "string", "format": "uri", "nullable": True}

BADGE_EXAMPLE = {
    "id": "Xk3v0mWcQm2yq0dF6n8Z1A",
    "imported": 0,
    "status": "valid",
    "image_path": "https://badges.example.org/media/badge-versions/k2.png",
    "image_high_path": "https://badges.example.org/media/badge-versions/k2-high.png",
    "image_thumbnail_path": "https://badges.example.org/media/badge-versions/k2-thumb.png",
    "badge_template_version": "q1L5wYxTRkO8Vb0mAa2PcQ",
    "organization_id": "p9Hc3kN1Qz2mX8rT0vYb4w",
    "activity_title": "Python course, spring 2024",
    "activity_started_at": "2024-03-01 09:00:00",
    "activity_ended_at": "2024-03-05 17:00:00",
    "recipient_email": "ada@learners.example",
    "recipient_first_name": "Ada",
    "recipient_last_name": "Lovelace",
    "notes": "Top of the class",
    "additional_details": {"grade": "A"},
    "url": "https://badges.example.org/public/assertions/Xk3v0mWcQm2yq0dF6n8Z1A",
    "emitted_at": "2024-03-06 10:00:00",
    "expires_at": "2026-03-06 10:00:00",
    "created_at": "2024-03-06 09:00:00",
    "updated_at": "2024-03-06 10:00:00",
    "revoked_at": None,
    "revoked_reason": None,
    "imp_legacy_id": None,
    "credential_url": "https://badges.example.org/public/assertions/Xk3v0mWcQm2yq0dF6n8Z1A/credential",
}


def _rendition(version, name: str) -> str | None:
    """A rendition's absolute URL; the main image while a rendition is not made yet."""
    return absolute_media_url(getattr(version, name) or version.image)


@extend_schema_serializer(
    examples=[OpenApiExample("A badge", value=BADGE_EXAMPLE, response_only=True)]
)
class BadgeSerializer(Serializer):
    """The badge awarded to an earner: exactly the fields of the Open Badge API."""

    id = serializers.CharField(source="entity_id", read_only=True)
    imported = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=AssertionStatus.choices, read_only=True)
    image_path = serializers.SerializerMethodField()
    image_high_path = serializers.SerializerMethodField()
    image_thumbnail_path = serializers.SerializerMethodField()
    badge_template_version = serializers.CharField(
        source="badge_template_version.entity_id",
        read_only=True,
        help_text="Id of the badge template version (GET /api/v1/badge-templates/{id}/versions).",
    )
    organization_id = serializers.CharField(source="organization.entity_id", read_only=True)
    activity_title = serializers.CharField(read_only=True)
    activity_started_at = V1DateTimeField(zone="issuer", read_only=True, allow_null=True)
    activity_ended_at = V1DateTimeField(zone="issuer", read_only=True, allow_null=True)
    recipient_email = serializers.EmailField(read_only=True)
    recipient_first_name = serializers.CharField(read_only=True)
    recipient_last_name = serializers.CharField(read_only=True)
    notes = serializers.CharField(read_only=True)
    additional_details = serializers.DictField(read_only=True)
    url = serializers.URLField(read_only=True)
    emitted_at = V1DateTimeField(zone="issuer", read_only=True)
    expires_at = V1DateTimeField(zone="issuer", read_only=True, allow_null=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)
    updated_at = V1DateTimeField(zone="issuer", read_only=True)
    revoked_at = V1DateTimeField(zone="utc", read_only=True, allow_null=True)
    revoked_reason = serializers.SerializerMethodField()
    imp_legacy_id = serializers.SerializerMethodField()
    # Not in the Open Badge API page: this platform's addition (after the spec's fields).
    credential_url = serializers.SerializerMethodField(
        help_text="The signed Open Badges 3.0 credential (VC-JWT with `Accept: "
        "application/vc+jwt`, JSON otherwise); null once the badge is revoked."
    )

    @extend_schema_field({"type": "integer", "enum": [0, 1]})
    def get_imported(self, obj) -> int:
        return int(obj.imported)

    @extend_schema_field(IMAGE_URL)
    def get_image_path(self, obj):
        return absolute_media_url(obj.badge_template_version.image)

    @extend_schema_field(IMAGE_URL)
    def get_image_high_path(self, obj):
        return _rendition(obj.badge_template_version, "image_high")

    @extend_schema_field(IMAGE_URL)
    def get_image_thumbnail_path(self, obj):
        return _rendition(obj.badge_template_version, "image_thumbnail")

    @extend_schema_field({"type": "string", "nullable": True})
    def get_revoked_reason(self, obj):
        return obj.revoked_reason if obj.status == AssertionStatus.REVOKED else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_imp_legacy_id(self, obj):
        return obj.imp_legacy_id or None

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_credential_url(self, obj):
        return None if obj.status == AssertionStatus.REVOKED else f"{obj.url}/credential"


class IssuerZoneMixin:
    """Reads timestamps without an offset in the zone of the badge template's issuer
    named by the body's `badge_template` (the view narrows its queryset)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and isinstance(data.get("badge_template"), str):
            queryset = self.fields["badge_template"].get_queryset()
            zone = (
                queryset.filter(entity_id=data["badge_template"])
                .values_list("issuer__timezone", flat=True)
                .first()
            )
            if zone:
                self._context["issuer_timezone"] = zone
        return super().to_internal_value(data)


class BadgeUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH: corrections that do not reissue the badge. Times are read in the issuer's
    zone unless they carry an offset; `expires_at: null` makes the badge never expire."""

    notes = serializers.CharField(required=False, allow_blank=True)
    additional_details = serializers.DictField(required=False)
    expires_at = V1DateTimeField(zone="issuer", required=False, allow_null=True)
    activity_title = serializers.CharField(required=False, allow_blank=True, max_length=255)
    activity_started_at = V1DateTimeField(zone="issuer", required=False, allow_null=True)
    activity_ended_at = V1DateTimeField(zone="issuer", required=False, allow_null=True)
    recipient_first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    recipient_last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(gettext("Give at least one field to change."))
        return attrs


class BadgeRevokeSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    notify = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Email the earner that the badge was revoked (default true).",
    )


class ImportedBadgeSerializer(StrictFieldsMixin, serializers.Serializer):
    recipient_email = serializers.EmailField(max_length=254)
    recipient_first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    recipient_last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    emitted_at = V1DateTimeField(zone="issuer", help_text="When the other system issued it.")
    expires_at = V1DateTimeField(
        zone="issuer",
        required=False,
        allow_null=True,
        help_text="null: never expires; left out: the template's default validity.",
    )
    activity_title = serializers.CharField(required=False, allow_blank=True, max_length=255)
    activity_started_at = V1DateTimeField(zone="issuer", required=False, allow_null=True)
    activity_ended_at = V1DateTimeField(zone="issuer", required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    additional_details = serializers.DictField(required=False)
    imp_legacy_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="The badge's id in the other system; unique per organization.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Import two badges",
            request_only=True,
            value={
                "badge_template": "tP0kq3x9RaW1m8cVb2nYzA",
                "send_email": False,
                "badges": [
                    {
                        "recipient_email": "ada@learners.example",
                        "recipient_first_name": "Ada",
                        "recipient_last_name": "Lovelace",
                        "emitted_at": "2021-06-30 12:00:00",
                        "imp_legacy_id": "legacy-1001",
                    },
                    {
                        "recipient_email": "alan@learners.example",
                        "emitted_at": "2021-06-30 12:00:00",
                        "expires_at": None,
                        "imp_legacy_id": "legacy-1002",
                        "additional_details": {"grade": "B"},
                    },
                ],
            },
        )
    ]
)
class BadgeImportSerializer(IssuerZoneMixin, StrictFieldsMixin, serializers.Serializer):
    badge_template = EntityIdField(
        model_label="badge template", queryset=BadgeTemplate.objects.none()
    )
    send_email = serializers.BooleanField(
        default=False, help_text="Email the earners (one credit each). Off by default."
    )
    badges = ImportedBadgeSerializer(many=True, min_length=1, max_length=MAX_IMPORT)


class EarnerRowSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="The language of the earner's emails: en or it (or its name, e.g. "
        "Italiano); blank: the organization's.",
    )
    metadata = serializers.DictField(
        required=False, help_text="Extra columns of a bulk assignment, kept on the earner."
    )


ASSIGN_EXAMPLE = {
    "badge_template": "tP0kq3x9RaW1m8cVb2nYzA",
    "earners": [
        {"email": "ada@learners.example", "first_name": "Ada", "last_name": "Lovelace"},
        {
            "email": "alan@learners.example",
            "first_name": "Alan",
            "last_name": "Turing",
            "metadata": {"student_number": "S-1002", "group": "B"},
        },
    ],
    "activity_title": "Python course, spring 2024",
    "activity_started_at": "2024-03-01 09:00:00",
    "activity_ended_at": "2024-03-05 17:00:00",
    "notes": "Well done!",
    "send_email": True,
    "allow_duplicates": False,
}


@extend_schema_serializer(
    examples=[OpenApiExample("Assign to two earners", value=ASSIGN_EXAMPLE, request_only=True)]
)
class AssignmentCreateSerializer(IssuerZoneMixin, StrictFieldsMixin, serializers.Serializer):
    """The Open Badge API assignment flow in one call: earners, assignment context,
    badge template, validity, notes and options."""

    badge_template = EntityIdField(
        model_label="badge template", queryset=BadgeTemplate.objects.none()
    )
    earners = EarnerRowSerializer(
        many=True,
        min_length=1,
        max_length=MAX_EARNERS,
        help_text=f"One earner, or a list (with metadata) of up to {MAX_EARNERS}.",
    )
    activity_title = serializers.CharField(allow_blank=False, max_length=255)
    activity_started_at = V1DateTimeField(zone="issuer", required=False, allow_null=True)
    activity_ended_at = V1DateTimeField(zone="issuer", required=False, allow_null=True)
    expires_at = V1DateTimeField(
        zone="issuer",
        required=False,
        allow_null=True,
        help_text="null: never expires; left out: the template's default validity.",
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    send_email = serializers.BooleanField(
        default=True,
        help_text="Email each earner (account creation or badge assignment); one credit each.",
    )
    email_message = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="Markdown added to this assignment's emails; placeholders such as "
        "{{ earner.first_name }} and {{ badge.name }} are filled in per earner.",
    )
    allow_duplicates = serializers.BooleanField(
        default=True,
        help_text="false: earners already holding a valid badge of this template are refused.",
    )


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="Position in `earners`, from 1 (null: the whole batch)."
    )
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


ASSIGNMENT_EXAMPLE = {
    "id": "b7Yq1nXc0QmR5tK2wZp8eA",
    "status": "running",
    "organization_id": "p9Hc3kN1Qz2mX8rT0vYb4w",
    "badge_template": "tP0kq3x9RaW1m8cVb2nYzA",
    "badge_template_version": "q1L5wYxTRkO8Vb0mAa2PcQ",
    "activity_title": "Python course, spring 2024",
    "activity_started_at": "2024-03-01 09:00:00",
    "activity_ended_at": "2024-03-05 17:00:00",
    "expires_at": None,
    "notes": "",
    "send_email": True,
    "total": 5000,
    "processed": 1500,
    "issued": 1498,
    "failed": 2,
    "errors": [{"row": 17, "field": "email", "message": "x@y.org already holds this badge."}],
    "credits_reserved": 5000,
    "credits_used": 1498,
    "created_at": "2024-03-06 09:00:00",
    "started_at": "2024-03-06 09:00:01",
    "finished_at": None,
}


@extend_schema_serializer(
    examples=[OpenApiExample("A batch halfway", value=ASSIGNMENT_EXAMPLE, response_only=True)]
)
class AssignmentSerializer(serializers.Serializer):
    """One assignment (a batch): its context, progress, per-row errors and credits.
    `credits_reserved` are taken when it is accepted; what is not used is refunded when
    it finishes. Status: pending, running, done (finished; rows may have failed) or
    failed (nothing could be issued)."""

    id = serializers.CharField(source="entity_id", read_only=True)
    status = serializers.ChoiceField(choices=BatchStatus.choices, read_only=True)
    organization_id = serializers.CharField(source="issuer.entity_id", read_only=True)
    badge_template = serializers.CharField(
        source="badge_template_version.template.entity_id", read_only=True
    )
    badge_template_version = serializers.CharField(
        source="badge_template_version.entity_id", read_only=True
    )
    activity_title = serializers.CharField(read_only=True)
    activity_started_at = V1DateTimeField(
        zone="issuer", zone_from="issuer.timezone", read_only=True, allow_null=True
    )
    activity_ended_at = V1DateTimeField(
        zone="issuer", zone_from="issuer.timezone", read_only=True, allow_null=True
    )
    expires_at = V1DateTimeField(
        zone="issuer", zone_from="issuer.timezone", read_only=True, allow_null=True
    )
    notes = serializers.CharField(read_only=True)
    send_email = serializers.BooleanField(source="notify", read_only=True)
    total = serializers.IntegerField(read_only=True)
    processed = serializers.SerializerMethodField()
    issued = serializers.IntegerField(read_only=True)
    failed = serializers.IntegerField(read_only=True)
    errors = RowErrorSerializer(many=True, read_only=True)
    credits_reserved = serializers.IntegerField(read_only=True)
    credits_used = serializers.IntegerField(read_only=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)
    started_at = V1DateTimeField(zone="utc", read_only=True, allow_null=True)
    finished_at = V1DateTimeField(zone="utc", read_only=True, allow_null=True)

    def get_processed(self, obj) -> int:
        return obj.issued + obj.failed


class AssignmentResultSerializer(AssignmentSerializer):
    """A small assignment, done in the request: the batch and the badges awarded."""

    badges = BadgeSerializer(many=True, read_only=True)


class FiguresSerializer(serializers.Serializer):
    issued = serializers.IntegerField()
    valid = serializers.IntegerField()
    expired = serializers.IntegerField()
    revoked = serializers.IntegerField()
    emails_sent = serializers.IntegerField()
    emails_failed = serializers.IntegerField()
    earners_with_accounts = serializers.IntegerField()


class MonthFiguresSerializer(FiguresSerializer):
    month = serializers.CharField(help_text="YYYY-MM, in the organization's time zone")


class TemplateStatisticsSerializer(serializers.Serializer):
    badge_template = serializers.CharField()
    name = serializers.CharField()
    totals = FiguresSerializer()
    by_month = MonthFiguresSerializer(many=True)


class OrganizationStatisticsSerializer(serializers.Serializer):
    organization_id = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    totals = FiguresSerializer()
    by_month = MonthFiguresSerializer(many=True)
    templates = TemplateStatisticsSerializer(many=True)


class StatisticsSerializer(serializers.Serializer):
    """Figures about the badges emitted in each period: issued; valid, expired and revoked
    now; emails about them sent and failed; distinct earners of them with an account."""

    organizations = OrganizationStatisticsSerializer(many=True)
