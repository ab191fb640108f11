"""Filters for the outbox's templates, whose context is plain JSON: dates arrive as ISO
strings and are shown in the email's language (core.emails renders under it)."""

import datetime as dt

from django import template

from core.i18n import format_day

register = template.Library()


@register.filter
def iso_day(value):
    """`2026-05-01` (or an ISO datetime) as `1 May 2026` / `1 maggio 2026`."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return value
    return format_day(day)
