import orjson
from django.conf import settings
from django.db import connections
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import normalize_email
from assertions.models import Acceptance
from core.api.fields import IsoZDateTimeField, WebURLField
from core.api.serializers import Serializer
from core.queries import IsoZ, JsonText
from core.timefmt import format_iso_z


def assertion_open_badge_id(assertion) -> str:
    return f"{settings.SITE_URL}/public/assertions/{assertion.entity_id}"


class RecipientSerializer(Serializer):
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
            raise serializers.ValidationError(_("Only email recipients are supported."))
        return value


class EvidenceSerializer(Serializer):
    url = WebURLField(required=False, allow_blank=True, allow_null=True, max_length=1024)
    narrative = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs):
        attrs = {k: v for k, v in attrs.items() if v}
        if not attrs:
            raise serializers.ValidationError(_("Either url or narrative is required."))
        return attrs


class AssertionSerializer(Serializer):
    """Badgr's v2 Assertion. On POST: recipient, badge class (path, `badgeclass` or
    `badgeclassOpenBadgeId` or `badgeclassName`), issuedOn, expires, narrative,
    evidence, notify, allowDuplicateAwards, extensions."""

    # The declarations describe input and the schema; output is to_representation.
    entityType = serializers.CharField(read_only=True, default="Assertion")
    entityId = serializers.CharField(read_only=True)
    openBadgeId = serializers.URLField(read_only=True)
    createdAt = IsoZDateTimeField(read_only=True)
    createdBy = serializers.CharField(read_only=True, allow_null=True)
    badgeclass = serializers.CharField(source="badge_template.entity_id", required=False)
    badgeclassOpenBadgeId = serializers.CharField(required=False)
    badgeclassName = serializers.CharField(required=False, write_only=True)
    issuer = serializers.CharField(read_only=True)
    issuerOpenBadgeId = serializers.URLField(read_only=True)
    image = serializers.URLField(read_only=True, help_text="The baked badge image.")
    recipient = RecipientSerializer(source="*")
    issuedOn = IsoZDateTimeField(source="emitted_at", required=False, allow_null=True)
    narrative = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    evidence = EvidenceSerializer(many=True, required=False, allow_null=True)
    revoked = serializers.BooleanField(read_only=True)
    revocationReason = serializers.CharField(read_only=True, allow_null=True)
    acceptance = serializers.ChoiceField(
        choices=Acceptance.values,
        read_only=True,
        help_text="The earner's answer: Unaccepted until they accept or reject it.",
    )
    expires = IsoZDateTimeField(source="expires_at", required=False, allow_null=True)
    notify = serializers.BooleanField(required=False, default=False, write_only=True)
    allowDuplicateAwards = serializers.BooleanField(required=False, default=True, write_only=True)
    extensions = serializers.DictField(required=False, allow_null=True)
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        write_only=True,
        help_text="Not Badgr's: the language of the earner's emails, en or it (or its name, "
        "e.g. Italiano), as in /api/v1 and the spreadsheet's column; blank: the issuer's.",
    )
    credentialUrl = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="The signed Open Badges 3.0 credential (VC-JWT with `Accept: "
        "application/vc+jwt`, JSON otherwise); null once the badge is revoked.",
    )

    def to_representation(self, instance):
        return assertion_v2(row_of(instance))


# Output is written out rather than field by field, from plain rows: a list of 10,000
# badges must serialise in well under a second, and DRF's per-field machinery plus one
# model instance per related object cost ~10x this. tests/api_v2 pin every key and
# format, so the declared fields (the schema and the input) and this output cannot
# drift apart unnoticed.
ROW_COLUMNS = (
    "pk",
    "entity_id",
    "created_at",
    "created_by__entity_id",
    "badge_template__entity_id",
    "organization__entity_id",
    "recipient_hash",
    "recipient_email",
    "recipient_salt",
    "emitted_at",
    "narrative",
    "evidence",
    "status",
    "revoked_reason",
    "expires_at",
    "additional_details",
    "acceptance",
)


TIMES = ("created_at", "emitted_at", "expires_at")
JSON_COLUMNS = ("evidence", "additional_details")


# Sent on as PostgreSQL writes them (core.queries.JsonText): a list's JSON columns.
JSON_TEXT = {
    "evidence_json": JsonText("evidence"),
    "extensions_json": JsonText(KeyTransform("extensions", "additional_details")),
}


