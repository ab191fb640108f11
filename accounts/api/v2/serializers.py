from rest_framework import serializers


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
