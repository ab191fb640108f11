from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from core.api.fields import V1DateTimeField
from core.api.v1 import EntityIdField, StrictFieldsMixin
from issuers.models import Issuer

EARNER_EXAMPLE = {
    "id": "e4Rt9pLq2WzX0cVb7nMkAa",
    "organization_id": "p9Hc3kN1Qz2mX8rT0vYb4w",
    "email": "ada@learners.example",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "metadata": {"student_number": "S-1001"},
    "has_account": True,
    "badges_count": 3,
    "created_at": "2024-01-10 08:00:00",
    "updated_at": "2024-01-10 09:00:00",
}


@extend_schema_serializer(
    examples=[OpenApiExample("An earner", value=EARNER_EXAMPLE, response_only=True)]
)
class EarnerSerializer(serializers.Serializer):
    """A person an organization awards badges to (one per organization and email)."""

    id = serializers.CharField(source="entity_id", read_only=True)
    organization_id = serializers.CharField(source="issuer.entity_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    language = serializers.CharField(
        read_only=True,
        help_text="The language of the earner's emails (en, it); blank: the organization's.",
    )
    metadata = serializers.DictField(read_only=True)
    has_account = serializers.SerializerMethodField(
        help_text="Whether the earner's badges are kept in an account: true from the "
        "earner's first badge on (an account is made then if the address has none), "
        "false before. It says nothing of accounts the organization did not award to."
    )
    badges_count = serializers.IntegerField(read_only=True)
    created_at = V1DateTimeField(zone="utc", read_only=True)
    updated_at = V1DateTimeField(zone="issuer", zone_from="issuer.timezone", read_only=True)

    def get_has_account(self, obj) -> bool:
        return obj.user_id is not None


class EarnerUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    """PATCH: names, language and metadata (replaced as a whole). The email cannot
    change."""

    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="en or it (or its name, e.g. Italiano); blank: the organization's.",
    )
    metadata = serializers.DictField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(gettext("Give at least one field to change."))
        return attrs


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Add an earner",
            request_only=True,
            value={
                "organization_id": "p9Hc3kN1Qz2mX8rT0vYb4w",
                "email": "ada@learners.example",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "metadata": {"student_number": "S-1001"},
            },
        )
    ]
)
class EarnerCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    organization_id = EntityIdField(model_label="organization", queryset=Issuer.objects.none())
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    metadata = serializers.DictField(required=False)
