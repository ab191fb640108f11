from django.conf import settings
from rest_framework import serializers

from core.api.fields import IsoZDateTimeField
from issuers.api.v2.serializers import issuer_open_badge_id
from templates_app.api.v2.serializers import badgeclass_open_badge_id


def assertion_open_badge_id(assertion) -> str:
    return f"{settings.SITE_URL}/public/assertions/{assertion.entity_id}"


class RecipientSerializer(serializers.Serializer):
    """In: the plaintext identity (always hashed with a salt in the issued badge).
    Out: the salted hash, the salt, and the plaintext for the issuer's staff."""

    identity = serializers.CharField(max_length=254)
    type = serializers.ChoiceField(choices=["email", "url", "id", "telephone"], default="email")
    hashed = serializers.BooleanField(required=False, allow_null=True, default=True)
    plaintextIdentity = serializers.CharField(read_only=True)
    salt = serializers.CharField(read_only=True)

    def to_representation(self, instance):
        return {
            "identity": instance.recipient_hash,
            "hashed": True,
            "type": "email",
            "plaintextIdentity": instance.recipient_email,
            "salt": instance.recipient_salt,
        }

    def validate_type(self, value):
        if value != "email":
            raise serializers.ValidationError("Only email recipients are supported.")
        return value


class EvidenceSerializer(serializers.Serializer):
    url = serializers.URLField(required=False, allow_blank=True, allow_null=True, max_length=1024)
    narrative = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs):
        attrs = {k: v for k, v in attrs.items() if v}
        if not attrs:
            raise serializers.ValidationError("Either url or narrative is required.")
        return attrs


class AssertionSerializer(serializers.Serializer):
    """Badgr's v2 Assertion. On POST: recipient, badge class (path, `badgeclass` or
    `badgeclassOpenBadgeId` or `badgeclassName`), issuedOn, expires, narrative,
    evidence, notify, allowDuplicateAwards, extensions."""

    entityType = serializers.SerializerMethodField()
    entityId = serializers.CharField(source="entity_id", read_only=True)
    openBadgeId = serializers.SerializerMethodField()
    createdAt = IsoZDateTimeField(source="created_at", read_only=True)
    createdBy = serializers.CharField(source="created_by.entity_id", read_only=True, default=None)
    badgeclass = serializers.CharField(source="badge_template.entity_id", required=False)
    badgeclassOpenBadgeId = serializers.CharField(required=False)
    badgeclassName = serializers.CharField(required=False, write_only=True)
    issuer = serializers.CharField(source="organization.entity_id", read_only=True)
    issuerOpenBadgeId = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    recipient = RecipientSerializer(source="*")
    issuedOn = IsoZDateTimeField(source="emitted_at", required=False, allow_null=True)
    narrative = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    evidence = EvidenceSerializer(many=True, required=False, allow_null=True)
    revoked = serializers.SerializerMethodField()
    revocationReason = serializers.SerializerMethodField()
    acceptance = serializers.SerializerMethodField()
    expires = IsoZDateTimeField(source="expires_at", required=False, allow_null=True)
    notify = serializers.BooleanField(required=False, default=False, write_only=True)
    allowDuplicateAwards = serializers.BooleanField(required=False, default=True, write_only=True)
    extensions = serializers.DictField(required=False, allow_null=True, write_only=True)

    def get_entityType(self, obj) -> str:
        return "Assertion"

    def get_openBadgeId(self, obj) -> str:
        return assertion_open_badge_id(obj)

    def get_issuerOpenBadgeId(self, obj) -> str:
        return issuer_open_badge_id(obj.organization)

    def get_image(self, obj) -> str:
        return f"{assertion_open_badge_id(obj)}/image"

    def get_revoked(self, obj) -> bool:
        return obj.status == "revoked"

    def get_revocationReason(self, obj) -> str | None:
        return obj.revoked_reason or None if obj.status == "revoked" else None

    def get_acceptance(self, obj) -> str:
        return "Accepted"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["badgeclassOpenBadgeId"] = badgeclass_open_badge_id(instance.badge_template)
        data["narrative"] = instance.narrative or None
        data["evidence"] = instance.evidence
        data["extensions"] = instance.additional_details.get("extensions", {})
        return data


def recipient_name(extensions: dict | None) -> tuple[str, str]:
    """Badgr's `extensions:recipientProfile` {name} as (first, last)."""
    profile = (extensions or {}).get("extensions:recipientProfile") or {}
    name = str(profile.get("name") or "").strip()
    if not name:
        return "", ""
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (last, "")


class AssertionUpdateSerializer(serializers.Serializer):
    """PUT /v2/assertions/{id}: what may change without reissuing."""

    issuedOn = IsoZDateTimeField(source="emitted_at", required=False)
    expires = IsoZDateTimeField(source="expires_at", required=False, allow_null=True)
    narrative = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    evidence = EvidenceSerializer(many=True, required=False, allow_null=True)
    extensions = serializers.DictField(required=False, allow_null=True)


class RevokeItemSerializer(serializers.Serializer):
    entityId = serializers.CharField(required=False)
    id = serializers.CharField(required=False)
    revocationReason = serializers.CharField(required=False, allow_blank=True)


class RevokeResultSerializer(serializers.Serializer):
    entityId = serializers.CharField()
    revoked = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
