from rest_framework import serializers

from accounts.tokens import token_entity_id
from core.api.fields import IsoZDateTimeField


class UserSelfSerializer(serializers.Serializer):
    """Badgr's v2 BadgeUser, as far as this platform has it."""

    entityType = serializers.SerializerMethodField()
    entityId = serializers.CharField(source="entity_id", read_only=True)
    firstName = serializers.CharField(
        source="first_name", max_length=150, required=False, allow_blank=True
    )
    lastName = serializers.CharField(
        source="last_name", max_length=150, required=False, allow_blank=True
    )
    emails = serializers.SerializerMethodField()

    def get_entityType(self, obj) -> str:
        return "BadgeUser"

    def get_emails(self, obj) -> list[dict]:
        return [{"email": obj.email, "verified": True, "primary": True}]


class ApplicationInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    clientId = serializers.CharField(source="client_id")  # noqa: N815 (Badgr's name)


class AccessTokenSerializer(serializers.Serializer):
    """Badgr's AccessToken: never the token itself."""

    entityType = serializers.SerializerMethodField()
    entityId = serializers.SerializerMethodField()
    application = ApplicationInfoSerializer(allow_null=True)
    scope = serializers.CharField()
    expires = IsoZDateTimeField()
    created = IsoZDateTimeField()

    def get_entityType(self, obj) -> str:
        return "AccessToken"

    def get_entityId(self, obj) -> str:
        return token_entity_id(obj)
