"""The one DRF exception handler: every API error has the same JSON shape.

    {
      "detail": "Invalid input.",          # one sentence for people
      "code": "invalid",                   # stable, for programs
      "field_errors": {"email": ["Enter a valid email address."],
                       "recipient": {"identity": ["This field is required."]}},
      "errors": ["non-field messages"]
    }

`field_errors` keeps DRF's nesting so a client can walk it like the request body.
The /v2 API re-wraps this shape in Badgr's envelope (core.api.renderers).
"""

import logging

from django import db
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from core.exceptions import ApplicationError

NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, "__all__"}
RETRY = {"Retry-After": "5"}
log = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self):
        super().__init__(too_large_message())


def too_large_message() -> str:
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    limit = f"{size / 1048576:g} MB" if size >= 1048576 else f"{size:,} bytes"
    return gettext(
        "The request is larger than the %(limit)s this server accepts; nothing was saved."
    ) % {"limit": limit}


def error_body(detail: str, code: str, field_errors=None, errors=None) -> dict:
    return {
        "detail": detail,
        "code": code,
        "field_errors": field_errors or {},
        "errors": errors or [],
    }


def _split_validation_detail(detail):
    """DRF ValidationError detail -> (field_errors, non-field errors), plain str values."""
    if isinstance(detail, dict):
        fields = {}
        errors = []
        for key, value in detail.items():
            if key in NON_FIELD_KEYS:
                errors.extend(str(item) for item in _as_list(value))
            else:
                fields[str(key)] = _plain(value)
        return fields, errors
    return {}, [str(item) for item in _as_list(detail)]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value)


def _django_validation_detail(exc: DjangoValidationError):
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


def api_exception_handler(exc, context):
    if isinstance(exc, db.OperationalError | db.InterfaceError):
        # The database went away mid-request (restart, failover, a dropped connection).
        # Its transaction is gone with it, so nothing was half-written: the caller may
        # retry. A clean 503 says so; Django has dropped the connection and the next
        # request opens a new one.
        log.exception("Database unavailable during %s", context.get("request"))
        body = error_body(
            gettext("The database is unavailable; nothing was saved. Try again shortly."),
            "database_unavailable",
        )
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=RETRY)

    if isinstance(exc, ApplicationError):
        set_rollback()
        body = error_body(exc.message, exc.code, field_errors=_plain(exc.field_errors))
        retry_after = getattr(exc, "retry_after", None)  # RateLimitedError
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(body, status=exc.status_code, headers=headers)

    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge()

    if not isinstance(exc, exceptions.APIException):
        return None  # A bug: let Django log it and answer 500.

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        field_errors, errors = _split_validation_detail(exc.detail)
        body = error_body(gettext("Invalid input."), "invalid", field_errors, errors)
        return Response(body, status=status.HTTP_400_BAD_REQUEST, headers=headers)

    code = exc.get_codes()
    body = error_body(str(exc.detail), code if isinstance(code, str) else exc.default_code)
    return Response(body, status=exc.status_code, headers=headers)
