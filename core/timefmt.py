"""Timestamp formats of the two APIs.

- /v2 (Badgr) and Open Badges: ISO 8601 in UTC ending in `Z`, e.g. `2024-05-01T09:30:00Z`.
- /api/v1 (Open Badge API): `YYYY-MM-DD HH:MM:SS`, in UTC for some fields and "as per
  issuer's input" (the issuer's IANA time zone) for others.

Input is accepted in both formats; a time without an offset is read in the zone the
caller names (the issuer's, for /api/v1), so `2024-05-01 09:30:00` entered by a Rome
issuer means 09:30 in Rome.
"""

import datetime as dt
import zoneinfo
from functools import lru_cache

UTC = dt.UTC
V1_FORMAT = "%Y-%m-%d %H:%M:%S"


@lru_cache(maxsize=512)
def get_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone called `name`; ValueError naming it when there is none."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"{name!r} is not a known IANA time zone (e.g. 'Europe/Rome').") from exc


def is_valid_zone(name: str) -> bool:
    try:
        get_zone(name)
    except ValueError:
        return False
    return True


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("A naive datetime cannot be formatted; store aware datetimes.")
    return value


def format_iso_z(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return _plain(_aware(value).astimezone(UTC)).isoformat(sep="T") + "Z"


def format_v1(value: dt.datetime | None, zone: str | dt.tzinfo = UTC) -> str | None:
    """`YYYY-MM-DD HH:MM:SS` in `zone` (an IANA name or a tzinfo; UTC by default)."""
    if value is None:
        return None
    tz = get_zone(zone) if isinstance(zone, str) else zone
    return _plain(_aware(value).astimezone(tz)).isoformat(sep=" ")


def format_v1_from_utc(text: str | None, zone: dt.tzinfo = UTC) -> str | None:
    """`format_v1` of a time given as its UTC text in that format (core.queries.UtcText)."""
    if text is None or zone is UTC:
        return text
    moment = dt.datetime.fromisoformat(text).replace(tzinfo=UTC)
    return _plain(moment.astimezone(zone)).isoformat(sep=" ")


def _plain(value: dt.datetime) -> dt.datetime:
    # isoformat, not strftime("%Y"): strftime writes the year 443 as "443", which is
    # neither format (the APIs accept such years, so they must print them in 4 digits).
    return value.replace(tzinfo=None, microsecond=0)


def parse_datetime(value: str, zone: str | dt.tzinfo = UTC) -> dt.datetime:
    """Read an API timestamp into an aware UTC datetime.

    Accepts `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS` (optionally with fractions of a
    second), either one ending in `Z` or an offset such as `+02:00`, and a bare date
    `YYYY-MM-DD` (midnight). Without an offset the time is read in `zone`.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            "Expected a date-time such as '2024-05-01 09:30:00' or '2024-05-01T09:30:00Z'."
        )
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date-time; use 'YYYY-MM-DD HH:MM:SS' or ISO 8601 "
            "(e.g. '2024-05-01T09:30:00Z')."
        ) from None
    if parsed.tzinfo is None:
        tz = get_zone(zone) if isinstance(zone, str) else zone
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def day_start(day: dt.date, zone: str) -> dt.datetime:
    """Midnight at the start of `day` in the IANA `zone` (a day is a zone's day)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=get_zone(zone or "UTC"))


def day_end(day: dt.date, zone: str) -> dt.datetime:
    """The last second of `day` in `zone`: a badge that expires "on" a day is valid
    through it."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=get_zone(zone or "UTC"))
