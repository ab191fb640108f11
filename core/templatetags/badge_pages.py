from django import template

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
    return f"{value.day} {value:%B %Y, %H:%M} {value.tzname()}"


@register.filter(expects_localtime=False)
def day(value):
    """`1 May 2024` in the value's own zone."""
    if not value:
        return ""
    return f"{value.day} {value:%B %Y}"
