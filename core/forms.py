"""Form plumbing shared by pages and the admin: the stored-URL field, and showing a
service's error on a Django form."""

from django import forms

from core.exceptions import ApplicationError
from core.validators import validate_web_url

NON_FIELD_KEYS = ("__all__", "non_field_errors")


class WebURLField(forms.URLField):
    """A form's URL that will be shown or linked to: http(s) only
    (core.validators.validate_web_url). A bare host (`example.org`) still gets https://
    in front, as Django's URLField does."""

    default_validators = [validate_web_url]


def _texts(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            for text in _texts(inner):
                yield f"{key}: {text}"
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _texts(inner)
    else:
        yield str(value)


def add_application_error(form, exc: ApplicationError, aliases=None) -> None:
    """Show a service's error on the form: each field's problems under that field
    (`aliases` maps the service's field names to the form's), the others on top, and
    the overall message on top unless it only repeats one of them."""
    aliases = aliases or {}
    shown = set()
    for key, problems in exc.field_errors.items():
        name = aliases.get(key, key)
        for text in _texts(problems):
            if name in form.fields:
                form.add_error(name, text)
            else:
                form.add_error(None, text if key in NON_FIELD_KEYS else f"{key}: {text}")
            shown.add(text)
    if exc.message not in shown:
        form.add_error(None, exc.message)
