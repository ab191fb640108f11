"""Errors the services raise when a rule is broken.

Services know nothing of HTTP; each error carries the status an API should answer with,
so the one exception handler (core.api.exception_handler) can render it, and pages and
commands can show `message` as it is.
"""

from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field_errors=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        # {"field": ["what is wrong", ...]}; may nest like DRF serializer errors.
        self.field_errors = field_errors or {}

    def __str__(self) -> str:
        return self.message

    def describe(self) -> str:
        """The message and every field's problems in one text, for where there is no
        form to put them under (an import's report, a command's output)."""
        problems = [p for p in _texts(self.field_errors) if p not in self.message]
        return " ".join([self.message, *problems])


def _texts(value):
    if isinstance(value, dict):
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _texts(inner)
    elif value:
        yield str(value)


class NotFoundError(ApplicationError):
    status_code = 404
    default_code = "not_found"


class PermissionDeniedError(ApplicationError):
    status_code = 403
    default_code = "permission_denied"


class ConflictError(ApplicationError):
    """The request is valid but clashes with the current state (duplicate, already revoked)."""

    status_code = 409
    default_code = "conflict"


class IdempotencyKeyReusedError(ApplicationError):
    """An `Idempotency-Key` sent again with a different request (or award)."""

    status_code = 422
    default_code = "idempotency_key_reused"


def full_clean_or_raise(instance, message: str, exclude=None) -> None:
    """Run model validation; raise its per-field messages as an ApplicationError."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        non_field = fields.pop("__all__", [])
        raise ApplicationError(" ".join([message, *non_field]), field_errors=fields) from None


class RateLimitedError(ApplicationError):
    """Asked too often (core.throttle.rate_limit); `retry_after` seconds until it may be
    asked again."""

    status_code = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
