"""`Idempotency-Key` for POSTs: a repeat with the same key and body gets the first answer.

Only successful answers are kept; a failed request can be retried with the same key.
A repeat that arrives while the first is still running gets 409, and the same key with
a different body gets 422. (Awards do not use this layer: the award service itself
makes concurrent repeats return the one badge, see assertions.services.)
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from rest_framework.response import Response

from core.exceptions import ApplicationError, ConflictError
from core.models import IdempotencyRecord


class IdempotencyKeyReusedError(ApplicationError):
    status_code = 422
    default_code = "idempotency_key_reused"


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    try:
        digest.update(request._request.body)
    except RawPostDataException:
        # The OAuth2 authentication looks for a token in request.POST, which makes Django
        # parse a multipart body straight from the stream, and the raw bytes are gone:
        # fingerprint the parsed fields and files instead.
        digest.update(_parsed_body(request._request))
    return digest.hexdigest()


def _parsed_body(django_request) -> bytes:
    fields = sorted((key, django_request.POST.getlist(key)) for key in django_request.POST)
    files = []
    for key in sorted(django_request.FILES):
        for upload in django_request.FILES.getlist(key):
            content = hashlib.sha256()
            for chunk in upload.chunks():
                content.update(chunk)
            upload.seek(0)
            files.append((key, upload.name, content.hexdigest()))
    return json.dumps([fields, files]).encode()


def idempotent(handler):
    """Decorate a view's `post(self, request, ...)`."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()[:255]
        if not key or not request.user.is_authenticated:
            return handler(self, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            earlier = IdempotencyRecord.objects.get(user=request.user, key=key)
            if earlier.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError(
                    "This Idempotency-Key was already used with a different request."
                ) from None
            if earlier.status_code is None:
                raise ConflictError(
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                    code="idempotency_in_progress",
                ) from None
            return Response(
                earlier.body, status=earlier.status_code, headers={"Idempotent-Replayed": "true"}
            )
        try:
            response = handler(self, request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.body = response.data
            record.save(update_fields=["status_code", "body"])
        else:
            record.delete()
        return response

    return wrapper
