"""core.throttle.client_address: X-Forwarded-For is believed only as far as the proxies
in TRUSTED_PROXIES vouch for it, read from the right."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from core.throttle import client_address

CASES = [
    # (trusted proxies, REMOTE_ADDR, X-Forwarded-For, the client's address)
    ([], "203.0.113.9", None, "203.0.113.9"),
    ([], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # no proxies trusted: header ignored
    (["10.0.0.0/8"], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from a proxy
    (["10.0.0.0/8"], "10.0.0.2", "198.51.100.7", "198.51.100.7"),
    (["10.0.0.0/8"], "10.0.0.2", "198.51.100.7, 10.0.0.3", "198.51.100.7"),
    # what the client wrote, left of the address the first proxy saw, is not believed
    (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
    (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4,198.51.100.7 ,  10.0.0.3", "198.51.100.7"),
    # only proxies in the header: the leftmost of them
    (["10.0.0.0/8"], "10.0.0.2", "10.0.0.9, 10.0.0.3", "10.0.0.9"),
    # no header from a proxy: the proxy itself
    (["10.0.0.0/8"], "10.0.0.2", None, "10.0.0.2"),
    # a hop that is no address stops the walk at the last trusted one
    (["10.0.0.0/8"], "10.0.0.2", "198.51.100.7, unknown, 10.0.0.3", "10.0.0.3"),
    (["127.0.0.1", "::1"], "::1", "2001:db8::7", "2001:db8::7"),
    (["127.0.0.1"], "127.0.0.1", "2001:db8::7, 127.0.0.1", "2001:db8::7"),
]


@pytest.mark.parametrize(("proxies", "remote", "forwarded", "expected"), CASES)
def test_the_client_address(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(RequestFactory().get("/", **extra)) == expected


def test_a_wrong_trusted_proxies_setting_is_told(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2"))
