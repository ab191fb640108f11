"""One rule for showing a time on a page: in the issuer's IANA zone, always labelled
with that zone, and machine-readable in UTC.

`{% load zoned_times %}{{ badge.emitted_at|zoned:issuer.timezone }}` →
`<time datetime="2026-12-04T22:59:00Z">4 Dec 2026 23:59 (Europe/Rome)</time>`;
`|zoned_date:zone` shows the day only, still labelled (a day starts and ends by zone).
Pages pass the issuer's zone; a zone that is missing or unknown falls back to UTC,
labelled so. `zoned_text` is the same without markup, for exports and plain text.
"""

import datetime as dt

from django import template
from django.utils import formats
from django.utils.html import format_html

from core.timefmt import UTC, get_zone

register = template.Library()


def _zone_name(zone) -> str:
    name = str(zone or "")
    try:
        get_zone(name)
    except ValueError:
        return "UTC"
    return name


def zoned_text(value, zone, *, with_time: bool = True) -> str:
    """`value` (an aware datetime) in `zone`, labelled with it: '4 Dec 2026 23:59
    (Europe/Rome)'; '' for no value."""
    if not isinstance(value, dt.datetime):
        return ""
    name = _zone_name(zone)
    local = value.astimezone(get_zone(name) if name != "UTC" else UTC)
    shown = formats.date_format(local, "j M Y H:i" if with_time else "j M Y")
    return f"{shown} ({name})"


def _markup(value, zone, *, with_time: bool):
    if not isinstance(value, dt.datetime):
        return ""
    machine = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return format_html(
        '<time datetime="{}">{}</time>', machine, zoned_text(value, zone, with_time=with_time)
    )


@register.filter
def zoned(value, zone):
    return _markup(value, zone, with_time=True)


@register.filter
def zoned_date(value, zone):
    return _markup(value, zone, with_time=False)
