"""The platform's languages (settings.LANGUAGES): the choices a person's or an issuer's
language field offers, the language an email to someone is written in, and the words of
the pages' scripts in each (`/jsi18n/`)."""

import functools
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.cache import patch_vary_headers
from django.views.i18n import JavaScriptCatalog


def language_choices():
    """For `choices=` (a callable, so migrations do not copy the settings)."""
    return list(settings.LANGUAGES)


@functools.cache
def _spoken() -> tuple[frozenset, str]:
    """(the codes of settings.LANGUAGES, LANGUAGE_CODE), read once: reading a setting
    costs more than the rest of `language_or_default`, which an assignment calls per
    email (a twentieth of its Python time)."""
    return frozenset(code for code, _ in settings.LANGUAGES), settings.LANGUAGE_CODE


def language_or_default(*languages: str | None) -> str:
    """The first of `languages` that the platform speaks (`it-IT` counts as `it`), else
    LANGUAGE_CODE."""
    codes, default = _spoken()
    for language in languages:
        if language in codes:
            return language
        short = (language or "").split("-")[0].lower()
        if short in codes:
            return short
    return default


# How people write a language in a spreadsheet column or an API field.
_NAMES = {
    "en": {"en", "eng", "english", "inglese", "anglais", "englisch", "ingles"},
    "it": {"it", "ita", "italian", "italiano", "italien", "italienisch"},
}


def language_clean(value) -> str | None:
    """A language code of the platform for `value` (`it`, `IT`, `it-IT`, `Italiano`,
    `italian` ...), "" for blank, None when it is not one of the platform's."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("_", "-")
    if not text:
        return ""
    codes = {code for code, _name in settings.LANGUAGES}
    for candidate in (text, text.split("-")[0]):
        if candidate in codes:
            return candidate
        for code, names in _NAMES.items():
            if code in codes and candidate in names:
                return code
    return None


# Month names are capitalised in English and not in Italian; Django's catalogue writes
# them capitalised in both.
_LOWERCASE_MONTHS = {"it"}


def format_day(value) -> str:
    """`1 May 2026` / `1 maggio 2026`: a date in the active language."""
    text = dateformat.format(value, "j F Y")
    if (translation.get_language() or "").split("-")[0] in _LOWERCASE_MONTHS:
        text = text.lower()
    return text


def format_moment(value) -> str:
    """`1 May 2026, 09:30` / `1 maggio 2026, 09:30` in the value's own zone."""
    return f"{format_day(value)}, {dateformat.format(value, 'H:i')}"


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware (the page's language from the cookie or the browser's
    Accept-Language), saying `Vary: Accept-Language` only on pages: machine documents
    (Open Badges JSON-LD, credentials, images) are the same in every language, and a
    cache or CDN in front must not keep one copy per language of them."""

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith("text/html"):
            return super().process_response(request, response)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


# --- the words of static/js ------------------------------------------------------------


@functools.cache
def _script_words(language: str) -> tuple[bytes, str]:
    """The JavaScript catalogue of `language` (locale/*/djangojs.po) and a digest of it:
    the same for the life of the process, so it is built once per language."""
    request = HttpRequest()
    request.method = "GET"
    with translation.override(language):
        body = JavaScriptCatalog.as_view()(request).content
    return body, hashlib.sha256(body).hexdigest()[:16]


@receiver(setting_changed)
def _languages_changed(*, setting, **kwargs):
    """What is read once from the languages' settings is read again after a change."""
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _spoken.cache_clear()
        _script_words.cache_clear()


def script_words_url(language: str | None = None) -> str:
    """Where a page loads its scripts' words: the catalogue of its language, at an
    address that names the language and the catalogue's digest, so that browsers and
    caches keep it until the words change."""
    language = language_or_default(language or translation.get_language())
    _body, digest = _script_words(language)
    return f"{reverse('javascript-catalog')}?{urlencode({'l': language, 'v': digest})}"


def script_words(request) -> HttpResponse:
    """The `/jsi18n/` view. At an address `script_words_url` made: that language's words,
    for a year (a change of the words changes the address). Otherwise (an older page's
    plain `/jsi18n/`): the visitor's language, varying with what chose it."""
    asked = request.GET.get("l", "")
    language = language_or_default(asked or translation.get_language())
    body, digest = _script_words(language)
    response = HttpResponse(body, content_type='text/javascript; charset="utf-8"')
    response.headers["Content-Language"] = language
    if asked == language and request.GET.get("v") == digest:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response
