"""Shared by the /api/v1 tests."""

import datetime as dt
import re
import secrets
from pathlib import Path

from django.utils import timezone

from assertions.models import Assertion, AssertionStatus
from assertions.services import recipient_hash
from earners.services import earner_get_or_create

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "open-badge-api-badges.txt"

# The badge object of spec/open-badge-api-badges.txt: field -> (type, time zone).
BADGE_SPEC = {
    "id": ("string", None),
    "imported": ("boolean", None),
    "status": ("ENUM", None),
    "image_path": ("string", None),
    "image_high_path": ("string", None),
    "image_thumbnail_path": ("string", None),
    "badge_template_version": ("string", None),
    "organization_id": ("string", None),
    "activity_title": ("string", None),
    "activity_started_at": ("timestamp", "issuer"),
    "activity_ended_at": ("timestamp", "issuer"),
    "recipient_email": ("string", None),
    "recipient_first_name": ("string", None),
    "recipient_last_name": ("string", None),
    "notes": ("string", None),
    "additional_details": ("object", None),
    "url": ("string", None),
    "emitted_at": ("timestamp", "issuer"),  # the spec names no zone; shown as issuer input
    "expires_at": ("timestamp", "issuer"),
    "created_at": ("timestamp", "utc"),
    "updated_at": ("timestamp", "issuer"),
    "revoked_at": ("timestamp", "utc"),
    "revoked_reason": ("string", None),
    "imp_legacy_id": ("string", None),
}
# What this platform adds after the spec's fields: the signed Open Badges 3.0 credential.
BADGE_ADDITIONS = ("credential_url",)
V1_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
SPEC_TYPES = {"string", "boolean", "ENUM", "timestamp", "object"}


def spec_fields() -> list[str] | None:
    """The field names of the spec's "Recieved values" table, when the spec is at hand."""
    if not SPEC.exists():
        return None
    lines = [line.strip() for line in SPEC.read_text().splitlines() if line.strip()]
    table = lines[lines.index("Description") + 1 : lines.index("Badge Assignation")]
    return [name for name, kind in zip(table, table[1:], strict=False) if kind in SPEC_TYPES]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def make_badges(template, n: int, *, email: str = "bulk@example.org", **fields) -> list:
    """`n` badges of `template` for one earner, inserted in bulk (fast test data)."""
    earner, _ = earner_get_or_create(issuer=template.issuer, email=email)
    now = timezone.now()
    badges = []
    for i in range(n):
        salt = secrets.token_hex(16)
        values = {
            "status": AssertionStatus.VALID,
            "emitted_at": now - dt.timedelta(minutes=i),
            "activity_title": f"Activity {i}",
            "recipient_first_name": "Bulk",
            "recipient_last_name": f"Earner {i}",
            **fields,
        }
        badges.append(
            Assertion(
                badge_template_version=template.current_version,
                badge_template=template,
                organization=template.issuer,
                earner=earner,
                recipient_email=earner.email,
                recipient_salt=salt,
                recipient_hash=recipient_hash(earner.email, salt),
                **values,
            )
        )
    return Assertion.objects.bulk_create(badges, batch_size=1000)
