"""Reads that tolerate replication lag go to the read replica (DATABASE_REPLICA_URL).

`ReplicaReadsMiddleware` marks the GET and HEAD requests of REPLICA_READ_PATHS (public
badge pages and documents, baked images, issuers' keys and status lists, exports,
statistics) as allowed to read from the replica; `ReplicaRouter` (installed by the
production settings when a replica is configured) then sends their reads there, except:

- the tables of who is asking (sessions, users, OAuth tokens, permissions): a token or
  a session made a moment ago must be found, so these are read from the primary;
- once the request has written anything (read-your-writes): from then on it reads the
  primary, which has its own write;
- inside a transaction on the primary (a service's atomic block reads what it locks).

Everything else (pages that change things, the APIs, workers) reads and writes the
primary; migrations run on the primary only.
"""

import re
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.db import connections

REPLICA = "replica"
# Who is asking: always the primary.
PRIMARY_ONLY_APPS = {"auth", "accounts", "sessions", "oauth2_provider", "admin", "contenttypes"}

_request = ContextVar("replica_reads", default=None)  # {"wrote": bool} while allowed


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _request.get()
        if (
            state is None
            or state["wrote"]
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or REPLICA not in settings.DATABASES
            or connections["default"].in_atomic_block
        ):
            return "default"
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _request.get()
        if state is not None:
            state["wrote"] = True
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def replica_alias() -> str:
    return REPLICA if REPLICA in settings.DATABASES else "default"


@cache
def _patterns(paths: tuple[str, ...]):
    return [re.compile(path) for path in paths]


def replica_reads_allowed(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    return any(p.match(request.path_info) for p in _patterns(tuple(settings.REPLICA_READ_PATHS)))


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_reads_allowed(request):
            return self.get_response(request)
        state = {"wrote": False}
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if response.streaming and not response.is_async:
            # An export is read while it streams, after the view returned.
            response.streaming_content = _streamed(response.streaming_content, state)
        return response


def _streamed(content, state):
    """The chunks of `content`, each read as the request's own reads are (the variable is
    set around each step only, never left set between them)."""
    iterator = iter(content)
    while True:
        token = _request.set(state)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _request.reset(token)
        yield chunk
