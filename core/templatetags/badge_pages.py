from django import template
from django.utils import timezone

from core.i18n import format_day, format_moment
from core.markdown import render_markdown
from core.templatetags.zoned_times import zoned_text

register = template.Library()


@register.filter
def markdown(text):
    return render_markdown(text)


# expects_localtime=False: the values are already in the issuer's zone, and Django's own
# date filter would move them back into the site's (UTC).
@register.filter(expects_localtime=False)
def when(value):
    """`1 May 2024 09:30 (Europe/Rome)` in the value's own zone (the issuer's): the one
    rule of every page, core.templatetags.zoned_times."""
    if not value:
        return ""
    return zoned_text(value, getattr(value.tzinfo, "key", "UTC"))


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
