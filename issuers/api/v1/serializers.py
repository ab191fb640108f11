from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api.fields import ImageUploadField, V1DateTimeField, WebURLField
from core.api.v1 import StrictFieldsMixin, absolute_media_url
from issuers.models import (
    CreditReason,
    CreditRequestStatus,
    InvitationStatus,
    RequestStatus,
    Role,
)

ORGANIZATION_EXAMPLE = {
    "id": "p9Hc3kN1Qz2mX8rT0vYb4w",
    "name": "Demo Academy",
    "email": "badges@demo.example",
    "url": "https://demo.example",
    "description": "A training centre that awards badges for its courses.",
    "image_path": "https://badges.example.org/media/issuers/logo.png",
    "timezone": "Europe/Rome",
    "credit_balance": 480,
    "created_at": "2024-01-10 08:00:00",
    "updated_at": "2024-01-10 09:00:00",
}


@extend_schema_serializer(
    examples=[OpenApiExample("An organization", value=ORGANIZATION_EXAMPLE, response_only=True)]
)
class OrganizationSerializer(serializers.Serializer):
    """An issuing organization. Its `timezone` is the one /api/v1 shows and reads the
    issuer-zone timestamps in."""

    id = serializers.CharField(source="entity_id", read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    url = WebURLField(read_only=True, allow_null=True, help_text="Null when not given.")
    description = serializers.CharField(read_only=True)
    image_path = serializers.SerializerMethodField()
    timezone = serializers.CharField(read_only=True)
    credit_balance = serializers.IntegerField(read_only=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)
    updated_at = V1DateTimeField(zone="issuer", zone_from="timezone", read_only=True)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_image_path(self, obj):
        return absolute_media_url(obj.image)


class OrganizationUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH (owners): the profile."""

    name = serializers.CharField(required=False, max_length=200)
    email = serializers.EmailField(required=False, max_length=254)
    url = WebURLField(required=False, allow_blank=True, help_text="An empty string clears it.")
    description = serializers.CharField(required=False, allow_blank=True)
    timezone = serializers.CharField(
        required=False, max_length=64, help_text="IANA name, e.g. Europe/Rome"
    )
    image = ImageUploadField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(gettext("Give at least one field to change."))
        return attrs


class MemberSerializer(serializers.Serializer):
    user_id = serializers.CharField(source="user.entity_id", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)


class OrganizationCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """POST: a new organization (who may: settings.ISSUER_CREATION)."""

    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    url = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    timezone = serializers.CharField(
        required=False, max_length=64, help_text="IANA name, e.g. Europe/Rome"
    )
    image = ImageUploadField(
        required=False, help_text="Not with a request for approval: add it once approved."
    )


class OrganizationRequestSerializer(serializers.Serializer):
    """A request for a new organization, waiting for (or decided by) an operator."""

    id = serializers.CharField(source="entity_id", read_only=True)
    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    url = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=RequestStatus.choices, read_only=True)
    decision_note = serializers.CharField(read_only=True)
    organization_id = serializers.CharField(
        source="issuer.entity_id", read_only=True, allow_null=True, default=None
    )
    requested_by = serializers.EmailField(source="requested_by.email", read_only=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)
    decided_at = V1DateTimeField(zone="utc", read_only=True, allow_null=True)


class MemberAddSerializer(StrictFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="Where the invitation is sent.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.STAFF)


class InvitationSerializer(serializers.Serializer):
    """An invitation to join: only what the inviter typed, never anything of an account
    that may use the address."""

    id = serializers.CharField(source="entity_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True)
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)
    invited_by = serializers.EmailField(
        source="invited_by.email", read_only=True, allow_null=True, default=None
    )
    created_at = V1DateTimeField(zone="utc", read_only=True)
    expires_at = V1DateTimeField(
        zone="utc",
        read_only=True,
        allow_null=True,
        help_text="Set when the email is sent; null until then.",
    )


class MemberRoleSerializer(StrictFieldsMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class CreditEntrySerializer(serializers.Serializer):
    amount = serializers.IntegerField(
        read_only=True, help_text="Positive adds credits, negative spends them."
    )
    balance_after = serializers.IntegerField(read_only=True)
    reason = serializers.ChoiceField(choices=CreditReason.choices, read_only=True)
    note = serializers.CharField(read_only=True)
    assignment_id = serializers.CharField(
        source="batch.entity_id", read_only=True, allow_null=True, default=None
    )
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, allow_null=True, default=None
    )
    created_at = V1DateTimeField(zone="utc", read_only=True)


class CreditGrantSerializer(StrictFieldsMixin, serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=1_000_000_000)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="E.g. the invoice number."
    )


class CreditRequestCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, max_value=1_000_000_000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)


class CreditRequestSerializer(serializers.Serializer):
    id = serializers.CharField(source="entity_id", read_only=True)
    amount = serializers.IntegerField(read_only=True)
    note = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=CreditRequestStatus.choices, read_only=True)
    requested_by = serializers.EmailField(
        source="requested_by.email", read_only=True, allow_null=True, default=None
    )
    created_at = V1DateTimeField(zone="utc", read_only=True)
    decided_at = V1DateTimeField(zone="utc", read_only=True, allow_null=True)


class CreditsPageSerializer(serializers.Serializer):
    """The balance, and the ledger newest first (paginated)."""

    organization_id = serializers.CharField()
    balance = serializers.IntegerField()
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CreditEntrySerializer(many=True)
