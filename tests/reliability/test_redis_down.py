"""Redis is disposable (docs/deployment.md): with the cache's Redis stopped, tokens still
issue, the login pages work, the public badge pages are rendered from the database, and
the login throttle fails open (core/throttle.py says why) instead of answering 500."""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from assertions.services import assertion_revoke
from assertions.tests.factories import AssertionFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"  # the factories' password


@pytest.fixture
def redis_down(settings, own_redis, monkeypatch):
    """The production cache backend on a Redis of this test's own, stopped."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "badges",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
    caches["default"].get("warm")  # connects once while it answers
    own_redis.stop()
    return own_redis


def test_token_and_login_pages_work_and_the_throttle_fails_open(redis_down, settings, caplog):
    settings.LOGIN_THROTTLE_FAILURES = 2
    user = UserFactory(email="ann@example.org", is_staff=True)
    # when someone fails more often than the limit while Redis is down
    for path in ("/o/token", "/accounts/login/", "/admin/login/"):
        for _ in range(4):
            wrong = Client().post(path, {"username": user.email, "password": "wrong"})
            # then each is an ordinary refusal of the password, never a 500 (nor a 429:
            # nothing can be counted, so nobody is refused)
            assert wrong.status_code in (200, 400, 401), (path, wrong.status_code)
    # and the right password still signs in and still gets a token
    token = Client().post("/o/token", {"username": user.email, "password": PASSWORD})
    assert token.status_code == 200, token.content
    assert token.json()["access_token"]
    page = Client().post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert page.status_code == 302
    assert Client().get("/accounts/login/").status_code == 200
    assert "The cache (Redis) is unreachable" in caplog.text


def test_public_pages_are_rendered_from_the_database(redis_down):
    assertion = AssertionFactory()
    path = f"/public/assertions/{assertion.entity_id}"
    html = Client().get(path, HTTP_ACCEPT="text/html")
    document = Client().get(f"{path}.json")
    image = Client().get(f"{path}/image")
    badge = Client().get(f"/public/badges/{assertion.badge_template_version.template.entity_id}")
    issuer = Client().get(f"/public/issuers/{assertion.organization.entity_id}")
    assert [r.status_code for r in (html, document, image, badge, issuer)] == [200] * 5
    assert assertion.badge_template_version.name in html.content.decode()
    # and a revocation made meanwhile shows at once (nothing stale is cached)
    assertion_revoke(assertion=assertion, reason="Mistake", actor=None)
    gone = Client().get(f"{path}.json")
    assert gone.status_code == 410
    assert gone.json()["revoked"] is True
