"""Django's built-in RedisCache, with one redis client per connection pool, that keeps
working when Redis does not answer.

One client per pool: Django's RedisCacheClient builds a new `redis.Redis` for every cache
call. Building one costs 55-75 µs here (redis-py 5 to 8 copy their table of reply
callbacks each time): about a fifth of a public badge page served from the cache. A
`redis.Redis` holds no connection of its own (each command borrows one from the pool and
returns it) and is safe to share between threads, so one per pool serves every call.
Keys, values, timeouts, pools and options are Django's own, unchanged.

Redis is disposable (docs/deployment.md): the cache holds nothing that the database
cannot rebuild. While Redis is unreachable (refused, timed out), every call behaves as
on an empty cache that keeps nothing: reads miss, writes are dropped, `incr` finds no key.
So public pages are rendered from the database, the login throttle counts nothing and
refuses nobody (core/throttle.py says why it fails open), and no request answers 500.
After a failure the cache is not asked again for `RETRY_SECONDS`, so an outage costs one
timeout per process now and then instead of one per call; a warning is logged each time.

A write dropped during an outage could leave a stale entry behind if Redis kept its data
(a network cut rather than a restart): a generation token that was not replaced, an entry
that was not deleted. Every key written or deleted while Redis was away is therefore
deleted as soon as it answers again, before anything is read; past `FORGET_LIMIT` keys,
every key under this cache's KEY_PREFIX is (never the whole database, which may hold the
Celery broker's queues).
"""

import logging
import threading
import time

from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_SECONDS = 5.0
FORGET_LIMIT = 10_000


class _Client(django_redis.RedisCacheClient):
    key_prefix = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # pool -> redis.Redis
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._forget: set[str] = set()
        self._forget_all = False

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client

    # --- an outage --------------------------------------------------------------------

    def _failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + RETRY_SECONDS
        log.warning(
            "The cache (Redis) is unreachable (%s: %s): serving without it for %.0f s "
            "(pages from the database, login throttle open).",
            type(exc).__name__,
            exc,
            RETRY_SECONDS,
        )

    def _remember(self, keys) -> None:
        with self._lock:
            if not self._forget_all:
                self._forget.update(keys)
                if len(self._forget) > FORGET_LIMIT:
                    self._forget_all, self._forget = True, set()

    def _replay(self) -> None:
        """Delete what may have gone stale while Redis was away (module docstring)."""
        with self._lock:
            keys, everything = list(self._forget), self._forget_all
        client = self.get_client(write=True)
        if everything and self.key_prefix:
            batch = []
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
        elif everything:
            log.error("The cache has no KEY_PREFIX: entries written during the outage stay.")
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        with self._lock:
            self._forget.difference_update(keys)
            if everything:
                self._forget_all = False
        log.warning("The cache (Redis) answers again; %s stale keys dropped.", len(keys))

    def _available(self) -> bool:
        if time.monotonic() < self._down_until:
            return False
        if self._forget or self._forget_all:
            try:
                self._replay()
            except UNREACHABLE as exc:
                self._failed(exc)
                return False
        return True

    def _call(self, name: str, args: tuple, fallback, writes=()):
        if self._available():
            try:
                return getattr(super(), name)(*args)
            except UNREACHABLE as exc:
                self._failed(exc)
        self._remember(writes)
        return fallback() if callable(fallback) else fallback

    # --- Django's client calls, each with what an empty cache that keeps nothing says ---

    def add(self, key, value, timeout):
        return self._call("add", (key, value, timeout), False, writes=[key])

    def get(self, key, default):
        return self._call("get", (key, default), default)

    def set(self, key, value, timeout):
        self._call("set", (key, value, timeout), None, writes=[key])

    def touch(self, key, timeout):
        return self._call("touch", (key, timeout), False, writes=[key])

    def delete(self, key):
        return self._call("delete", (key,), False, writes=[key])

    def get_many(self, keys):
        return self._call("get_many", (keys,), {})

    def has_key(self, key):
        return self._call("has_key", (key,), False)

    def incr(self, key, delta):
        def missing():
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")

        return self._call("incr", (key, delta), missing, writes=[key])

    def set_many(self, data, timeout):
        self._call("set_many", (data, timeout), None, writes=list(data))

    def delete_many(self, keys):
        self._call("delete_many", (keys,), None, writes=list(keys))

    def ping(self) -> None:
        """Ask Redis itself (for /readyz): raises when it does not answer."""
        self.get_client().ping()


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client

    @property
    def _cache(self):
        client = self.__dict__.get("_client")
        if client is None:
            client = self.__dict__["_client"] = self._class(self._servers, **self._options)
            client.key_prefix = self.key_prefix
        return client

    def ping(self) -> None:
        self._cache.ping()
