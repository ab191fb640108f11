"""The cache in front of a badge's public page, document and image (assertions.public_cache).
Through the pages: public_pages/tests/test_views.py."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from assertions import public_cache
from assertions.tests.factories import AssertionFactory


@pytest.mark.django_db
def test_a_render_that_raced_a_change_is_never_served():
    # given a reader that took the generation token, then a change committed
    badge = AssertionFactory()
    token, _ = public_cache.lookup(badge.entity_id, "json")
    public_cache.invalidate(badge.entity_id)
    # when the reader stores its (stale) render under the token it took
    entry = public_cache.CachedResponse(200, "application/json", b"stale")
    public_cache.store(badge.entity_id, token, "json", entry)
    # then nobody is served it
    assert public_cache.lookup(badge.entity_id, "json")[1] is None


def test_cached_entries_expire_with_the_badge(monkeypatch, settings):
    settings.PUBLIC_CACHE_SECONDS = 600
    timeouts = []
    monkeypatch.setattr(cache, "set", lambda key, value, timeout: timeouts.append(timeout))
    entry = public_cache.CachedResponse(200, "text/html", b"")
    public_cache.store("e" * 22, "t", "html", entry)
    public_cache.store("e" * 22, "t", "html", entry, timezone.now() + dt.timedelta(seconds=90))
    public_cache.store("e" * 22, "t", "html", entry, timezone.now() - dt.timedelta(seconds=90))
    assert timeouts[0] == 600
    assert 90 <= timeouts[1] <= 91
    assert timeouts[2] == 600  # already expired: the status no longer changes
