"""Serializer fields for the timestamp formats of the two APIs (see core.timefmt)."""

from operator import attrgetter

from rest_framework import serializers

from core.timefmt import UTC, format_iso_z, format_v1, parse_datetime


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
