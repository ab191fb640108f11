"""core.cache.RedisCache: Django's RedisCache keeping one redis client per pool."""

import pytest
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from redis.exceptions import ConnectionError as RedisConnectionError

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


def test_same_keys_and_values_as_djangos_own_and_survives_a_redis_restart(own_redis):
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
    with pytest.raises(RedisConnectionError):
        ours.get("entry")
    own_redis.start()  # empty again: nothing was saved
    assert ours.get("entry") is None
    ours.set("entry", "again")
    assert django.get("entry") == "again"
