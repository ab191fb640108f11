from django import template
from django.utils import dateformat

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
    # Month names in the page's language (dateformat translates them).
    return f"{dateformat.format(value, 'j F Y, H:i')} {value.tzname()}"


@register.filter(expects_localtime=False)
def day(value):
    """`1 May 2024` in the value's own zone."""
    if not value:
        return ""
    return dateformat.format(value, "j F Y")
