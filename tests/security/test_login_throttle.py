"""Issue 17, finding 8: password guessing is slowed without letting anyone lock someone
else out, on the token endpoint (password grant), the admin login and the earners' login.

Failures are counted per account *and* client address, plus a looser count per address
over all accounts (core.throttle); the client address comes from X-Forwarded-For only
behind the proxies in TRUSTED_PROXIES.
"""

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"  # the factories' password
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"
PROXY = "10.0.0.2"
# where each endpoint sends a correct password: the token, or a redirect into the site
ENDPOINTS = {"/o/token": 200, "/admin/login/": 302, "/accounts/login/": 302}


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_THROTTLE_FAILURES = 3
    settings.LOGIN_THROTTLE_ADDRESS_FAILURES = 6
    settings.TRUSTED_PROXIES = []


def attempt(path, email, password, address, forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(path, {"username": email, "password": password}, **extra)


def signs_in(path, response) -> bool:
    return response.status_code == ENDPOINTS[path]


def refused(response) -> bool:
    return response.status_code == 429 and int(response["Retry-After"]) > 0


def person(email):
    return UserFactory(email=email, is_staff=True)  # the admin takes staff only


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_attacker_elsewhere_cannot_lock_the_owner_out(path):
    # given an account, and someone guessing its password from another address
    ann = person("ann@example.org")
    for _ in range(3):
        assert not signs_in(path, attempt(path, ann.email, "guess", ATTACKER))
    # when the guesser goes on, even with the right password, they are held back
    assert refused(attempt(path, ann.email, PASSWORD, ATTACKER))
    # then the owner, from their own address, signs in as usual
    assert signs_in(path, attempt(path, ann.email, PASSWORD, OWNER))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_failures_on_one_account_do_not_hold_back_another_at_the_same_address(path):
    # given two people behind one address (an office, a school), one mistyping
    ann, bob = person("ann@example.org"), person("bob@example.org")
    for _ in range(3):
        assert not signs_in(path, attempt(path, ann.email, "typo", ATTACKER))
    assert refused(attempt(path, ann.email, PASSWORD, ATTACKER))
    # when the other signs in from there with the right password
    # then it works
    assert signs_in(path, attempt(path, bob.email, PASSWORD, ATTACKER))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_password_spray_is_held_back_but_not_for_accounts_known_at_that_address(path):
    # given someone who signed in from a shared address before, and someone who did not
    carol, dave = person("carol@example.org"), person("dave@example.org")
    assert signs_in(path, attempt(path, carol.email, PASSWORD, ATTACKER))
    # when one password is tried on many accounts from that address, past the
    # per-address limit
    for i in range(6):
        assert not signs_in(path, attempt(path, f"victim{i}@example.org", "Spring2026!", ATTACKER))
    # then accounts not known there are refused before any password is checked
    assert refused(attempt(path, "victim9@example.org", "Spring2026!", ATTACKER))
    assert refused(attempt(path, dave.email, PASSWORD, ATTACKER))
    # but the one who signs in from there keeps signing in, and everyone elsewhere too
    assert signs_in(path, attempt(path, carol.email, PASSWORD, ATTACKER))
    assert signs_in(path, attempt(path, dave.email, PASSWORD, OWNER))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_behind_trusted_proxies_the_forwarded_client_address_counts(path, settings):
    # given the app behind a load balancer (10.0.0.3) and a local proxy (10.0.0.2)
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    ann = person("ann@example.org")

    def via_proxies(email, password, client, spoofed=""):
        # each proxy appends the address it was reached from; the client wrote `spoofed`
        chain = ", ".join(p for p in (spoofed, client, "10.0.0.3") if p)
        return attempt(path, email, password, PROXY, forwarded=chain)

    # when someone guesses from one address, writing a new X-Forwarded-For each time
    for i in range(3):
        assert not signs_in(path, via_proxies(ann.email, "guess", ATTACKER, f"192.0.2.{i}"))
    # then they are held back all the same (what a client writes is never believed)
    assert refused(via_proxies(ann.email, PASSWORD, ATTACKER, "192.0.2.77"))
    # and the owner, through the same proxies from their own address, signs in
    assert signs_in(path, via_proxies(ann.email, PASSWORD, OWNER))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_without_trusted_proxies_x_forwarded_for_is_ignored(path):
    # given no TRUSTED_PROXIES: a client writing X-Forwarded-For itself
    ann = person("ann@example.org")
    for i in range(3):
        response = attempt(path, ann.email, "guess", ATTACKER, forwarded=f"192.0.2.{i}")
        assert not signs_in(path, response)
    # when it claims yet another address, then it is still held back
    assert refused(attempt(path, ann.email, PASSWORD, ATTACKER, forwarded="192.0.2.99"))
