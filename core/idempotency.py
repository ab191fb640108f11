"""`Idempotency-Key` for POSTs, the one rule of both APIs: a repeat with the same key
and the same request (method, path and body) gets the first answer again, marked
`Idempotent-Replayed: true`; the same key with another request is 422.

Only successful answers are kept; a failed request can be retried with the same key. The
record of a key is written in the transaction of the request it answers: a repeat that
arrives while the first is still running waits for it (PostgreSQL holds its insert of the
same key until the first commits or rolls back), then gets its answer, so concurrent
repeats do the work once. Keys are per user; an award's key is also kept on its badge,
unique per issuer (see assertions.services.award).
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils.translation import gettext
from rest_framework.response import Response

from core.exceptions import ConflictError, IdempotencyKeyReusedError
from core.models import IdempotencyRecord


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


def _claim(user, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """This request's record of `key`, or None when an earlier request has it."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        return None


def _replay(user, key: str, fingerprint: str) -> Response:
    earlier = IdempotencyRecord.objects.get(user=user, key=key)
    if earlier.fingerprint != fingerprint:
        raise IdempotencyKeyReusedError(
            gettext("This Idempotency-Key was already used with a different request.")
        )
    if earlier.status_code is None:  # a record kept from before records were transactional
        raise ConflictError(
            gettext("A request with this Idempotency-Key is still being processed; retry shortly."),
            code="idempotency_in_progress",
        )
    return Response(
        earlier.body, status=earlier.status_code, headers={"Idempotent-Replayed": "true"}
    )


def idempotent(handler):
    """Decorate a view's `post(self, request, ...)`."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()[:255]
        if not key or not request.user.is_authenticated:
            return handler(self, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            record = _claim(request.user, key, fingerprint)
            if record is None:
                return _replay(request.user, key, fingerprint)
            response = handler(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.status_code = response.status_code
                record.body = response.data
                record.save(update_fields=["status_code", "body"])
            else:
                record.delete()
            return response

    return wrapper
