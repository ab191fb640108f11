"""`{% script_words_url %}`: where the page loads its scripts' words (core.i18n)."""

from django import template

from core.i18n import script_words_url as _url

register = template.Library()


@register.simple_tag
def script_words_url() -> str:
    return _url()