def list_values(queryset):
    """`queryset.values()` of what `assertion_v2` shows, for a list: on PostgreSQL its
    times come written by the database (`core.queries.IsoZ`, as `<name>_z`), and its
    JSON as the database's text (`<name>_json`), sent on unread."""
    if not IsoZ.supported(connections[queryset.db]):
        return queryset.values(*ROW_COLUMNS)
    return queryset.values(
        *(c for c in ROW_COLUMNS if c not in TIMES and c not in JSON_COLUMNS),
        **{f"{n}_z": IsoZ(n) for n in TIMES},
        **JSON_TEXT,
    )


def _when(row: dict, name: str) -> str | None:
    if f"{name}_z" in row:
        return row[f"{name}_z"]
    return format_iso_z(row[name])


def _sent_on(text: str | None, missing=None):
    """JSON as the database wrote it (`list_values`' `<name>_json`), for orjson to send
    on unread; `missing` when it is NULL."""
    return missing if text is None else orjson.Fragment(text)


def row_of(assertion) -> dict:
    """The ROW_COLUMNS of an Assertion instance (its related objects already loaded)."""
    return {
        "pk": assertion.pk,
        "entity_id": assertion.entity_id,
        "created_at": assertion.created_at,
        "created_by__entity_id": assertion.created_by.entity_id
        if assertion.created_by_id
        else None,
        "badge_template__entity_id": assertion.badge_template.entity_id,
        "organization__entity_id": assertion.organization.entity_id,
        "recipient_hash": assertion.recipient_hash,
        "recipient_email": assertion.recipient_email,
        "recipient_salt": assertion.recipient_salt,
        "emitted_at": assertion.emitted_at,
        "narrative": assertion.narrative,
        "evidence": assertion.evidence,
        "status": assertion.status,
        "revoked_reason": assertion.revoked_reason,
        "expires_at": assertion.expires_at,
        "additional_details": assertion.additional_details,
        "acceptance": assertion.acceptance,
    }


def assertion_v2(row: dict, site: str | None = None) -> dict:
    """Badgr's Assertion of a `list_values` row; `site` is SITE_URL (read once by a list)."""
    site = site or settings.SITE_URL
    open_badge_id = f"{site}/public/assertions/{row['entity_id']}"
    revoked = row["status"] == "revoked"
    return {
        "entityType": "Assertion",
        "entityId": row["entity_id"],
        "openBadgeId": open_badge_id,
        "createdAt": _when(row, "created_at"),
        "createdBy": row["created_by__entity_id"],
        "badgeclass": row["badge_template__entity_id"],
        "badgeclassOpenBadgeId": f"{site}/public/badges/{row['badge_template__entity_id']}",
        "issuer": row["organization__entity_id"],
        "issuerOpenBadgeId": f"{site}/public/issuers/{row['organization__entity_id']}",
        "image": f"{open_badge_id}/image",
        "recipient": {
            "identity": row["recipient_hash"],
            "hashed": True,
            "type": "email",
            "plaintextIdentity": row["recipient_email"],
            "salt": row["recipient_salt"],
        },
        "issuedOn": _when(row, "emitted_at"),
        "narrative": row["narrative"] or None,
        "evidence": _sent_on(row["evidence_json"]) if "evidence_json" in row else row["evidence"],
        "revoked": revoked,
        "revocationReason": (row["revoked_reason"] or None) if revoked else None,
        "acceptance": row["acceptance"],
        "expires": _when(row, "expires_at"),
        "extensions": _sent_on(row["extensions_json"], {})
        if "extensions_json" in row
        else row["additional_details"].get("extensions", {}),
        # Not Badgr's: this platform's Open Badges 3.0 credential (credentials app).
        "credentialUrl": None if revoked else f"{open_badge_id}/credential",
    }


class AcceptanceSerializer(serializers.Serializer):
    """PUT /v2/backpack/assertions/{id}: the earner's answer."""

    acceptance = serializers.ChoiceField(choices=[Acceptance.ACCEPTED, Acceptance.REJECTED])


