"""Whether a row read earlier is as fresh as a read now: it is when it was read from the
primary during the HTTP request being served. Everything that had committed before the
request began is in it; whatever commits after the read is concurrent with the request,
and the request may see it or not. Reading such a row again inside a transaction (as
`assertions.services.award.template_fresh` does for a caller's copy that may be hours
old, a queued batch's) costs a round trip and sees no more than that.

Outside a request (workers, commands) nothing is fresh: `read_now` marks nothing.
"""

from contextvars import ContextVar

from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS

_request: ContextVar[object | None] = ContextVar("freshness_request", default=None)


def _started(**kwargs) -> None:
    _request.set(object())


def _finished(**kwargs) -> None:
    _request.set(None)


request_started.connect(_started, dispatch_uid="core.freshness.started")
request_finished.connect(_finished, dispatch_uid="core.freshness.finished")


def read_now(obj):
    """Mark `obj`, just read, as read during this request (when it came from the primary)."""
    request = _request.get()
    if request is not None and obj._state.db == DEFAULT_DB_ALIAS:  # the primary
        obj.__dict__["_read_in_request"] = request
    return obj


def read_in_this_request(obj) -> bool:
    """Whether `read_now` marked `obj` during the request being served."""
    request = _request.get()
    return request is not None and obj.__dict__.get("_read_in_request") is request
