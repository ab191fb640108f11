"""`{{ value|web_url }}`: the value if it is an http(s) address, else "" (so the page
shows no link). Stored URLs are checked when written (core.validators); this keeps a
page safe from anything stored before that rule, or written around it."""

from django import template

from core.validators import is_web_url

register = template.Library()


@register.filter
def web_url(value) -> str:
    return value if is_web_url(value) else ""
