from django.conf import settings
from rest_framework import serializers

from core.api.fields import ImageUploadField, IsoZDateTimeField, WebURLField


def issuer_open_badge_id(issuer) -> str:
    return f"{settings.SITE_URL}/public/issuers/{issuer.entity_id}"


class IssuerStaffSerializer(serializers.Serializer):
    entityType = serializers.SerializerMethodField()
    user = serializers.CharField(source="user.entity_id")
    email = serializers.EmailField(source="user.email")
    role = serializers.CharField()

    def get_entityType(self, obj) -> str:
        return "IssuerStaff"


class IssuerSerializer(serializers.Serializer):
    """Badgr's v2 Issuer."""

    entityType = serializers.SerializerMethodField()
    entityId = serializers.CharField(source="entity_id", read_only=True)
    openBadgeId = serializers.SerializerMethodField()
    createdAt = IsoZDateTimeField(source="created_at", read_only=True)
    createdBy = serializers.CharField(
        source="created_by.entity_id", read_only=True, default=None, allow_null=True
    )
    name = serializers.CharField(max_length=200)
    image = ImageUploadField(required=False, allow_null=True)
    email = serializers.EmailField(max_length=254)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    url = WebURLField(required=False, allow_blank=True, allow_null=True)
    timezone = serializers.CharField(required=False, max_length=64)
    staff = IssuerStaffSerializer(source="memberships.all", many=True, read_only=True)
    extensions = serializers.SerializerMethodField()

    def get_entityType(self, obj) -> str:
        return "Issuer"

    def get_openBadgeId(self, obj) -> str:
        return issuer_open_badge_id(obj)

    def get_extensions(self, obj) -> dict:
        return {}

    def service_fields(self) -> dict:
        data = dict(self.validated_data)
        for field in ("description", "url"):
            if field in data and data[field] is None:
                data[field] = ""
        if data.get("image", 0) is None:
            data.pop("image")
        return data


class IssuerTokensRequestSerializer(serializers.Serializer):
    issuers = serializers.ListField(
        child=serializers.CharField(max_length=64),
        allow_empty=False,
        max_length=100,
        help_text="entityIds of issuers you own.",
    )


class IssuerTokenSerializer(serializers.Serializer):
    issuer = serializers.CharField(help_text="The issuer's entityId.")
    token = serializers.CharField(help_text="The access token; shown this once.")
    expires = IsoZDateTimeField()
