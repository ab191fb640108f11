"""Badge templates and their versions in the Open Badge API (/api/v1)."""

import json

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api.fields import ImageUploadField, V1DateTimeField, WebURLField
from core.api.v1 import EntityIdField, StrictFieldsMixin, absolute_media_url
from issuers.models import Issuer
from templates_app.models import Kind, ValidityUnit

IMAGE_URL = {"type": "string", "format": "uri", "nullable": True}


def _rendition(version, name: str) -> str | None:
    if version is None:
        return None
    return absolute_media_url(getattr(version, name) or version.image)


class TemplateAlignmentSerializer(serializers.Serializer):
    """An Open Badges alignment (a skill or standard the badge stands for)."""

    targetName = serializers.CharField(max_length=255)
    targetUrl = WebURLField(max_length=1024)
    targetDescription = serializers.CharField(required=False, allow_blank=True)
    targetFramework = serializers.CharField(required=False, allow_blank=True)
    targetCode = serializers.CharField(required=False, allow_blank=True)


TEMPLATE_EXAMPLE = {
    "id": "tP0kq3x9RaW1m8cVb2nYzA",
    "organization_id": "p9Hc3kN1Qz2mX8rT0vYb4w",
    "name": "Python Fundamentals",
    "description": "Writes and tests small Python programs.",
    "kind": "skills",
    "criteria_url": "https://academy.example/python/criteria",
    "criteria_narrative": "Pass the final project.",
    "image_path": "https://badges.example.org/media/badge-versions/q1L5.png",
    "image_high_path": "https://badges.example.org/media/badge-versions/q1L5-high.png",
    "image_thumbnail_path": "https://badges.example.org/media/badge-versions/q1L5-thumb.png",
    "tags": ["python", "programming"],
    "alignments": [],
    "validity_amount": 2,
    "validity_unit": "years",
    "archived": False,
    "current_version": "q1L5wYxTRkO8Vb0mAa2PcQ",
    "created_at": "2024-01-10 08:00:00",
    "updated_at": "2024-01-10 09:00:00",
}


@extend_schema_serializer(
    examples=[OpenApiExample("A badge template", value=TEMPLATE_EXAMPLE, response_only=True)]
)
class BadgeTemplateSerializer(serializers.Serializer):
    """What a badge is for. Awarded badges show the version current when they were
    awarded; images are those of the current version."""

    id = serializers.CharField(source="entity_id", read_only=True)
    organization_id = serializers.CharField(source="issuer.entity_id", read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    criteria_url = WebURLField(read_only=True, allow_null=True)
    criteria_narrative = serializers.CharField(read_only=True)
    image_path = serializers.SerializerMethodField()
    image_high_path = serializers.SerializerMethodField()
    image_thumbnail_path = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    alignments = TemplateAlignmentSerializer(many=True, read_only=True)
    validity_amount = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Default validity of awarded badges."
    )
    validity_unit = serializers.ChoiceField(
        choices=ValidityUnit.choices, read_only=True, allow_blank=True
    )
    archived = serializers.BooleanField(read_only=True)
    current_version = serializers.CharField(source="current_version.entity_id", read_only=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)
    updated_at = V1DateTimeField(zone="issuer", zone_from="issuer.timezone", read_only=True)

    @extend_schema_field(IMAGE_URL)
    def get_image_path(self, obj):
        version = obj.current_version
        return absolute_media_url(version.image) if version else None

    @extend_schema_field(IMAGE_URL)
    def get_image_high_path(self, obj):
        return _rendition(obj.current_version, "image_high")

    @extend_schema_field(IMAGE_URL)
    def get_image_thumbnail_path(self, obj):
        return _rendition(obj.current_version, "image_thumbnail")


class BadgeTemplateWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH body (every field optional). A change to what badges show makes a new
    version; badges already awarded keep theirs."""

    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    criteria_url = WebURLField(required=False, allow_blank=True, max_length=1024)
    criteria_narrative = serializers.CharField(required=False, allow_blank=True)
    image = ImageUploadField(
        required=False, help_text="A data:image/...;base64 URI, or a file in a multipart body."
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, max_length=100
    )
    alignments = TemplateAlignmentSerializer(many=True, required=False)
    validity_amount = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    validity_unit = serializers.ChoiceField(
        choices=ValidityUnit.choices, required=False, allow_blank=True
    )

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):  # multipart: one value per key, files kept
            plain = {key: data.get(key) for key in data}
            if "tags" in data:
                plain["tags"] = data.getlist("tags")
            if isinstance(plain.get("alignments"), str):
                try:
                    plain["alignments"] = json.loads(plain["alignments"])
                except (ValueError, RecursionError):  # RecursionError: nested too deeply
                    raise serializers.ValidationError(
                        {"alignments": [gettext("Give a JSON list of alignment objects.")]}
                    ) from None
            data = plain
        return super().to_internal_value(data)

    def validate(self, attrs):
        if "validity_amount" in attrs and attrs["validity_amount"] is None:
            attrs.setdefault("validity_unit", "")
        if attrs.get("validity_unit") == "" and "validity_amount" not in attrs:
            attrs["validity_amount"] = None
        if not attrs:
            raise serializers.ValidationError(gettext("Give at least one field to change."))
        return attrs

    def service_fields(self) -> dict:
        data = dict(self.validated_data)
        data.pop("organization_id", None)
        if "alignments" in data:
            data["alignments"] = [
                {k: v for k, v in dict(a).items() if v not in ("", None)}
                for a in data["alignments"]
            ]
        return data


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Create a badge template",
            request_only=True,
            value={
                "organization_id": "p9Hc3kN1Qz2mX8rT0vYb4w",
                "name": "Python Fundamentals",
                "kind": "skills",
                "criteria_narrative": "Pass the final project.",
                "image": "data:image/png;base64,iVBORw0KGgo...",
                "validity_amount": 2,
                "validity_unit": "years",
            },
        )
    ]
)
class BadgeTemplateCreateSerializer(BadgeTemplateWriteSerializer):
    organization_id = EntityIdField(model_label="organization", queryset=Issuer.objects.none())
    image = ImageUploadField(
        help_text="A data:image/...;base64 URI, or a file in a multipart body."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("validity_amount") and not attrs.get("validity_unit"):
            raise serializers.ValidationError(
                {"validity_unit": [gettext("Give the unit of the amount.")]}
            )
        if attrs.get("validity_unit") and not attrs.get("validity_amount"):
            raise serializers.ValidationError({"validity_amount": [gettext("Give the amount.")]})
        return attrs


class BadgeTemplateVersionSerializer(serializers.Serializer):
    """An immutable snapshot of a template: what the badges awarded with it show."""

    id = serializers.CharField(source="entity_id", read_only=True)
    badge_template = serializers.CharField(source="template.entity_id", read_only=True)
    number = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    criteria_url = WebURLField(read_only=True, allow_null=True)
    criteria_narrative = serializers.CharField(read_only=True)
    image_path = serializers.SerializerMethodField()
    image_high_path = serializers.SerializerMethodField()
    image_thumbnail_path = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    alignments = TemplateAlignmentSerializer(many=True, read_only=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)

    @extend_schema_field(IMAGE_URL)
    def get_image_path(self, obj):
        return absolute_media_url(obj.image)

    @extend_schema_field(IMAGE_URL)
    def get_image_high_path(self, obj):
        return _rendition(obj, "image_high")

    @extend_schema_field(IMAGE_URL)
    def get_image_thumbnail_path(self, obj):
        return _rendition(obj, "image_thumbnail")
