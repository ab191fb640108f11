"""The platform's languages (settings.LANGUAGES): the choices a person's or an issuer's
language field offers, and the language an email to someone is written in."""

from django.conf import settings


def language_choices():
    """For `choices=` (a callable, so migrations do not copy the settings)."""
    return list(settings.LANGUAGES)


def language_or_default(*languages: str | None) -> str:
    """The first of `languages` that the platform speaks (`it-IT` counts as `it`), else
    LANGUAGE_CODE."""
    codes = {code for code, _ in settings.LANGUAGES}
    for language in languages:
        if language in codes:
            return language
        short = (language or "").split("-")[0].lower()
        if short in codes:
            return short
    return settings.LANGUAGE_CODE