class BatchIssueSerializer(Serializer):
    """POST /v2/badgeclasses/{id}/issue: Badgr's batch issue body."""

    assertions = AssertionSerializer(many=True, allow_empty=False)
    create_notification = serializers.BooleanField(
        required=False, help_text="Email each recipient (one credit each); Badgr's name."
    )
    notify = serializers.BooleanField(required=False, help_text="The same as create_notification.")
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Not Badgr's: the earners' language for items that give none (see the "
        "item's `language`); blank: the issuer's.",
    )
    allowDuplicateAwards = serializers.BooleanField(  # noqa: N815 (Badgr's name)
        required=False,
        help_text="False refuses recipients who already hold a valid badge of the class "
        "(also when any item says false).",
    )


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


class RevokeReasonSerializer(serializers.Serializer):
    """A single revocation's reason, from the body or the query string (Badgr's)."""

    revocation_reason = serializers.CharField(required=False, allow_blank=True, default="")


class RecipientFilterSerializer(serializers.Serializer):
    """A `/v2` list's `recipient` filter, as `filter_listed` takes it (None: everyone)."""

    recipient = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_recipient(self, value):
        return normalize_email(value) or None


class RevokeResultSerializer(serializers.Serializer):
    entityId = serializers.CharField()
    revoked = serializers.BooleanField()
    reason = serializers.CharField(required=False)
    code = serializers.CharField(required=False)


class CollectionSerializer(serializers.Serializer):
    """Badgr's v2 Collection (a backpack collection): `assertions` are entityIds of your
    own badges; `shareUrl`, the public page, is null until `published`."""

    entityType = serializers.CharField(read_only=True, default="Collection")
    entityId = serializers.CharField(read_only=True)
    createdAt = IsoZDateTimeField(read_only=True)
    createdBy = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=128)
    description = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=2000
    )
    published = serializers.BooleanField(required=False)
    shareHash = serializers.CharField(read_only=True, allow_null=True)
    shareUrl = serializers.URLField(read_only=True, allow_null=True)
    assertions = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=1000
    )

    def to_representation(self, instance):
        return {
            "entityType": "Collection",
            "entityId": instance.entity_id,
            "createdAt": format_iso_z(instance.created_at),
            "createdBy": instance.user.entity_id,
            "name": instance.name,
            "description": instance.description or None,
            "published": instance.published,
            "shareHash": instance.entity_id if instance.published else None,
            "shareUrl": instance.share_url,
            # Badgr's clients read this as share_url; both are given.
            "share_url": instance.share_url,
            "assertions": [badge.entity_id for badge in instance.assertions.all()],
        }


class BackpackImportSerializer(serializers.Serializer):
    """POST /v2/backpack/import (and /v2/backpack/assertions): one of the three."""

    url = WebURLField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=1024,
        help_text="The hosted Open Badges 2.0 assertion's URL.",
    )
    image = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A baked badge image as a data:image/png or image/svg+xml base64 URI.",
    )
    assertion = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="The Open Badges 2.0 assertion (object or its URL); its hosted id is "
        "fetched and verified.",
    )

    def validate(self, attrs):
        given = [name for name in ("url", "image", "assertion") if attrs.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError(_("Give exactly one of url, image or assertion."))
        return attrs


def imported_v2(imported) -> dict:
    """A badge added from another platform, in the shape of a backpack Assertion. Its
    ids are the other platform's; it was verified when added (`verifiedAt`)."""
    badgeclass_id = imported.badgeclass.get("id") if isinstance(imported.badgeclass, dict) else None
    issuer_id = imported.issuer.get("id") if isinstance(imported.issuer, dict) else None
    return {
        "entityType": "Assertion",
        "entityId": imported.entity_id,
        "openBadgeId": imported.source_url,
        "createdAt": format_iso_z(imported.created_at),
        "createdBy": None,
        "badgeclass": None,
        "badgeclassOpenBadgeId": badgeclass_id,
        "issuer": None,
        "issuerOpenBadgeId": issuer_id,
        "image": imported.image_url or None,
        "recipient": {
            "identity": imported.recipient_email,
            "hashed": False,
            "type": "email",
            "plaintextIdentity": imported.recipient_email,
        },
        "issuedOn": format_iso_z(imported.issued_on),
        "narrative": None,
        "evidence": [],
        "revoked": False,
        "revocationReason": None,
        "acceptance": Acceptance.ACCEPTED,
        "expires": format_iso_z(imported.expires_at),
        "extensions": {},
        "credentialUrl": None,
        "verifiedAt": format_iso_z(imported.verified_at),
        "name": imported.name,
        "issuerName": imported.issuer_name,
    }
