"""Serializer fields for the timestamp formats of the two APIs (see core.timefmt)."""

from operator import attrgetter

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.timefmt import UTC, format_iso_z, format_v1, parse_datetime
from core.uploads import ImageRefused, image_data_uri_bytes
from core.validators import validate_web_url


@extend_schema_field(OpenApiTypes.DATETIME)
class IsoZDateTimeField(serializers.Field):
    """/v2 and Open Badges: `2024-05-01T09:30:00Z` out; ISO 8601, `YYYY-MM-DD HH:MM:SS[Z]`
    or offsets in (a time without an offset is UTC)."""

    default_error_messages = {"invalid": "{message}"}

    def to_representation(self, value):
        return format_iso_z(value)

    def to_internal_value(self, data):
        try:
            return parse_datetime(data, UTC)
        except ValueError as exc:
            self.fail("invalid", message=str(exc))


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        "example": "2024-05-01 09:30:00",
    }
)
class V1DateTimeField(serializers.Field):
    """/api/v1: `YYYY-MM-DD HH:MM:SS`.

    `zone="utc"` formats in UTC. `zone="issuer"` formats in the issuer's time zone, found
    on the object through `zone_from` (a dotted attribute path such as
    "organization.timezone"), and input without an offset is read in the zone named by
    the serializer context's `issuer_timezone` (the view sets it). UTC otherwise.
    """

    default_error_messages = {"invalid": "{message}"}

    def __init__(self, *, zone: str = "utc", zone_from: str = "organization.timezone", **kwargs):
        if zone not in ("utc", "issuer"):
            raise ValueError("zone is 'utc' or 'issuer'")
        self.zone = zone
        self.zone_from = attrgetter(zone_from)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        tz = self.zone_from(instance) if self.zone == "issuer" else "UTC"
        return value, tz

    def to_representation(self, pair):
        value, tz = pair
        return format_v1(value, tz)

    def to_internal_value(self, data):
        tz = (self.context.get("issuer_timezone") if self.zone == "issuer" else None) or "UTC"
        try:
            return parse_datetime(data, tz)
        except ValueError as exc:
            self.fail("invalid", message=str(exc))


class WebURLField(serializers.URLField):
    """A URL that is stored and later shown or linked to: http(s) only
    (core.validators.validate_web_url, the rule of the models and forms too).

    An empty value reads back as null, never "": the schema says `format: uri`, and ""
    is no URI. Declare it with `allow_null=True` wherever it is read, so the schema says
    the field may be null.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # DRF's own URLValidator takes ftp:// too; ours replaces it.
        others = [v for v in self.validators if not isinstance(v, URLValidator)]
        self.validators = [*others, validate_web_url]

    def to_representation(self, value):
        return super().to_representation(value) or None


@extend_schema_field(
    {
        "type": "string",
        "description": "In: a data:image/(png|jpeg|webp|svg+xml);base64 URI, or a file. "
        "Out: its URL.",
    }
)
class ImageUploadField(serializers.Field):
    """An image sent as a `data:image/...;base64,` URI in JSON, or as a multipart file.

    Returns a Django File for the services, which pass it through the upload gate
    (`core.uploads.image_accept`: the type is sniffed there, from the bytes); renders the
    stored file's absolute URL. A data URI of any other type is refused here.
    """

    default_error_messages = {
        "invalid": gettext_lazy(
            "Send the image as a data URI (data:image/png;base64,...) or a file upload."
        ),
    }

    def to_internal_value(self, data):
        if isinstance(data, UploadedFile):
            return data
        if not isinstance(data, str) or not data.startswith("data:"):
            self.fail("invalid")
        try:
            content = image_data_uri_bytes(data)
        except ImageRefused as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None
        return ContentFile(content, name="image")

    def to_representation(self, value):
        if not value:
            return None
        url = value.url
        return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url
