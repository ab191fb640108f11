from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.fields import ImageUploadField, IsoZDateTimeField, WebURLField
from issuers.api.v2.serializers import issuer_open_badge_id
from templates_app.models import ValidityUnit


def badgeclass_open_badge_id(template) -> str:
    return f"{settings.SITE_URL}/public/badges/{template.entity_id}"


class AlignmentSerializer(serializers.Serializer):
    targetName = serializers.CharField()
    targetUrl = WebURLField()
    targetDescription = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    targetFramework = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    targetCode = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {k: v for k, v in value.items() if v not in (None, "")}


class ExpirationSerializer(serializers.Serializer):
    """Badgr's `expires: {amount, duration}` ↔ the template's default validity."""

    amount = serializers.IntegerField(min_value=1, source="validity_amount", allow_null=True)
    duration = serializers.ChoiceField(
        choices=ValidityUnit.values, source="validity_unit", allow_null=True
    )

    def to_representation(self, instance):
        if not instance.validity_amount:  # no default validity: Badgr's two nulls
            return {"amount": None, "duration": None}
        return {"amount": instance.validity_amount, "duration": instance.validity_unit}

    def validate(self, attrs):
        amount, unit = attrs.get("validity_amount"), attrs.get("validity_unit")
        if amount is None and not unit:  # {"amount": null, "duration": null}: none
            return {"validity_amount": None, "validity_unit": ""}
        if amount is None or not unit:
            raise serializers.ValidationError(
                _("Give both amount and duration, or neither for no expiry.")
            )
        return attrs

    def validate_empty_values(self, data):
        if data is None:  # `expires: null` clears the default validity
            return True, {"validity_amount": None, "validity_unit": ""}
        return super().validate_empty_values(data)


SERVICE_FIELDS = {
    "name",
    "image",
    "description",
    "criteria_url",
    "criteria_narrative",
    "alignments",
    "tags",
    "validity_amount",
    "validity_unit",
}


class BadgeClassSerializer(serializers.Serializer):
    """Badgr's v2 BadgeClass (our badge template). Accepts Badgr's camelCase criteria
    fields and the snake_case `criteria_url` / `criteria_text` some clients send."""

    entityType = serializers.SerializerMethodField()
    entityId = serializers.CharField(source="entity_id", read_only=True)
    openBadgeId = serializers.SerializerMethodField()
    createdAt = IsoZDateTimeField(source="created_at", read_only=True)
    createdBy = serializers.CharField(
        source="created_by.entity_id", read_only=True, default=None, allow_null=True
    )
    issuer = serializers.CharField(source="issuer.entity_id", required=False)
    issuerOpenBadgeId = serializers.SerializerMethodField()
    name = serializers.CharField(max_length=255)
    image = ImageUploadField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    criteriaUrl = WebURLField(
        source="criteria_url", required=False, allow_blank=True, allow_null=True, max_length=1024
    )
    criteriaNarrative = serializers.CharField(
        source="criteria_narrative", required=False, allow_blank=True, allow_null=True
    )
    alignments = AlignmentSerializer(many=True, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=255), required=False)
    expires = ExpirationSerializer(source="*", required=False, allow_null=True)
    kind = serializers.CharField(read_only=True)
    archived = serializers.BooleanField(required=False)
    extensions = serializers.DictField(required=False, write_only=True)

    def get_entityType(self, obj) -> str:
        return "BadgeClass"

    def get_openBadgeId(self, obj) -> str:
        return badgeclass_open_badge_id(obj)

    def get_issuerOpenBadgeId(self, obj) -> str:
        return issuer_open_badge_id(obj.issuer)

    def to_internal_value(self, data):
        if hasattr(data, "dict"):  # multipart QueryDict: one value per key, files kept
            plain = {k: data.get(k) for k in data}
        else:
            plain = dict(data) if isinstance(data, dict) else data
        if isinstance(plain, dict):
            for snake, camel in (
                ("criteria_url", "criteriaUrl"),
                ("criteria_text", "criteriaNarrative"),
            ):
                if snake in plain and camel not in plain:
                    plain[camel] = plain.pop(snake)
            if plain.get("expires") in ("", {}, None) and "expires" in plain:
                plain["expires"] = None
        return super().to_internal_value(plain)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["alignments"] = instance.alignments
        data["extensions"] = {}
        return data

    def service_fields(self) -> dict:
        """validated_data in the names of templates_app.services."""
        data = dict(self.validated_data)
        data.pop("issuer", None)
        for field in ("description", "criteria_url", "criteria_narrative"):
            if field in data and data[field] is None:
                data[field] = ""
        data = {k: v for k, v in data.items() if k in SERVICE_FIELDS}
        return {"fields": data, "archived": self.validated_data.get("archived")}
