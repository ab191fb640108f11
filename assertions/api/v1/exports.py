"""`GET /api/v1/badges/export`: the badge objects of a filtered list as CSV or XLSX.

The columns are the keys of the badge object, formatted as the API returns them. Rows
are read as plain tuples in chunks (`.values_list(...).iterator(chunk_size=CHUNK)`: one
query, no model instances; template versions and issuers, which rows share, are read once
beforehand) and written as they come, so memory does not grow with the number of rows:

- CSV is streamed (StreamingHttpResponse), a few rows' worth of memory at a time.
- XLSX is streamed too, each row written into the file's deflated sheet as it comes
  (core.xlsx).

Text that a spreadsheet would run as a formula is neutralised (assertions.exports). The
admin's "export selected badges" actions use this same export.
"""

import json

from django.conf import settings
from django.db import connections
from django.http import StreamingHttpResponse

from assertions import exports
from assertions.api.v1.serializers import BADGE_FIELDS
from assertions.models import AssertionStatus
from core.api.v1 import absolute_media_url
from core.queries import UtcText
from core.timefmt import UTC, format_v1, format_v1_from_utc, get_zone
from issuers.models import Issuer
from templates_app.models import BadgeTemplateVersion

CHUNK = 500  # rows per fetch: a few hundred KB of tuples, whatever the export's size

COLUMNS = (
    "entity_id",
    "imported",
    "status",
    "badge_template_version_id",
    "organization_id",
    "activity_title",
    "activity_started_at",
    "activity_ended_at",
    "recipient_email",
    "recipient_first_name",
    "recipient_last_name",
    "notes",
    "additional_details",
    "emitted_at",
    "expires_at",
    "created_at",
    "updated_at",
    "revoked_at",
    "revoked_reason",
    "imp_legacy_id",
    "acceptance",
)
# The badge object's keys, then what the issuer also sees of each badge: its earner's
# answer (Unaccepted / Accepted / Rejected).
EXPORT_FIELDS = (*BADGE_FIELDS, "acceptance")


def _public_url(entity_id: str) -> str:
    # As Assertion.url, without making a model instance per row.
    return f"{settings.SITE_URL}/public/assertions/{entity_id}"


def _lookups(queryset) -> tuple[dict, dict]:
    """What rows share, read once: version pk -> (id, image URLs); issuer pk -> (id, zone).
    Two queries whatever the number of rows; the rows themselves carry only the keys."""
    keys = queryset.order_by()
    versions = {
        version.pk: (
            version.entity_id,
            absolute_media_url(version.image),
            absolute_media_url(version.image_high or version.image),
            absolute_media_url(version.image_thumbnail or version.image),
        )
        for version in BadgeTemplateVersion.objects.filter(
            pk__in=keys.values("badge_template_version_id")
        ).only("entity_id", "image", "image_high", "image_thumbnail")
    }
    issuers = dict(
        (pk, (entity_id, get_zone(zone)))
        for pk, entity_id, zone in Issuer.objects.filter(
            pk__in=keys.values("organization_id")
        ).values_list("pk", "entity_id", "timezone")
    )
    return versions, issuers


def badge_values(row: tuple, versions: dict, issuers: dict, when=format_v1) -> list:
    """One values_list row (COLUMNS) as the badge object's values, in EXPORT_FIELDS order;
    `when(time, zone)` writes its times (format_v1, or format_v1_from_utc for rows whose
    times PostgreSQL wrote as UTC text)."""
    (
        entity_id,
        imported,
        status,
        version_pk,
        issuer_pk,
        activity_title,
        activity_started_at,
        activity_ended_at,
        recipient_email,
        recipient_first_name,
        recipient_last_name,
        notes,
        additional_details,
        emitted_at,
        expires_at,
        created_at,
        updated_at,
        revoked_at,
        revoked_reason,
        imp_legacy_id,
        acceptance,
    ) = row
    version_id, image, image_high, image_thumbnail = versions[version_pk]
    organization_id, zone = issuers[issuer_pk]
    return [
        entity_id,
        int(imported),
        status,
        image,
        image_high,
        image_thumbnail,
        version_id,
        organization_id,
        activity_title,
        when(activity_started_at, zone),
        when(activity_ended_at, zone),
        recipient_email,
        recipient_first_name,
        recipient_last_name,
        notes,
        json.dumps(additional_details, ensure_ascii=False) if additional_details else "",
        _public_url(entity_id),
        when(emitted_at, zone),
        when(expires_at, zone),
        when(created_at, UTC),
        when(updated_at, zone),
        when(revoked_at, UTC),
        revoked_reason if status == AssertionStatus.REVOKED else "",
        imp_legacy_id,
        acceptance,
    ]


TIMES = {"activity_started_at", "activity_ended_at", "emitted_at", "expires_at"}
TIMES |= {"created_at", "updated_at", "revoked_at"}


def export_rows(queryset):
    """The badge values of every row of `queryset`, read in chunks of plain tuples (on
    PostgreSQL with their times as UTC text: core.queries.UtcText)."""
    versions, issuers = _lookups(queryset)
    columns, when = COLUMNS, format_v1
    if UtcText.supported(connections[queryset.db]):
        columns = [UtcText(c) if c in TIMES else c for c in COLUMNS]
        when = format_v1_from_utc
    for row in queryset.values_list(*columns).iterator(chunk_size=CHUNK):
        yield badge_values(row, versions, issuers, when)


def csv_response(queryset) -> StreamingHttpResponse:
    return exports.csv_response(
        EXPORT_FIELDS, export_rows(queryset), exports.stamped_filename("badges", "csv")
    )


def xlsx_response(queryset) -> StreamingHttpResponse:
    return exports.xlsx_response(
        EXPORT_FIELDS,
        export_rows(queryset),
        exports.stamped_filename("badges", "xlsx"),
        sheet="Badges",
    )
