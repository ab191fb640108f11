from django import template

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
    return f"{value.day} {value:%B %Y}"
