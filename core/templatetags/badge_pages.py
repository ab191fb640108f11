from django import template
from django.utils import timezone

from core.i18n import format_day, format_moment
from core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text):
    return render_markdown(text)


# expects_localtime=False: the values are already in the issuer's zone, and Django's own
# date filter would move them back into the site's (UTC).
@register.filter(expects_localtime=False)
def when(value):
    """`1 May 2024, 09:30 CEST` in the value's own zone."""
    if not value:
        return ""
    return f"{format_moment(value)} {value.tzname()}"


@register.filter(expects_localtime=False)
def day(value):
    """`1 May 2024` in the value's own zone."""
    if not value:
        return ""
    return format_day(value)


@register.filter
def local_moment(value):
    """An aware datetime in the current time zone, in the page's language."""
    return format_moment(timezone.localtime(value)) if value else ""


@register.filter
def local_day(value):
    return format_day(value) if value else ""
