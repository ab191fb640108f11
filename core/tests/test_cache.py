"""core.cache.RedisCache: Django's RedisCache keeping one redis client per pool, serving
without Redis while it does not answer."""

import time

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from core import cache as core_cache
from core.cache import RedisCache


def test_one_client_serves_every_call_to_a_server():
    client = RedisCache("redis://127.0.0.1:1/0", {})._cache  # builds nothing, connects nowhere
    first = client.get_client("a")
    assert client.get_client("b") is first
    assert client.get_client("c", write=True) is first


def test_replicas_each_keep_their_own_client():
    client = RedisCache("redis://127.0.0.1:1/0,redis://127.0.0.1:2/0", {})._cache
    assert client.get_client(write=True) is client.get_client(write=True)
    assert client.get_client(write=False) is not client.get_client(write=True)


def test_same_keys_and_values_as_djangos_own_and_survives_a_redis_restart(own_redis, monkeypatch):
    monkeypatch.setattr(core_cache, "RETRY_SECONDS", 0)
    params = {"KEY_PREFIX": "badges", "TIMEOUT": 300}
    ours = RedisCache(own_redis.url, params)
    django = DjangoRedisCache(own_redis.url, params)
    ours.set("entry", ("token", {"body": b"x"}))
    ours.set_many({"a": 1, "b": [2]})
    assert django.get("entry") == ("token", {"body": b"x"})
    assert django.get_many(["a", "b"]) == {"a": 1, "b": [2]}
    django.set("back", "from django")
    assert ours.get("back") == "from django"

    own_redis.stop()
    assert ours.get("entry") is None  # a miss, not an error
    own_redis.start()  # empty again: nothing was saved
    assert ours.get("entry") is None
    ours.set("entry", "again")
    assert django.get("entry") == "again"


def test_with_redis_down_the_cache_is_an_empty_cache_that_keeps_nothing(own_redis, caplog):
    # given a cache whose Redis has stopped
    cache = RedisCache(own_redis.url, {"KEY_PREFIX": "badges"})
    cache.set("kept", 1)
    own_redis.stop()
    # when every kind of call is made, then none raises but incr, as on a missing key
    assert cache.get("kept") is None
    assert cache.get("kept", "default") == "default"
    assert cache.get_many(["kept", "other"]) == {}
    assert cache.add("new", 1) is False
    assert cache.has_key("kept") is False
    cache.set("kept", 2)
    cache.set_many({"a": 1})
    cache.delete("kept")
    cache.delete_many(["a"])
    with pytest.raises(ValueError, match="not found"):
        cache.incr("kept")
    # and the outage is logged, and then Redis is not asked again for a while
    assert "The cache (Redis) is unreachable" in caplog.text
    started = time.perf_counter()
    for _ in range(100):
        cache.get("kept")
    assert time.perf_counter() - started < 0.5
    with pytest.raises(redis.exceptions.ConnectionError):
        cache.ping()  # /readyz asks Redis itself


def test_a_write_dropped_during_an_outage_leaves_no_stale_entry(own_redis, monkeypatch):
    monkeypatch.setattr(core_cache, "RETRY_SECONDS", 0.2)
    # given an entry in a Redis that keeps its data through a short cut (a pause)
    options = {"socket_timeout": 0.2}
    cache = RedisCache(own_redis.url, {"KEY_PREFIX": "badges", "OPTIONS": options})
    cache.set("generation", "old")
    admin = redis.Redis.from_url(own_redis.url)
    admin.execute_command("CLIENT", "PAUSE", "1000", "ALL")
    # when a change replaces it while Redis does not answer
    cache.set("generation", "new")
    assert cache.get("generation") is None  # served without the cache meanwhile
    time.sleep(1.2)
    # then, Redis back with its data, the old value is never served again
    assert cache.get("generation") is None
    assert admin.get("badges:1:generation") is None
    cache.set("generation", "newer")
    assert cache.get("generation") == "newer"


def test_past_the_limit_every_key_of_the_prefix_is_dropped_but_no_other(own_redis, monkeypatch):
    monkeypatch.setattr(core_cache, "RETRY_SECONDS", 0)
    monkeypatch.setattr(core_cache, "FORGET_LIMIT", 3)
    cache = RedisCache(own_redis.url, {"KEY_PREFIX": "badges"})
    cache.set_many({f"k{i}": i for i in range(10)})
    admin = redis.Redis.from_url(own_redis.url)
    admin.set("celery-queue", "not the cache's")
    own_redis_client = cache._cache
    own_redis_client._failed(OSError("cut"))
    own_redis_client._down_until = time.monotonic() + 60
    cache.delete_many([f"k{i}" for i in range(5)])  # dropped, remembered: past the limit
    own_redis_client._down_until = 0
    assert cache.get("k9") is None
    assert admin.keys("badges:*") == []
    assert admin.get("celery-queue") == b"not the cache's"
