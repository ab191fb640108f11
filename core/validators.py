import math

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.timefmt import is_valid_zone

# Longer addresses are refused: browsers, Open Badges consumers and our own columns
# (1,024 characters for criteria and evidence) are not built for more.
WEB_URL_MAX_LENGTH = 2048


def validate_timezone(value: str) -> None:
    if not is_valid_zone(value):
        raise ValidationError(
            gettext("%(value)s is not a known IANA time zone (e.g. Europe/Rome)."),
            code="invalid_timezone",
            params={"value": value},
        )


@deconstructible
class WebURLValidator(URLValidator):
    """The one rule for every URL the platform stores and later shows or links to
    (an issuer's site, criteria, alignments, evidence, imported badges): an absolute
    http:// or https:// address with a host, of a sane length.

    Anything else (`javascript:`, `data:`, `vbscript:`, `ftp:`, a relative path, a
    scheme-less host) would become a link on a public page, so it is refused when it is
    written, by the models, forms, serializers, services and imports alike
    (core.models.WebURLField, core.forms.WebURLField, core.api.fields.WebURLField)."""

    schemes = ["http", "https"]
    max_length = WEB_URL_MAX_LENGTH
    message = _("Enter an absolute web address starting with http:// or https://.")
    code = "invalid_url"

    def __call__(self, value):
        if isinstance(value, str) and len(value) > self.max_length:
            raise ValidationError(
                _("Keep web addresses to %(limit)s characters at most."),
                code="url_too_long",
                params={"limit": f"{self.max_length:,}"},
            )
        super().__call__(value)


validate_web_url = WebURLValidator()


def is_web_url(value) -> bool:
    """Whether `value` passes validate_web_url (for the pages' links, and JSON checks)."""
    try:
        validate_web_url(value)
    except ValidationError:
        return False
    return True


# The JSON numbers orjson reads and writes as they are: it refuses to write an integer
# beyond 64 bits and reads one as a float (a queued batch's rows travel through it:
# assertions.services.batches), and a float beyond the double's range has become
# infinity, which JSON cannot hold.
JSON_INT_RANGE = (-(2**63), 2**64 - 1)


def json_number_refused(value) -> str | None:
    """The first number in `value` (parsed JSON: dicts, lists, scalars) that is out of
    JSON_INT_RANGE or not finite, as text; None when every number can be stored."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        low, high = JSON_INT_RANGE
        return None if low <= value <= high else str(value)
    if isinstance(value, float):
        return None if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        values = value.values()
    elif isinstance(value, list | tuple):
        values = value
    else:
        return None
    for item in values:
        refused = json_number_refused(item)
        if refused is not None:
            return refused
    return None
