from django.core.exceptions import ValidationError

from core.timefmt import is_valid_zone


def validate_timezone(value: str) -> None:
    if not is_valid_zone(value):
        raise ValidationError(
            "%(value)s is not a known IANA time zone (e.g. Europe/Rome).",
            code="invalid_timezone",
            params={"value": value},
        )
